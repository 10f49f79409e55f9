/* Colour conversion for overlays: 0xRRGGBB and premultiplied Cairo ARGB32 images to
 * BT.601 limited-range YUV (boxes carry premultiplied YUVA with 4:2:0 chroma). */
#include <stdlib.h>
#include <libavutil/common.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "mixer/overlay.h"

/* Premultiplied BT.601 limited range: a*Y = (16 A + 65.481 R + 128.553 G + 24.966 B)
 * / 255 with R, G, B premultiplied by A (all 0..255), in 16.16 fixed point; with
 * A = 255 this is the plain conversion. */
#define FIX(c) ((int)((c) / 255.0 * 65536 + 0.5))
static const int ky[4] = { FIX(16), FIX(65.481), FIX(128.553), FIX(24.966) };
static const int ku[4] = { FIX(128), -FIX(37.797), -FIX(74.203), FIX(112) };
static const int kv[4] = { FIX(128), FIX(112), -FIX(93.786), -FIX(18.214) };

/* Sum of n pixels (n = 1 or 4, shift = 0 or 2) converted to their average, rounded
 * and clipped (ill-formed premultiplied input can leave the range). */
static inline uint8_t convert(const int k[4], int a, int r, int g, int b, int shift)
{
    int v = k[0] * a + k[1] * r + k[2] * g + k[3] * b + (1 << (15 + shift));
    return v < 0 ? 0 : av_clip_uint8(v >> (16 + shift));
}

void overlay_rgb_to_yuv(uint32_t rgb, uint8_t *y, uint8_t *u, uint8_t *v)
{
    int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
    *y = convert(ky, 255, r, g, b, 0);
    *u = convert(ku, 255, r, g, b, 0);
    *v = convert(kv, 255, r, g, b, 0);
}

void overlay_box_free(struct overlay_box **p)
{
    if (!p || !*p)
        return;
    av_freep(&(*p)->y);     /* one allocation holds every plane */
    av_freep(p);
}

/* One buffer for the five planes: y, a (w*h each), u, v, a_chroma (w*h/4 each). */
static int box_alloc(struct overlay_box **out, int width, int height)
{
    size_t luma = (size_t)width * height, chroma = luma / 4;
    struct overlay_box *box = av_mallocz(sizeof(*box));
    if (!box)
        return AVERROR(ENOMEM);
    box->y = av_malloc(2 * luma + 3 * chroma);
    if (!box->y) {
        av_free(box);
        return AVERROR(ENOMEM);
    }
    box->a = box->y + luma;
    box->u = box->a + luma;
    box->v = box->u + chroma;
    box->a_chroma = box->v + chroma;
    box->width = width;
    box->height = height;
    *out = box;
    return 0;
}

/* Converts rows 2*cy and 2*cy+1 of the image into the box. */
static void convert_row_pair(struct overlay_box *box, const uint8_t *argb, int stride,
                             int cy)
{
    int w = box->width, cw = w / 2;
    for (int j = 0; j < 2; j++) {
        const uint32_t *row = (const uint32_t *)(argb + (size_t)stride * (2 * cy + j));
        uint8_t *y = box->y + (size_t)(2 * cy + j) * w, *a = box->a + (size_t)(2 * cy + j) * w;
        uint32_t last = 0;              /* runs of one colour (the box) convert once */
        uint8_t last_y = convert(ky, 0, 0, 0, 0, 0);
        for (int x = 0; x < w; x++) {
            uint32_t px = row[x];
            if (px != last) {
                last = px;
                last_y = convert(ky, px >> 24, (px >> 16) & 0xff, (px >> 8) & 0xff,
                                 px & 0xff, 0);
            }
            a[x] = (uint8_t)(px >> 24);
            y[x] = last_y;
        }
    }
    const uint32_t *r0 = (const uint32_t *)(argb + (size_t)stride * (2 * cy));
    const uint32_t *r1 = (const uint32_t *)(argb + (size_t)stride * (2 * cy + 1));
    size_t co = (size_t)cy * cw;
    for (int cx = 0; cx < cw; cx++) {
        uint32_t p[4] = { r0[2 * cx], r0[2 * cx + 1], r1[2 * cx], r1[2 * cx + 1] };
        int sa = 0, sr = 0, sg = 0, sb = 0;
        for (int i = 0; i < 4; i++) {
            sa += p[i] >> 24;
            sr += (p[i] >> 16) & 0xff;
            sg += (p[i] >> 8) & 0xff;
            sb += p[i] & 0xff;
        }
        box->u[co + cx] = convert(ku, sa, sr, sg, sb, 2);
        box->v[co + cx] = convert(kv, sa, sr, sg, sb, 2);
        box->a_chroma[co + cx] = (uint8_t)((sa + 2) >> 2);
    }
}

int overlay_box_from_argb(struct overlay_box **out, const uint8_t *argb, int stride,
                          int width, int height)
{
    struct overlay_box *box = NULL;
    int ret;
    if (!out || !argb || width <= 0 || height <= 0 || (width | height) & 1 ||
        width > OVERLAY_BOX_MAX_SIDE || height > OVERLAY_BOX_MAX_SIDE || stride < 4 * width)
        return AVERROR(EINVAL);
    ret = box_alloc(&box, width, height);
    if (ret < 0)
        goto fail;
    for (int cy = 0; cy < height / 2; cy++)
        convert_row_pair(box, argb, stride, cy);
    *out = box;
    return 0;
fail:
    overlay_box_free(&box);
    return ret;
}
