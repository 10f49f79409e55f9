/* Room lifecycle and the per-tick sequence: join/advance sources, mix audio,
 * compose video, feed the profiles. */
#include <string.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
#include <libavutil/avstring.h>
#include "mixer/captions.h"
#include "mixer/compositor.h"
#include "mixer/keybox.h"
#include "mixer/log.h"
#include "mixer/profile_out.h"
#include "mixer/room_priv.h"
#include "mixer/sink.h"
#include "mixer/source.h"
#include "mixer/timeline.h"

#define ROOM_BACKGROUND 0x101010

void room_config_defaults(struct room_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->width = 1280;
    cfg->height = 720;
    cfg->fps = 30;
    cfg->mix_rate = 48000;
    cfg->speaker_hold_s = 1.5;
    cfg->stale_video_s = 2.0;
    cfg->vad_threshold_db = -45.0;
}

int room_alloc(struct room **out, const struct room_config *cfg)
{
    struct room *r = av_mallocz(sizeof(*r));
    int ret;

    if (!r)
        return AVERROR(ENOMEM);
    r->cfg = *cfg;
    r->speaker_id = -1;
    r->audio_capacity = cfg->mix_rate / cfg->fps + 2;
    r->mix = av_calloc(r->audio_capacity, sizeof(float));
    r->minus = av_calloc(r->audio_capacity, sizeof(float));
    if (!r->mix || !r->minus) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    ret = layout_engine_alloc(&r->layout, cfg->layout);
    if (ret < 0)
        goto fail;
    ret = compositor_alloc(&r->compositor, cfg->width, cfg->height, ROOM_BACKGROUND);
    if (ret < 0)
        goto fail;
    layout_speaker_init(&r->speaker, cfg->speaker_hold_s);
    amix_limiter_init(&r->limiter, cfg->mix_rate, 0.5);
    *out = r;
    return 0;
fail:
    room_free(&r);
    return ret;
}

void room_free(struct room **pp)
{
    struct room *r = *pp;

    if (!r)
        return;
    for (int i = 0; i < r->part_count; i++)
        room_release_participant(r, &r->parts[i]);
    for (int i = 0; i < r->profile_count; i++)
        profile_out_free(&r->profiles[i]);
    room_phone_free(r);
    room_video_free(r);
    layout_engine_free(&r->layout);
    compositor_free(&r->compositor);
    av_free(r->mix);
    av_free(r->minus);
    av_free(r);
    *pp = NULL;
}

struct room_participant *room_find(struct room *r, int id)
{
    for (int i = 0; i < r->part_count; i++)
        if (r->parts[i].src && r->parts[i].src->id == id)
            return &r->parts[i];
    return NULL;
}

struct source *room_source(const struct room *r, int id)
{
    struct room_participant *p = room_find((struct room *)r, id);
    return p ? p->src : NULL;
}

int room_add_source(struct room *r, struct source *s)
{
    return room_add_source_id(r, s, r->next_id);
}

int room_add_source_id(struct room *r, struct source *s, int id)
{
    struct room_participant *p = NULL;

    if (room_find(r, id)) {
        source_free(&s);
        return AVERROR(EEXIST);
    }
    for (int i = 0; i < r->part_count && !p; i++)
        if (!r->parts[i].src)
            p = &r->parts[i];
    if (!p && r->part_count < ROOM_MAX_PARTICIPANTS)
        p = &r->parts[r->part_count++];
    if (!p) {
        log_error("room: more than %d participants", ROOM_MAX_PARTICIPANTS);
        source_free(&s);
        return AVERROR(ENOSPC);
    }
    memset(p, 0, sizeof(*p));
    p->audio = av_calloc(r->audio_capacity, sizeof(float));
    if (!p->audio) {
        source_free(&s);
        return AVERROR(ENOMEM);
    }
    s->id = id;
    if (id >= r->next_id)
        r->next_id = id + 1;
    p->src = s;
    p->level_db = -120;
    amix_vad_init(&p->vad, r->cfg.vad_threshold_db, 0.3);
    return 0;
}

/* Frees what a participant holds; its slot becomes free. */
void room_release_participant(struct room *r, struct room_participant *p)
{
    room_phone_release(r, p);
    if (p->return_audio) {
        profile_out_finish(p->return_audio, room_time(r));
        profile_out_free(&p->return_audio);
    }
    room_video_free_participant(p);
    source_free(&p->src);
    av_freep(&p->audio);
    memset(p, 0, sizeof(*p));
}

int room_remove_source(struct room *r, int id)
{
    struct room_participant *p = room_find(r, id);

    if (!p)
        return AVERROR(ENOENT);
    layout_speaker_remove(&r->speaker, id);
    if (r->cfg.timeline && p->joined && !p->left) {
        double t = (double)r->tick / r->cfg.fps;
        timeline_update(r->cfg.timeline, id, t, t, 0);
    }
    room_release_participant(r, p);
    return 0;
}

int room_add_profile(struct room *r, struct profile_out *p)
{
    int ret;

    if (r->profile_count >= ROOM_MAX_PROFILES) {
        profile_out_free(&p);
        return AVERROR(ENOSPC);
    }
    if (r->started && (ret = profile_out_start(p)) < 0) {
        profile_out_free(&p);
        return ret;
    }
    r->profiles[r->profile_count++] = p;
    return 0;
}

struct profile_out *room_find_profile(const struct room *r, const char *name)
{
    for (int i = 0; i < r->profile_count; i++)
        if (!strcmp(profile_out_def(r->profiles[i])->name, name))
            return r->profiles[i];
    return NULL;
}

int room_add_return_audio(struct room *r, int id, struct profile_out *out)
{
    struct room_participant *p = room_find(r, id);
    int ret;

    if (!p || p->return_audio) {
        profile_out_free(&out);
        return AVERROR(p ? EEXIST : ENOENT);
    }
    if (r->started && (ret = profile_out_start(out)) < 0) {
        profile_out_free(&out);
        return ret;
    }
    amix_limiter_init(&p->return_limiter, r->cfg.mix_rate, 0.5);
    p->return_audio = out;
    p->return_sink = profile_out_sink(out, 0);
    p->phone_codec = room_phone_codec(out);
    return 0;
}

int room_set_mute(struct room *r, int id, int muted)
{
    struct room_participant *p = room_find(r, id);

    if (!p)
        return AVERROR(ENOENT);
    p->muted = muted;
    return 0;
}

int room_push_dtmf(struct room *r, int id, char key)
{
    struct room_participant *p = room_find(r, id);

    if (!p)
        return AVERROR(ENOENT);
    source_push_dtmf(p->src, key);
    return 0;
}

int room_admit(struct room *r, int id)
{
    struct room_participant *p = room_find(r, id);

    if (!p)
        return AVERROR(ENOENT);
    keybox_unref(&p->src->waiting);
    return 0;
}

int room_prompt_wrong(struct room *r, int id)
{
    struct room_participant *p = room_find(r, id);

    if (!p)
        return AVERROR(ENOENT);
    p->prompt_wrong = 1;
    p->prompt_pos = 0;
    return 0;
}

int room_set_hold(struct room *r, int id, int held)
{
    struct room_participant *p = room_find(r, id);

    if (!p)
        return AVERROR(ENOENT);
    p->held = held;
    if (p->return_sink)                  /* wherever it is (see room_phone.c) */
        p->return_sink->paused = held;
    return 0;
}

int room_pin(struct room *r, int id, int slot_index)
{
    return layout_engine_pin(r->layout, id, slot_index);
}

void room_set_layout(struct room *r, const struct layout_def *def)
{
    layout_engine_set_def(r->layout, def);
}

double room_time(const struct room *r)
{
    return (double)r->tick / r->cfg.fps;
}

int room_set_live_caption(struct room *r, const char *speaker, const char *text, int final,
                          double hold_s)
{
    char *line;
    double now = room_time(r);

    if (speaker && *speaker)
        line = av_asprintf("%s: %s", speaker, text);
    else
        line = av_strdup(text);
    if (!line)
        return AVERROR(ENOMEM);
    av_free(r->live_caption);
    r->live_caption = line;
    /* Interim text stays until replaced, at most a while if the service stalls. */
    r->live_caption_until = now + (final ? hold_s : 10.0);
    if (final)
        for (int i = 0; i < r->profile_count; i++)
            profile_out_push_caption(r->profiles[i], now, now + hold_s, line);
    return 0;
}

int room_start(struct room *r)
{
    for (int i = 0; i < r->profile_count; i++) {
        int ret = profile_out_start(r->profiles[i]);
        if (ret < 0)
            return ret;
    }
    r->started = 1;
    return 0;
}

/* Joins sources whose time has come and advances the present ones. */
static void room_advance_sources(struct room *r, double t, int64_t a0, int64_t a1)
{
    for (int i = 0; i < r->part_count; i++) {
        struct room_participant *p = &r->parts[i];
        struct source *s = p->src;
        int ret;

        if (!s || p->left)
            continue;
        if (!p->joined) {
            if (t + 1e-9 < s->join_at)
                continue;
            p->joined = 1;
            p->join_sample = a0;
            if (r->cfg.timeline)
                timeline_add_participant(r->cfg.timeline, s->id, s->name);
            log_debug("%s joins at %.2f s", s->name, t);
        }
        ret = s->ops->advance(s, t - s->join_at, a1 - p->join_sample);
        if (ret < 0)
            log_warn("%s: %s", s->name, av_err2str(ret));
    }
}

/* Participants whose media has ended leave (the layout reflows). */
static void room_remove_ended(struct room *r, double t)
{
    for (int i = 0; i < r->part_count; i++) {
        struct room_participant *p = &r->parts[i];

        if (p->src && p->joined && !p->left && p->src->ended) {
            log_debug("%s leaves at %.2f s", p->src->name, t);
            room_remove_source(r, p->src->id);
        }
    }
}

/* Sends caption cues that start now to the profiles' subtitle tracks. */
static void room_send_captions(struct room *r, double t)
{
    const struct caption_track *track = r->cfg.captions;

    while (track && r->next_cue < track->count && track->cues[r->next_cue].start <= t) {
        const struct caption_cue *cue = &track->cues[r->next_cue++];
        char *text = caption_cue_display_text(cue);

        if (!text)
            continue;
        for (int i = 0; i < r->profile_count; i++)
            profile_out_push_caption(r->profiles[i], cue->start, cue->end, text);
        av_free(text);
    }
}

int room_tick(struct room *r)
{
    const struct room_config *cfg = &r->cfg;
    double t = (double)r->tick / cfg->fps;
    int64_t a0 = av_rescale(r->tick, cfg->mix_rate, cfg->fps);
    int64_t a1 = av_rescale(r->tick + 1, cfg->mix_rate, cfg->fps);
    int ret;

    room_advance_sources(r, t, a0, a1);
    room_remove_ended(r, t);
    if (cfg->end_when_all_left && room_all_ended(r))
        return AVERROR_EOF;
    ret = room_audio_tick(r, a0, (int)(a1 - a0));
    if (ret < 0)
        return ret;
    room_send_captions(r, t);
    ret = room_video_tick(r, t);
    if (ret < 0)
        return ret;
    r->tick++;
    return 0;
}

int room_all_ended(const struct room *r)
{
    for (int i = 0; i < r->part_count; i++)
        if (r->parts[i].src)
            return 0;
    return 1;
}

int room_finish(struct room *r)
{
    int ret = 0;

    if (r->finished)
        return 0;
    r->finished = 1;
    for (int i = 0; i < r->profile_count; i++) {
        int err = profile_out_finish(r->profiles[i], room_time(r));
        if (err < 0 && ret >= 0)
            ret = err;
    }
    return ret;
}

void room_get_stats(const struct room *r, struct room_stats *st)
{
    st->ticks = r->tick;
    st->media_time = (double)r->tick / r->cfg.fps;
    st->participants_present = 0;
    for (int i = 0; i < r->part_count; i++)
        if (r->parts[i].src && r->parts[i].joined && !r->parts[i].left)
            st->participants_present++;
    st->speaker_id = r->speaker_id;
}

int room_fps(const struct room *r)
{
    return r->cfg.fps;
}

int room_profile_count(const struct room *r)
{
    return r->profile_count;
}

struct profile_out *room_profile(const struct room *r, int i)
{
    return i >= 0 && i < r->profile_count ? r->profiles[i] : NULL;
}
