/* Placeholder tiles for participants without video: a dark background and a coloured
 * circle holding the name's initials or a telephone handset drawn with Cairo paths. */
#include <math.h>
#include <string.h>
#include <pango/pangocairo.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include "mixer/overlay.h"

#define PLACEHOLDER_BACKGROUND 0x202124
#define PLACEHOLDER_FOREGROUND 0xffffff

/* Muted colours for the circle, picked by a hash of the name. */
static const uint32_t circle_palette[] = {
    0x5b7c99, 0x7a6a9c, 0x4f8a7b, 0x9c6b5b, 0x8a7d4f, 0x6b8a4f, 0x9c5b7a, 0x5b8a99,
};

static void set_source_rgb(cairo_t *cr, uint32_t rgb)
{
    cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                         (rgb & 0xff) / 255.0);
}

static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;          /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* Appends the first letter or digit of each word (the first and the last word). */
static char *initials(const char *name)
{
    char *valid = g_utf8_make_valid(name ? name : "", -1);
    char *nfc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFC);
    gunichar first = 0, last = 0;
    int word_done = 0;
    for (const char *p = nfc ? nfc : ""; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_isspace(c)) {
            word_done = 0;
            continue;
        }
        if (word_done || !g_unichar_isalnum(c))
            continue;
        word_done = 1;
        if (!first)
            first = c;
        else
            last = c;
    }
    g_free(nfc);
    g_free(valid);
    if (!first)
        return g_strdup("?");
    char buf[16];
    int n = g_unichar_to_utf8(first, buf);
    if (last)
        n += g_unichar_to_utf8(last, buf + n);
    return g_utf8_strup(buf, n);
}

static void draw_initials(cairo_t *cr, const char *name, double cx, double cy, double d)
{
    char *text = initials(name);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *font = pango_font_description_from_string("DejaVu Sans Bold");
    pango_font_description_set_absolute_size(font, d * 0.36 * PANGO_SCALE);
    pango_layout_set_font_description(layout, font);
    pango_layout_set_text(layout, text, -1);
    PangoRectangle ink;
    pango_layout_get_pixel_extents(layout, &ink, NULL);
    /* Centre the ink, not the line box, so caps sit in the optical middle. */
    set_source_rgb(cr, PLACEHOLDER_FOREGROUND);
    cairo_move_to(cr, cx - ink.x - ink.width / 2.0, cy - ink.y - ink.height / 2.0);
    pango_cairo_show_layout(cr, layout);
    pango_font_description_free(font);
    g_object_unref(layout);
    g_free(text);
}

/* A telephone receiver lying on its cradle: an arched handle joining two cups
 * (half discs, flat side down), in units of the circle's diameter around its centre. */
static void draw_phone(cairo_t *cr, double cx, double cy, double d)
{
    cairo_save(cr);
    cairo_translate(cr, cx, cy);
    cairo_scale(cr, d, d);
    set_source_rgb(cr, PLACEHOLDER_FOREGROUND);
    cairo_set_line_width(cr, 0.085);
    cairo_arc(cr, 0.0, 0.13, 0.25, M_PI * 1.08, M_PI * 1.92);
    cairo_stroke(cr);
    for (int side = -1; side <= 1; side += 2) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, side * 0.25, 0.15, 0.12, M_PI, 2 * M_PI);
        cairo_close_path(cr);
    }
    cairo_fill(cr);
    cairo_restore(cr);
}

static void draw_tile(cairo_surface_t *surface, int w, int h, const char *name, int phone)
{
    cairo_t *cr = cairo_create(surface);
    double d = 0.4 * (w < h ? w : h), cx = w / 2.0, cy = h / 2.0;
    set_source_rgb(cr, PLACEHOLDER_BACKGROUND);
    cairo_paint(cr);
    size_t n = sizeof(circle_palette) / sizeof(circle_palette[0]);
    set_source_rgb(cr, circle_palette[name_hash(name ? name : "") % n]);
    cairo_arc(cr, cx, cy, d / 2, 0.0, 2 * M_PI);
    cairo_fill(cr);
    if (phone)
        draw_phone(cr, cx, cy, d);
    else
        draw_initials(cr, name, cx, cy, d);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
}

int overlay_placeholder_render(AVFrame **out, int w, int h, const char *name, int phone)
{
    cairo_surface_t *surface = NULL;
    struct overlay_box *box = NULL;
    AVFrame *frame = NULL;
    int ret;

    if (!out || w <= 0 || h <= 0 || (w | h) & 1 ||
        w > OVERLAY_BOX_MAX_SIDE || h > OVERLAY_BOX_MAX_SIDE)
        return AVERROR(EINVAL);
    surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    draw_tile(surface, w, h, name, phone);
    ret = overlay_box_from_argb(&box, cairo_image_surface_get_data(surface),
                                cairo_image_surface_get_stride(surface), w, h);
    if (ret < 0)
        goto fail;
    frame = av_frame_alloc();
    if (!frame) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = w;
    frame->height = h;
    ret = av_frame_get_buffer(frame, 0);
    if (ret < 0)
        goto fail;
    /* The tile is opaque: the blend copies it exactly over the cleared frame. */
    overlay_fill_rect(frame, 0, 0, w, h, PLACEHOLDER_BACKGROUND);
    overlay_box_blend(box, frame, 0, 0);
    *out = frame;
    frame = NULL;
    ret = 0;
fail:
    av_frame_free(&frame);
    overlay_box_free(&box);
    if (surface)
        cairo_surface_destroy(surface);
    return ret;
}
