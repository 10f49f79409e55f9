/* Blends a premultiplied YUVA overlay box onto a YUV420P canvas, only over the box. */
#include <libavutil/common.h>
#include <libavutil/pixfmt.h>
#include "mixer/overlay.h"

/* dst * (255 - a) / 255 + src, rounded: with x = dst * (255 - a) <= 65025,
 * (x + 128 + ((x + 128) >> 8)) >> 8 is x / 255 exactly rounded, all in 16 bits.
 * src is premultiplied, so an opaque pixel copies src exactly and a transparent one
 * leaves dst untouched. */
static inline uint8_t blend_px(uint8_t dst, uint8_t src, uint8_t a)
{
    uint16_t x = (uint16_t)(dst * (255 - a) + 128);
    return (uint8_t)(src + ((x + (x >> 8)) >> 8));
}

/* Blocks of 16 with a fixed trip count let -O2 vectorize the inner loop. */
static void blend_row(uint8_t *restrict dst, const uint8_t *restrict src,
                      const uint8_t *restrict alpha, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++)
            dst[i + k] = blend_px(dst[i + k], src[i + k], alpha[i + k]);
    for (; i < n; i++)
        dst[i] = blend_px(dst[i], src[i], alpha[i]);
}

static void blend_plane(uint8_t *dst, int dst_stride, const uint8_t *src,
                        const uint8_t *alpha, int src_stride, int cols, int rows)
{
    for (int r = 0; r < rows; r++)
        blend_row(dst + (ptrdiff_t)r * dst_stride, src + (size_t)r * src_stride,
                  alpha + (size_t)r * src_stride, cols);
}

static int floor_even(int v)
{
    return v % 2 ? v - 1 : v;   /* -3 % 2 == -1: rounds toward minus infinity */
}

void overlay_box_blend(const struct overlay_box *box, AVFrame *canvas, int x, int y)
{
    if (!box || !canvas || canvas->format != AV_PIX_FMT_YUV420P)
        return;
    x = floor_even(x);
    y = floor_even(y);
    /* Visible part of the box, in box coordinates (even, as x and y are). */
    int sx = FFMAX(0, -x), sy = FFMAX(0, -y);
    int ex = FFMIN(box->width, canvas->width - x);
    int ey = FFMIN(box->height, canvas->height - y);
    if (sx >= ex || sy >= ey)
        return;
    int cols = ex - sx, rows = ey - sy;
    size_t so = (size_t)sy * box->width + sx;
    blend_plane(canvas->data[0] + (ptrdiff_t)(y + sy) * canvas->linesize[0] + x + sx,
                canvas->linesize[0], box->y + so, box->a + so, box->width, cols, rows);

    /* Chroma: the canvas has ceil(w/2) x ceil(h/2) samples; the box exactly half. */
    int cw = box->width / 2, ccols = (cols + 1) / 2, crows = (rows + 1) / 2;
    size_t co = (size_t)(sy / 2) * cw + sx / 2;
    for (int p = 1; p <= 2; p++) {
        const uint8_t *src = p == 1 ? box->u : box->v;
        blend_plane(canvas->data[p] + (ptrdiff_t)((y + sy) / 2) * canvas->linesize[p] +
                        (x + sx) / 2,
                    canvas->linesize[p], src + co, box->a_chroma + co, cw, ccols, crows);
    }
}
