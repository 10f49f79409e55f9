/* A room tick's picture: place participants, pick each tile's picture (latest
 * frame, or a placeholder for audio-only and stalled video), composite, draw name
 * labels, the speaker border and the caption band, then feed the profiles. */
#include <string.h>
#include <libavutil/mem.h>
#include <libavutil/avstring.h>
#include "mixer/captions.h"
#include "mixer/compositor.h"
#include "mixer/log.h"
#include "mixer/overlay.h"
#include "mixer/profile_out.h"
#include "mixer/room_priv.h"
#include "mixer/source.h"

#define ROOM_SPEAKER_COLOR 0x4FC3F7
#define ROOM_PLACEHOLDER_SERIAL (-1)

void room_video_free_participant(struct room_participant *p)
{
    av_frame_free(&p->placeholder);
    overlay_box_free(&p->label);
}

void room_video_free(struct room *r)
{
    overlay_box_free(&r->caption_box);
    av_freep(&r->caption_text);
    av_freep(&r->live_caption);
}

/* The picture of a tile: the participant's latest frame while it is fresh, else
 * its placeholder (rendered once per tile size). */
static const AVFrame *room_tile_picture(struct room *r, struct room_participant *p, double t,
                                        int w, int h, int64_t *serial)
{
    struct source *s = p->src;
    double local = t - s->join_at;

    if (s->has_video && s->video && local - s->video_time <= r->cfg.stale_video_s) {
        *serial = s->video_serial;
        return s->video;
    }
    if (!p->placeholder || p->placeholder->width != w || p->placeholder->height != h) {
        av_frame_free(&p->placeholder);
        if (overlay_placeholder_render(&p->placeholder, w, h, s->name, s->is_phone) < 0)
            return NULL;
    }
    *serial = ROOM_PLACEHOLDER_SERIAL;
    return p->placeholder;
}

static void room_draw_label(struct room_participant *p, AVFrame *canvas, int x, int y, int w, int h)
{
    if (!p->label || p->label_width != w) {
        struct overlay_text_style style = {
            .font_px = h / 16 > 12 ? h / 16 : 12,
            .max_width = w * 3 / 4,
            .max_lines = 1,
            .padding = 4,
            .text_rgb = 0xFFFFFF,
            .box_rgb = 0x000000,
            .box_alpha = 0.6,
        };
        overlay_box_free(&p->label);
        if (overlay_box_render(&p->label, p->src->name, &style) < 0)
            return;
        p->label_width = w;
    }
    if (p->label->height + 12 < h)
        overlay_box_blend(p->label, canvas, x + 8, y + h - p->label->height - 8);
}

/* The caption band: re-rendered only when the shown text changes. */
static void room_draw_caption(struct room *r, AVFrame *canvas, double t)
{
    const struct caption_cue *cue = r->cfg.captions ? caption_track_active(r->cfg.captions, t) : NULL;
    char *text = NULL;

    if (r->live_caption && t < r->live_caption_until)
        text = av_strdup(r->live_caption);
    else if (cue)
        text = caption_cue_display_text(cue);
    int changed;

    changed = (text == NULL) != (r->caption_text == NULL) || (text && strcmp(text, r->caption_text));

    if (changed) {
        struct overlay_text_style style = {
            .font_px = r->cfg.height / 22.0,
            .max_width = r->cfg.width * 4 / 5,
            .max_lines = 2,
            .padding = r->cfg.height / 72,
            .text_rgb = 0xFFFFFF,
            .box_rgb = 0x000000,
            .box_alpha = 0.7,
            .center = 1,
        };
        overlay_box_free(&r->caption_box);
        av_freep(&r->caption_text);
        if (text && overlay_box_render(&r->caption_box, text, &style) >= 0) {
            r->caption_text = text;
            text = NULL;
        }
    }
    av_free(text);
    if (r->caption_box)
        overlay_box_blend(r->caption_box, canvas, (r->cfg.width - r->caption_box->width) / 2,
                          r->cfg.height - r->caption_box->height - r->cfg.height * 4 / 100);
}

static AVFrame *room_new_canvas(const struct room_config *cfg)
{
    AVFrame *f = av_frame_alloc();

    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width = cfg->width;
    f->height = cfg->height;
    if (av_frame_get_buffer(f, 0) < 0)
        av_frame_free(&f);
    return f;
}

int room_video_tick(struct room *r, double t)
{
    struct layout_participant present[ROOM_MAX_PARTICIPANTS];
    struct layout_placement placed[LAYOUT_MAX_SLOTS];
    struct compositor_tile tiles[LAYOUT_MAX_SLOTS];
    int present_count = 0, placed_count, tile_count = 0, ret = 0;
    AVFrame *canvas;

    for (int i = 0; i < r->part_count; i++) {
        struct room_participant *p = &r->parts[i];
        if (p->src && p->joined && !p->left && !p->src->waiting)
            present[present_count++] = (struct layout_participant){ p->src->id, p->src->is_screen };
    }
    placed_count = layout_engine_place(r->layout, present, present_count, r->speaker_id,
                                       placed, LAYOUT_MAX_SLOTS);
    for (int i = 0; i < placed_count; i++) {
        struct room_participant *p = room_find(r, placed[i].id);
        struct compositor_tile *tile = &tiles[tile_count];

        if (!p)
            continue;
        tile->id = placed[i].id;
        tile->fit = placed[i].slot.fit;
        compositor_slot_rect(&placed[i].slot, r->cfg.width, r->cfg.height,
                             &tile->x, &tile->y, &tile->w, &tile->h);
        if (tile->w < 2 || tile->h < 2)
            continue;
        tile->frame = room_tile_picture(r, p, t, tile->w, tile->h, &tile->serial);
        tile_count++;
    }
    canvas = room_new_canvas(&r->cfg);
    if (!canvas)
        return AVERROR(ENOMEM);
    compositor_draw(r->compositor, canvas, tiles, tile_count);
    for (int i = 0; i < tile_count; i++) {
        const struct compositor_tile *tile = &tiles[i];
        if (tile->id == r->speaker_id && tile_count > 1)
            overlay_draw_border(canvas, tile->x, tile->y, tile->w, tile->h,
                                r->cfg.height / 180 * 2 > 2 ? r->cfg.height / 180 * 2 : 2,
                                ROOM_SPEAKER_COLOR);
        room_draw_label(room_find(r, tile->id), canvas, tile->x, tile->y, tile->w, tile->h);
    }
    room_draw_caption(r, canvas, t);
    for (int i = 0; i < r->profile_count && ret >= 0; i++)
        ret = profile_out_push_video(r->profiles[i], canvas, r->tick);
    av_frame_free(&canvas);
    return ret;
}
