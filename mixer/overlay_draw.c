/* Opaque rectangles and borders drawn straight into a YUV420P frame, clipped. */
#include <string.h>
#include <libavutil/common.h>
#include <libavutil/pixfmt.h>
#include "mixer/overlay.h"

static int floor_even(int v)
{
    return v % 2 ? v - 1 : v;
}

static int ceil_even(int v)
{
    return v % 2 ? v + 1 : v;
}

static void fill_plane(uint8_t *data, int linesize, int x0, int y0, int x1, int y1,
                       uint8_t value)
{
    for (int r = y0; r < y1; r++)
        memset(data + (ptrdiff_t)r * linesize + x0, value, (size_t)(x1 - x0));
}

/* The rectangle grows to even edges so that luma and chroma cover the same pixels. */
void overlay_fill_rect(AVFrame *frame, int x, int y, int w, int h, uint32_t rgb)
{
    if (!frame || frame->format != AV_PIX_FMT_YUV420P || w <= 0 || h <= 0)
        return;
    /* 64-bit ends: x + w must not overflow for huge or hostile sizes. */
    int64_t x1 = FFMIN((int64_t)x + w, frame->width);
    int64_t y1 = FFMIN((int64_t)y + h, frame->height);
    int x0 = FFMAX(floor_even(x), 0), y0 = FFMAX(floor_even(y), 0);
    if (x0 >= x1 || y0 >= y1)
        return;
    int ex = FFMIN(ceil_even((int)x1), frame->width);
    int ey = FFMIN(ceil_even((int)y1), frame->height);
    uint8_t yuv[3];
    overlay_rgb_to_yuv(rgb, &yuv[0], &yuv[1], &yuv[2]);
    fill_plane(frame->data[0], frame->linesize[0], x0, y0, ex, ey, yuv[0]);
    for (int p = 1; p <= 2; p++)
        fill_plane(frame->data[p], frame->linesize[p], x0 / 2, y0 / 2, (ex + 1) / 2,
                   (ey + 1) / 2, yuv[p]);
}

void overlay_draw_border(AVFrame *frame, int x, int y, int w, int h, int thickness,
                         uint32_t rgb)
{
    if (w <= 0 || h <= 0 || thickness <= 0)
        return;
    int t = FFMIN(thickness, FFMIN((w + 1) / 2, (h + 1) / 2));
    overlay_fill_rect(frame, x, y, w, t, rgb);                       /* top */
    overlay_fill_rect(frame, x, y + h - t, w, t, rgb);               /* bottom */
    overlay_fill_rect(frame, x, y + t, t, h - 2 * t, rgb);           /* left */
    overlay_fill_rect(frame, x + w - t, y + t, t, h - 2 * t, rgb);   /* right */
}
