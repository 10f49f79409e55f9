/* The compositor places each visible participant's picture into its tile of the
 * YUV 4:2:0 canvas. Each tile is scaled once per new source frame (libswscale, the
 * scaler behind libavfilter's scale filter) into a cached tile image, cropped to
 * fill or letterboxed; every tick the cached tiles are copied onto the canvas. */
#ifndef TESSERA_COMPOSITOR_H
#define TESSERA_COMPOSITOR_H

#include <stdint.h>
#include <libavutil/frame.h>
#include "layouts/layout.h"

struct compositor_tile {
    int id;                      /* participant id: the cache key */
    int x, y, w, h;              /* pixel rectangle in the canvas (even values) */
    const AVFrame *frame;        /* borrowed picture to show */
    int64_t serial;              /* changes whenever frame's content changes */
    enum layout_fit fit;
};

struct compositor;

int compositor_alloc(struct compositor **out, int width, int height, uint32_t background_rgb);
void compositor_free(struct compositor **p);

/* Fills canvas (a YUV420P frame of the compositor's size) with the background and
 * the tiles, in array order (later tiles on top). Tiles of ids not seen in a call
 * are evicted from the cache. */
int compositor_draw(struct compositor *c, AVFrame *canvas, const struct compositor_tile *tiles,
                    int count);

/* Pixel rectangle of a slot in a canvas, rounded to even values. */
void compositor_slot_rect(const struct layout_slot *slot, int canvas_w, int canvas_h,
                          int *x, int *y, int *w, int *h);

/* Tile scalings performed so far (for tests and stats). */
int64_t compositor_scale_count(const struct compositor *c);

#endif
