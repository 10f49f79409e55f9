/* Unit tests of the overlay: colours, rectangles, box blending, text boxes, placeholders. */
#include <stdlib.h>
#include <string.h>
#include <libavutil/frame.h>
#include "mixer/overlay.h"
#include "test.h"

/* A YUV420P frame whose every byte (line padding included) holds a position pattern. */
static AVFrame *pattern_frame(int w, int h)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int p = 0; p < 3; p++) {
        int rows = p ? (h + 1) / 2 : h;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < f->linesize[p]; c++)
                f->data[p][r * f->linesize[p] + c] = (uint8_t)(r * 7 + c * 3 + p * 50);
    }
    return f;
}

static uint8_t pattern_at(int p, int r, int c)
{
    return (uint8_t)(r * 7 + c * 3 + p * 50);
}

/* Checks that the luma rectangle [x0,x1)x[y0,y1) (even edges) and its chroma hold
 * yuv, and that every other byte of every row still holds the pattern. */
static int check_rect(const AVFrame *f, int x0, int y0, int x1, int y1, const uint8_t yuv[3])
{
    for (int p = 0; p < 3; p++) {
        int s = p ? 1 : 0, rows = p ? (f->height + 1) / 2 : f->height;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < f->linesize[p]; c++) {
                int inside = c >= x0 >> s && c < x1 >> s && r >= y0 >> s && r < y1 >> s;
                uint8_t want = inside ? yuv[p] : pattern_at(p, r, c);
                if (f->data[p][r * f->linesize[p] + c] != want) {
                    fprintf(stderr, "    plane %d (%d,%d): %d, want %d\n", p, c, r,
                            f->data[p][r * f->linesize[p] + c], want);
                    return 0;
                }
            }
    }
    return 1;
}

static int test_rgb_to_yuv(void)
{
    uint8_t y, u, v;
    overlay_rgb_to_yuv(0xffffff, &y, &u, &v);
    TEST_CHECK(y == 235 && u == 128 && v == 128);
    overlay_rgb_to_yuv(0x000000, &y, &u, &v);
    TEST_CHECK(y == 16 && u == 128 && v == 128);
    overlay_rgb_to_yuv(0xff0000, &y, &u, &v);   /* 16 + 65.481, 128 - 37.797, 128 + 112 */
    TEST_CHECK(y == 81 && u == 90 && v == 240);
    overlay_rgb_to_yuv(0x0000ff, &y, &u, &v);   /* 16 + 24.966, 240, 128 - 18.214 */
    TEST_CHECK(y == 41 && u == 240 && v == 110);
    return 0;
}

static int test_fill_rect_clipping(void)
{
    uint8_t yuv[3];
    overlay_rgb_to_yuv(0xff0000, &yuv[0], &yuv[1], &yuv[2]);
    AVFrame *f = pattern_frame(64, 48);
    TEST_CHECK(f);
    overlay_fill_rect(f, -10, -10, 30, 30, 0xff0000);        /* top-left corner */
    int ok = check_rect(f, 0, 0, 20, 20, yuv);
    av_frame_free(&f);
    TEST_CHECK(ok);

    f = pattern_frame(64, 48);
    TEST_CHECK(f);
    overlay_fill_rect(f, 50, 40, 100, 100, 0xff0000);        /* bottom-right corner */
    ok = check_rect(f, 50, 40, 64, 48, yuv);
    av_frame_free(&f);
    TEST_CHECK(ok);

    f = pattern_frame(64, 48);
    TEST_CHECK(f);
    overlay_fill_rect(f, 5, 7, 10, 10, 0xff0000);            /* odd edges grow to even */
    ok = check_rect(f, 4, 6, 16, 18, yuv);
    av_frame_free(&f);
    TEST_CHECK(ok);

    f = pattern_frame(64, 48);
    TEST_CHECK(f);
    overlay_fill_rect(f, 64, 0, 10, 10, 0xff0000);           /* outside: nothing */
    overlay_fill_rect(f, -20, -20, 20, 20, 0xff0000);
    overlay_fill_rect(f, 10, 10, 0, 10, 0xff0000);
    overlay_fill_rect(f, 10, 10, -5, 10, 0xff0000);
    overlay_fill_rect(f, 2147483600, 10, 2147483600, 10, 0xff0000);
    ok = check_rect(f, 0, 0, 0, 0, yuv);
    av_frame_free(&f);
    TEST_CHECK(ok);
    return 0;
}

static int test_draw_border(void)
{
    uint8_t y, u, v;
    overlay_rgb_to_yuv(0x00ff00, &y, &u, &v);
    AVFrame *f = pattern_frame(64, 48);
    TEST_CHECK(f);
    overlay_draw_border(f, 8, 8, 32, 24, 2, 0x00ff00);
    int ls = f->linesize[0];
    TEST_CHECK(f->data[0][8 * ls + 8] == y);
    TEST_CHECK(f->data[0][9 * ls + 20] == y);
    TEST_CHECK(f->data[0][31 * ls + 39] == y);
    TEST_CHECK(f->data[0][20 * ls + 8] == y && f->data[0][20 * ls + 39] == y);
    TEST_CHECK(f->data[0][20 * ls + 20] == pattern_at(0, 20, 20));   /* inside */
    TEST_CHECK(f->data[0][32 * ls + 40] == pattern_at(0, 32, 40));   /* outside */
    TEST_CHECK(f->data[0][7 * ls + 7] == pattern_at(0, 7, 7));
    TEST_CHECK(f->data[1][4 * f->linesize[1] + 4] == u);
    av_frame_free(&f);
    return 0;
}

/* A w x h box of one premultiplied ARGB32 pixel value. */
static struct overlay_box *solid_box(int w, int h, uint32_t argb)
{
    uint32_t *px = malloc(sizeof(*px) * w * h);
    struct overlay_box *box = NULL;
    if (!px)
        return NULL;
    for (int i = 0; i < w * h; i++)
        px[i] = argb;
    if (overlay_box_from_argb(&box, (const uint8_t *)px, 4 * w, w, h) < 0)
        box = NULL;
    free(px);
    return box;
}

static int test_blend_opaque(void)
{
    uint8_t yuv[3];
    overlay_rgb_to_yuv(0x3366cc, &yuv[0], &yuv[1], &yuv[2]);
    struct overlay_box *box = solid_box(20, 10, 0xff3366cc);
    TEST_CHECK(box && box->width == 20 && box->height == 10);
    TEST_CHECK(box->y[0] == yuv[0] && box->u[0] == yuv[1] && box->v[0] == yuv[2]);
    TEST_CHECK(box->a[0] == 255 && box->a_chroma[0] == 255);

    AVFrame *f = pattern_frame(64, 48);
    int ok = 0;
    if (f) {
        overlay_box_blend(box, f, 7, 5);                     /* rounds down to (6, 4) */
        ok = check_rect(f, 6, 4, 26, 14, yuv);
        av_frame_free(&f);
    }
    if (ok && (f = pattern_frame(64, 48))) {
        overlay_box_blend(box, f, -6, -4);                   /* clipped top-left */
        ok = check_rect(f, 0, 0, 14, 6, yuv);
        av_frame_free(&f);
    }
    if (ok && (f = pattern_frame(64, 48))) {
        overlay_box_blend(box, f, 56, 44);                   /* clipped bottom-right */
        overlay_box_blend(box, f, 64, 0);                    /* entirely outside */
        overlay_box_blend(box, f, -20, 0);
        ok = check_rect(f, 56, 44, 64, 48, yuv);
        av_frame_free(&f);
    }
    overlay_box_free(&box);
    TEST_CHECK(ok);
    TEST_CHECK(box == NULL);
    return 0;
}

static int test_blend_half(void)
{
    /* Black at alpha 128/255 over Y = 200: (16 + 200) / 2 = 108; chroma stays 128. */
    struct overlay_box *box = solid_box(8, 8, 0x80000000);
    AVFrame *f = pattern_frame(16, 16);
    int ok = box && f;
    if (ok) {
        for (int p = 0; p < 3; p++)
            for (int r = 0; r < (p ? 8 : 16); r++)
                memset(f->data[p] + r * f->linesize[p], p ? 128 : 200, p ? 8 : 16);
        overlay_box_blend(box, f, 0, 0);
        int y = f->data[0][3 * f->linesize[0] + 3];
        ok = abs(y - 108) <= 1 && abs(f->data[1][1] - 128) <= 1 &&
             abs(f->data[2][f->linesize[2] + 2] - 128) <= 1 &&
             f->data[0][3 * f->linesize[0] + 12] == 200;     /* outside the box */
    }
    av_frame_free(&f);
    overlay_box_free(&box);
    TEST_CHECK(ok);
    return 0;
}

static const struct overlay_text_style caption_style = {
    .font_px = 28, .max_width = 600, .max_lines = 2, .padding = 8,
    .text_rgb = 0xffffff, .box_rgb = 0x000000, .box_alpha = 0.6, .center = 1,
};

static const char long_french[] =
    "Merci Alice. Voici le « budget prévisionnel » de l'année prochaine, détaillé "
    "poste par poste et service par service, avec les écarts expliqués un à un "
    "et les hypothèses d'évolution des coûts de l'énergie.";

static int test_box_render_wraps(void)
{
    struct overlay_box *box = NULL;
    struct overlay_text_style s = caption_style;
    TEST_CHECK(overlay_box_render(&box, long_french, &s) == 0);
    int ok = box->line_count >= 1 && box->line_count <= 2 &&
             box->width <= s.max_width + 2 * s.padding && box->width % 2 == 0 &&
             box->height % 2 == 0 && box->height < 3 * 28 + 2 * s.padding;
    overlay_box_free(&box);
    TEST_CHECK(ok);

    s.max_lines = 0;                          /* unlimited: the same text needs more */
    TEST_CHECK(overlay_box_render(&box, long_french, &s) == 0);
    ok = box->line_count > 2 && box->width <= s.max_width + 2 * s.padding;
    overlay_box_free(&box);
    TEST_CHECK(ok);

    s.max_lines = 2;                          /* hard breaks count too */
    TEST_CHECK(overlay_box_render(&box, "un\ndeux\ntrois\nquatre", &s) == 0);
    ok = box->line_count <= 2;
    overlay_box_free(&box);
    TEST_CHECK(ok);

    s.max_width = 301;                        /* odd limit: width stays within it */
    s.padding = 5;
    TEST_CHECK(overlay_box_render(&box, long_french, &s) == 0);
    ok = box->width <= 301 + 10 && box->width % 2 == 0;
    overlay_box_free(&box);
    TEST_CHECK(ok);
    return 0;
}

static int boxes_equal(const struct overlay_box *a, const struct overlay_box *b)
{
    return a->width == b->width && a->height == b->height &&
           !memcmp(a->y, b->y, (size_t)a->width * a->height) &&
           !memcmp(a->a, b->a, (size_t)a->width * a->height);
}

static int test_box_render_text_changes(void)
{
    struct overlay_box *a = NULL, *b = NULL, *c = NULL;
    TEST_CHECK(overlay_box_render(&a, "Alice", &caption_style) == 0);
    TEST_CHECK(overlay_box_render(&b, "Bruno", &caption_style) == 0);
    TEST_CHECK(overlay_box_render(&c, "Alice", &caption_style) == 0);
    int ok = !boxes_equal(a, b) && boxes_equal(a, c) && a->line_count == 1;
    overlay_box_free(&a);
    overlay_box_free(&b);
    overlay_box_free(&c);
    TEST_CHECK(ok);
    return 0;
}

static int test_box_render_utf8(void)
{
    struct overlay_box *box = NULL;
    TEST_CHECK(overlay_box_render(&box, "« Ça, c'est déjà l'été ! » — Œuvre n°5",
                                  &caption_style) == 0);
    TEST_CHECK(box->line_count == 1);
    overlay_box_free(&box);
    TEST_CHECK(overlay_box_render(&box, "bad \xff\xfe utf-8 \xc3", &caption_style) == 0);
    overlay_box_free(&box);
    TEST_CHECK(overlay_box_render(&box, "", &caption_style) == 0);
    TEST_CHECK(box->width >= 2 * caption_style.padding && box->height % 2 == 0);
    overlay_box_free(&box);
    struct overlay_text_style bad = caption_style;
    bad.font_px = 0;
    TEST_CHECK(overlay_box_render(&box, "x", &bad) == AVERROR(EINVAL) && !box);
    return 0;
}

static int test_box_render_opaque_background(void)
{
    struct overlay_text_style s = caption_style;
    struct overlay_box *box = NULL;
    uint8_t yuv[3];
    s.box_rgb = 0x204080;
    s.box_alpha = 1.0;
    overlay_rgb_to_yuv(s.box_rgb, &yuv[0], &yuv[1], &yuv[2]);
    TEST_CHECK(overlay_box_render(&box, "Alice", &s) == 0);
    AVFrame *f = pattern_frame(320, 120);
    int ok = f != NULL;
    if (ok) {
        overlay_box_blend(box, f, 10, 20);
        /* The padding corner is the box colour exactly. */
        ok = f->data[0][21 * f->linesize[0] + 11] == yuv[0] &&
             f->data[1][10 * f->linesize[1] + 5] == yuv[1] &&
             f->data[2][10 * f->linesize[2] + 5] == yuv[2] &&
             f->data[0][19 * f->linesize[0] + 11] == pattern_at(0, 19, 11);
    }
    av_frame_free(&f);
    overlay_box_free(&box);
    TEST_CHECK(ok);
    return 0;
}

static int check_placeholder(const char *name, int phone)
{
    AVFrame *f = NULL;
    uint8_t y, u, v;
    TEST_CHECK(overlay_placeholder_render(&f, 320, 180, name, phone) == 0);
    TEST_CHECK(f->format == AV_PIX_FMT_YUV420P && f->width == 320 && f->height == 180);
    overlay_rgb_to_yuv(0x202124, &y, &u, &v);
    int corner = f->data[0][0], centre = f->data[0][90 * f->linesize[0] + 160];
    int centre_u = f->data[1][45 * f->linesize[1] + 80];
    int ok = corner == y && f->data[1][0] == u && (centre != corner || centre_u != u);
    av_frame_free(&f);
    TEST_CHECK(ok);
    return 0;
}

static int test_placeholder(void)
{
    TEST_CHECK(check_placeholder("Alice Martin", 0) == 0);
    TEST_CHECK(check_placeholder("élodie de la Fontaine", 0) == 0);
    TEST_CHECK(check_placeholder("", 0) == 0);
    TEST_CHECK(check_placeholder(NULL, 0) == 0);
    TEST_CHECK(check_placeholder("+33 1 23 45 67 89", 1) == 0);

    AVFrame *a = NULL, *b = NULL;
    TEST_CHECK(overlay_placeholder_render(&a, 64, 64, "Bruno", 0) == 0);
    TEST_CHECK(overlay_placeholder_render(&b, 64, 64, "Bruno", 0) == 0);
    int same = 1;
    for (int r = 0; r < 64; r++)
        same &= !memcmp(a->data[0] + r * a->linesize[0], b->data[0] + r * b->linesize[0], 64);
    av_frame_free(&a);
    av_frame_free(&b);
    TEST_CHECK(same);
    TEST_CHECK(overlay_placeholder_render(&a, 63, 64, "x", 0) == AVERROR(EINVAL) && !a);
    TEST_CHECK(overlay_placeholder_render(&a, 0, 64, "x", 0) == AVERROR(EINVAL) && !a);
    return 0;
}

/* Last: releases the font caches (they would show as leaks at exit), and rendering
 * still works after a release. */
static int test_thread_release(void)
{
    struct overlay_box *box = NULL;
    overlay_thread_release();
    TEST_CHECK(overlay_box_render(&box, "encore", &caption_style) == 0);
    TEST_CHECK(box->line_count == 1);
    overlay_box_free(&box);
    overlay_thread_release();
    return 0;
}

static const struct test_case overlay_cases[] = {
    { "rgb_to_yuv", test_rgb_to_yuv },
    { "fill_rect_clipping", test_fill_rect_clipping },
    { "draw_border", test_draw_border },
    { "blend_opaque", test_blend_opaque },
    { "blend_half", test_blend_half },
    { "box_render_wraps", test_box_render_wraps },
    { "box_render_text_changes", test_box_render_text_changes },
    { "box_render_utf8", test_box_render_utf8 },
    { "box_render_opaque_background", test_box_render_opaque_background },
    { "placeholder", test_placeholder },
    { "thread_release", test_thread_release },
    { NULL, NULL },
};

const struct test_suite overlay_suite = { "overlay", overlay_cases };
