/* Text boxes: UTF-8 text laid out with Pango, drawn with Cairo once, kept as YUVA. */
#include <string.h>
#include <pango/pangocairo.h>
#include <libavutil/common.h>
#include <libavutil/error.h>
#include "mixer/overlay.h"

#define OVERLAY_FONT "DejaVu Sans"

static void set_source_rgb(cairo_t *cr, uint32_t rgb, double alpha)
{
    cairo_set_source_rgba(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                          (rgb & 0xff) / 255.0, alpha);
}

/* A layout on the calling thread's default font map (Pango keeps one per thread). */
static PangoLayout *layout_new(const struct overlay_text_style *style)
{
    PangoContext *ctx = pango_font_map_create_context(pango_cairo_font_map_get_default());
    if (!ctx)
        return NULL;
    cairo_font_options_t *opts = cairo_font_options_create();
    cairo_font_options_set_antialias(opts, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_ON);
    pango_cairo_context_set_font_options(ctx, opts);
    cairo_font_options_destroy(opts);

    PangoLayout *layout = pango_layout_new(ctx);
    g_object_unref(ctx);
    PangoFontDescription *font = pango_font_description_from_string(OVERLAY_FONT);
    pango_font_description_set_absolute_size(font, style->font_px * PANGO_SCALE);
    if (style->bold)
        pango_font_description_set_weight(font, PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(layout, font);
    pango_font_description_free(font);

    if (style->max_width > 0) {
        pango_layout_set_width(layout, style->max_width * PANGO_SCALE);
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
        if (style->max_lines > 0) {
            pango_layout_set_height(layout, -style->max_lines);
            pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
        }
    }
    pango_layout_set_alignment(layout, style->center ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
    return layout;
}

/* Pango limits lines per paragraph; when hard line breaks still give too many lines
 * the text is laid out again as one paragraph. Takes a valid UTF-8 copy. */
static void layout_set_text(PangoLayout *layout, char *text, int max_lines)
{
    pango_layout_set_text(layout, text, -1);
    if (max_lines <= 0 || pango_layout_get_line_count(layout) <= max_lines ||
        !strpbrk(text, "\r\n"))
        return;
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    pango_layout_set_text(layout, text, -1);
}

/* Box size: the text's logical extents (at most max_width wide) plus padding, rounded
 * up to even, or down when rounding up would pass max_width + 2 * padding. */
static void box_size(const PangoRectangle *logical, const struct overlay_text_style *style,
                     int *w, int *h)
{
    int tw = logical->width, pad = FFMAX(style->padding, 0);
    if (style->max_width > 0)
        tw = FFMIN(tw, style->max_width);
    *w = FFMAX(tw + 2 * pad, 2);
    *h = FFMAX(logical->height + 2 * pad, 2);
    if (*w % 2)
        *w += style->max_width > 0 && *w + 1 > style->max_width + 2 * pad ? -1 : 1;
    if (*h % 2)
        (*h)++;
}

static int draw(cairo_surface_t *surface, PangoLayout *layout, const PangoRectangle *logical,
                const struct overlay_text_style *style)
{
    cairo_t *cr = cairo_create(surface);
    int pad = FFMAX(style->padding, 0);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    set_source_rgb(cr, style->box_rgb, av_clipd(style->box_alpha, 0.0, 1.0));
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    set_source_rgb(cr, style->text_rgb, 1.0);
    cairo_move_to(cr, pad - logical->x, pad - logical->y);
    pango_cairo_show_layout(cr, layout);
    int ret = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : AVERROR(ENOMEM);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    return ret;
}

int overlay_box_render(struct overlay_box **out, const char *text,
                       const struct overlay_text_style *style)
{
    PangoLayout *layout = NULL;
    cairo_surface_t *surface = NULL;
    struct overlay_box *box = NULL;
    char *valid = NULL;
    PangoRectangle logical;
    int ret, w, h;

    if (!out || !text || !style || !(style->font_px > 0 && style->font_px < 4096))
        return AVERROR(EINVAL);
    valid = g_utf8_make_valid(text, -1);
    layout = layout_new(style);
    if (!valid || !layout) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    layout_set_text(layout, valid, style->max_lines);
    pango_layout_get_pixel_extents(layout, NULL, &logical);
    box_size(&logical, style, &w, &h);
    if (w > OVERLAY_BOX_MAX_SIDE || h > OVERLAY_BOX_MAX_SIDE) {
        ret = AVERROR(EINVAL);
        goto fail;
    }

    surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    ret = draw(surface, layout, &logical, style);
    if (ret < 0)
        goto fail;
    ret = overlay_box_from_argb(&box, cairo_image_surface_get_data(surface),
                                cairo_image_surface_get_stride(surface), w, h);
    if (ret < 0)
        goto fail;
    box->line_count = pango_layout_get_line_count(layout);
    *out = box;
    ret = 0;
fail:
    if (surface)
        cairo_surface_destroy(surface);
    if (layout)
        g_object_unref(layout);
    g_free(valid);
    return ret;
}

void overlay_thread_release(void)
{
    pango_cairo_font_map_set_default(NULL);
}
