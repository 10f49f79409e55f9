/* Cairo/Pango overlays drawn onto a YUV 4:2:0 canvas: text boxes (name labels,
 * captions) rendered once when their text changes and blended only over their own
 * box each frame, plain rectangles and borders, and placeholder tiles (initials or
 * a phone glyph) for participants without video. The canvas is never converted to
 * RGB. */
#ifndef TESSERA_OVERLAY_H
#define TESSERA_OVERLAY_H

#include <stdint.h>
#include <libavutil/frame.h>

/* 0xRRGGBB colours. */
struct overlay_text_style {
    double font_px;          /* font size in pixels */
    int max_width;           /* wrap width in pixels (box width never exceeds it + padding) */
    int max_lines;           /* 0: unlimited; else wrap, ellipsize beyond this many lines */
    int padding;             /* pixels of background around the text */
    uint32_t text_rgb;
    uint32_t box_rgb;
    double box_alpha;        /* 0..1 opacity of the background box */
    int bold;
    int center;              /* centre lines inside the box */
};

/* Largest box width or height (rendering text beyond it fails with EINVAL). */
#define OVERLAY_BOX_MAX_SIDE 8192

/* A rendered text box in YUVA: premultiplied planes ready for blending. Even width
 * and height so it maps onto 4:2:0 chroma exactly. Owned by whoever rendered it. */
struct overlay_box {
    int width, height;
    int line_count;          /* lines Pango laid out (after wrapping/ellipsizing) */
    uint8_t *y, *u, *v;      /* width*height, (width/2)*(height/2) x2 */
    uint8_t *a, *a_chroma;   /* alpha per luma pixel and per chroma pixel */
};

/* Renders UTF-8 text (plain text, no markup) with Pango. *out written on success only.
 * Invalid UTF-8 is replaced; max_lines counts hard line breaks too and needs
 * max_width > 0. Returns 0, AVERROR(EINVAL) (bad style, box over
 * OVERLAY_BOX_MAX_SIDE) or AVERROR(ENOMEM). */
int overlay_box_render(struct overlay_box **out, const char *text,
                       const struct overlay_text_style *style);
void overlay_box_free(struct overlay_box **p);

/* Text is laid out with the calling thread's Pango font map, built on first use and
 * released when the thread exits. This releases it now (rendering afterwards builds
 * it again): call it on the main thread before exiting so that leak checkers see
 * only fontconfig's own configuration (FcInitLoadConfigAndFonts, ~300 bytes). */
void overlay_thread_release(void);

/* Blends the box onto a YUV420P canvas with its top-left at (x, y), clipped to the
 * canvas; x and y are rounded down to even. */
void overlay_box_blend(const struct overlay_box *box, AVFrame *canvas, int x, int y);

/* Fills a rectangle of a YUV420P frame with an opaque colour (clipped). Edges are
 * rounded outward to even coordinates so luma and chroma cover the same pixels. */
void overlay_fill_rect(AVFrame *frame, int x, int y, int w, int h, uint32_t rgb);

/* Draws a rectangular border of the given thickness just inside the rectangle
 * (four overlay_fill_rect calls, so odd edges round outward to even). */
void overlay_draw_border(AVFrame *frame, int x, int y, int w, int h, int thickness,
                         uint32_t rgb);

/* Renders a placeholder tile for a participant without (current) video: a dark
 * background, a circle with the initials of `name` (or a phone glyph when
 * phone != 0). Returns a new YUV420P frame of w x h in *out (caller frees).
 * w and h must be even and at most OVERLAY_BOX_MAX_SIDE (else AVERROR(EINVAL)). */
int overlay_placeholder_render(AVFrame **out, int w, int h, const char *name, int phone);

/* Converts 0xRRGGBB to BT.601 limited-range Y, U, V. */
void overlay_rgb_to_yuv(uint32_t rgb, uint8_t *y, uint8_t *u, uint8_t *v);

/* Converts a premultiplied Cairo ARGB32 image (native-endian 32-bit pixels, `stride`
 * bytes per row, even width and height) into a new box, with the same BT.601
 * limited-range conversion as overlay_rgb_to_yuv and 2x2-averaged chroma and chroma
 * alpha. The pixels are borrowed; *out is written on success only (free with
 * overlay_box_free). Returns 0, AVERROR(EINVAL) or AVERROR(ENOMEM). */
int overlay_box_from_argb(struct overlay_box **out, const uint8_t *argb, int stride,
                          int width, int height);

#endif
