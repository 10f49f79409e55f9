/* Tile scaling (crop to fill or letterbox) with a per-participant cache, and the
 * copy of cached tiles onto the canvas. */
#include <math.h>
#include <string.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>
#include "mixer/compositor.h"
#include "mixer/overlay.h"

#define COMPOSITOR_MAX_TILES 64

struct compositor_cache {
    int id, in_use;
    int w, h;
    const AVFrame *frame;
    int64_t serial;
    enum layout_fit fit;
    AVFrame *image;              /* w x h YUV420P, the tile as drawn */
    struct SwsContext *sws;
};

struct compositor {
    int width, height;
    uint8_t bg_y, bg_u, bg_v;
    uint32_t background_rgb;
    struct compositor_cache cache[COMPOSITOR_MAX_TILES];
    int64_t scale_count;
};

int compositor_alloc(struct compositor **out, int width, int height, uint32_t background_rgb)
{
    struct compositor *c = av_mallocz(sizeof(*c));

    if (!c)
        return AVERROR(ENOMEM);
    c->width = width;
    c->height = height;
    c->background_rgb = background_rgb;
    overlay_rgb_to_yuv(background_rgb, &c->bg_y, &c->bg_u, &c->bg_v);
    *out = c;
    return 0;
}

static void compositor_cache_clear(struct compositor_cache *cc)
{
    av_frame_free(&cc->image);
    sws_freeContext(cc->sws);
    memset(cc, 0, sizeof(*cc));
}

void compositor_free(struct compositor **p)
{
    struct compositor *c = *p;

    if (!c)
        return;
    for (int i = 0; i < COMPOSITOR_MAX_TILES; i++)
        compositor_cache_clear(&c->cache[i]);
    av_free(c);
    *p = NULL;
}

void compositor_slot_rect(const struct layout_slot *slot, int canvas_w, int canvas_h,
                          int *x, int *y, int *w, int *h)
{
    int x0 = (int)lround(slot->x * canvas_w) & ~1;
    int y0 = (int)lround(slot->y * canvas_h) & ~1;
    int x1 = (int)lround((slot->x + slot->w) * canvas_w) & ~1;
    int y1 = (int)lround((slot->y + slot->h) * canvas_h) & ~1;

    if (x1 > canvas_w)
        x1 = canvas_w & ~1;
    if (y1 > canvas_h)
        y1 = canvas_h & ~1;
    *x = x0;
    *y = y0;
    *w = x1 > x0 ? x1 - x0 : 0;
    *h = y1 > y0 ? y1 - y0 : 0;
}

static struct compositor_cache *compositor_cache_get(struct compositor *c, int id)
{
    struct compositor_cache *free_slot = NULL;

    for (int i = 0; i < COMPOSITOR_MAX_TILES; i++) {
        if (c->cache[i].image && c->cache[i].id == id)
            return &c->cache[i];
        if (!c->cache[i].image && !free_slot)
            free_slot = &c->cache[i];
    }
    if (free_slot)
        free_slot->id = id;
    return free_slot;
}

/* Scales src into dst's rectangle (x, y, w, h). */
static int compositor_scale_into(struct compositor_cache *cc, const AVFrame *src, AVFrame *dst,
                                 int x, int y, int w, int h)
{
    uint8_t *dst_data[4] = {
        dst->data[0] + y * dst->linesize[0] + x,
        dst->data[1] + (y / 2) * dst->linesize[1] + x / 2,
        dst->data[2] + (y / 2) * dst->linesize[2] + x / 2,
        NULL,
    };

    cc->sws = sws_getCachedContext(cc->sws, src->width, src->height, src->format, w, h,
                                   AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
    if (!cc->sws)
        return AVERROR(EINVAL);
    sws_scale(cc->sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
              dst_data, dst->linesize);
    return 0;
}

static double compositor_frame_aspect(const AVFrame *f)
{
    double sar = f->sample_aspect_ratio.num > 0 && f->sample_aspect_ratio.den > 0 ?
                 av_q2d(f->sample_aspect_ratio) : 1.0;
    return f->width * sar / f->height;
}

/* Renders the tile image for a new frame or a new tile size. */
static int compositor_render_tile(struct compositor *c, struct compositor_cache *cc,
                                  const struct compositor_tile *t)
{
    double src_aspect = compositor_frame_aspect(t->frame);
    double tile_aspect = (double)t->w / t->h;
    enum layout_fit fit = layout_fit_resolve(t->fit, src_aspect, tile_aspect);
    AVFrame *src = NULL;
    int ret;

    if (!cc->image || cc->w != t->w || cc->h != t->h) {
        av_frame_free(&cc->image);
        cc->image = av_frame_alloc();
        if (!cc->image)
            return AVERROR(ENOMEM);
        cc->image->format = AV_PIX_FMT_YUV420P;
        cc->image->width = t->w;
        cc->image->height = t->h;
        ret = av_frame_get_buffer(cc->image, 0);
        if (ret < 0) {
            av_frame_free(&cc->image);
            return ret;
        }
        cc->w = t->w;
        cc->h = t->h;
    }
    src = av_frame_clone(t->frame);
    if (!src)
        return AVERROR(ENOMEM);
    if (fit == LAYOUT_FIT_CROP) {
        /* Keep the centre part of the source that has the tile's aspect. */
        if (src_aspect > tile_aspect) {
            size_t keep = (size_t)(src->width * tile_aspect / src_aspect);
            src->crop_left = (src->width - keep) / 2;
            src->crop_right = src->width - keep - src->crop_left;
        } else {
            size_t keep = (size_t)(src->height * src_aspect / tile_aspect);
            src->crop_top = (src->height - keep) / 2;
            src->crop_bottom = src->height - keep - src->crop_top;
        }
        ret = av_frame_apply_cropping(src, AV_FRAME_CROP_UNALIGNED);
        if (ret >= 0)
            ret = compositor_scale_into(cc, src, cc->image, 0, 0, t->w, t->h);
    } else {
        int iw = t->w, ih = t->h;
        if (src_aspect > tile_aspect)
            ih = (int)lround(t->w / src_aspect) & ~1;
        else
            iw = (int)lround(t->h * src_aspect) & ~1;
        if (iw < 2)
            iw = 2;
        if (ih < 2)
            ih = 2;
        overlay_fill_rect(cc->image, 0, 0, t->w, t->h, c->background_rgb);
        ret = compositor_scale_into(cc, src, cc->image, ((t->w - iw) / 2) & ~1,
                                    ((t->h - ih) / 2) & ~1, iw, ih);
    }
    av_frame_free(&src);
    if (ret < 0)
        return ret;
    cc->frame = t->frame;
    cc->serial = t->serial;
    cc->fit = t->fit;
    c->scale_count++;
    return 0;
}

static void compositor_fill_background(struct compositor *c, AVFrame *canvas)
{
    for (int y = 0; y < canvas->height; y++)
        memset(canvas->data[0] + y * canvas->linesize[0], c->bg_y, canvas->width);
    for (int y = 0; y < canvas->height / 2; y++) {
        memset(canvas->data[1] + y * canvas->linesize[1], c->bg_u, canvas->width / 2);
        memset(canvas->data[2] + y * canvas->linesize[2], c->bg_v, canvas->width / 2);
    }
}

static void compositor_copy_tile(AVFrame *canvas, const AVFrame *image, int x, int y)
{
    int w = image->width, h = image->height;

    if (x + w > canvas->width)
        w = canvas->width - x;
    if (y + h > canvas->height)
        h = canvas->height - y;
    for (int r = 0; r < h; r++)
        memcpy(canvas->data[0] + (y + r) * canvas->linesize[0] + x,
               image->data[0] + r * image->linesize[0], w);
    for (int p = 1; p < 3; p++)
        for (int r = 0; r < h / 2; r++)
            memcpy(canvas->data[p] + (y / 2 + r) * canvas->linesize[p] + x / 2,
                   image->data[p] + r * image->linesize[p], w / 2);
}

int compositor_draw(struct compositor *c, AVFrame *canvas, const struct compositor_tile *tiles,
                    int count)
{
    int ret = 0;

    for (int i = 0; i < COMPOSITOR_MAX_TILES; i++)
        c->cache[i].in_use = 0;
    compositor_fill_background(c, canvas);
    for (int i = 0; i < count; i++) {
        const struct compositor_tile *t = &tiles[i];
        struct compositor_cache *cc;

        if (!t->frame || t->w < 2 || t->h < 2 || t->x < 0 || t->y < 0 ||
            t->frame->width <= 0 || t->frame->height <= 0)
            continue;
        cc = compositor_cache_get(c, t->id);
        if (!cc)
            continue;
        cc->in_use = 1;
        if (!cc->image || cc->w != t->w || cc->h != t->h || cc->frame != t->frame ||
            cc->serial != t->serial || cc->fit != t->fit) {
            ret = compositor_render_tile(c, cc, t);
            if (ret < 0) {
                compositor_cache_clear(cc);
                continue;
            }
        }
        compositor_copy_tile(canvas, cc->image, t->x, t->y);
    }
    for (int i = 0; i < COMPOSITOR_MAX_TILES; i++)
        if (c->cache[i].image && !c->cache[i].in_use)
            compositor_cache_clear(&c->cache[i]);
    return 0;
}

int64_t compositor_scale_count(const struct compositor *c)
{
    return c->scale_count;
}
