/* A room tick's audio: read each present participant, measure its level and voice
 * activity, sum and limit the mix, pick the active speaker, feed the profiles.
 * (Mix-minus for talkers is computed per receiver by the live server.) */
#include <math.h>
#include <string.h>
#include "mixer/keybox.h"
#include "mixer/log.h"
#include "mixer/profile_out.h"
#include "mixer/prompt.h"
#include "mixer/room_priv.h"
#include "mixer/source.h"
#include "mixer/timeline.h"

#define ROOM_PROMPT_GAP_S 2           /* silence after each spoken prompt */

/* The spoken prompt a waiting participant is in, NULL when there is none at the
 * mix rate (it hears the beep). */
static const struct prompt *room_audio_prompt_clip(const struct room *r, struct room_participant *p)
{
    const struct prompt *clip;

    if (p->prompt_wrong && (!r->cfg.prompt_wrong || r->cfg.prompt_wrong->rate != r->cfg.mix_rate))
        p->prompt_wrong = 0;
    clip = p->prompt_wrong ? r->cfg.prompt_wrong : r->cfg.prompt_enter;
    return clip && clip->rate == r->cfg.mix_rate ? clip : NULL;
}

/* What a waiting participant hears, from the start of its wait: the spoken prompt
 * then ROOM_PROMPT_GAP_S of silence, again and again (after a wrong PIN, the
 * wrong-PIN prompt once first); without prompts a 440 Hz beep of 200 ms every 2 s. */
static void room_audio_prompt(const struct room *r, struct room_participant *p, float *dst, int n)
{
    const int rate = r->cfg.mix_rate;

    for (int i = 0; i < n; i++, p->prompt_pos++) {
        const struct prompt *clip = room_audio_prompt_clip(r, p);
        int64_t k;

        if (!clip) {
            k = p->prompt_pos % (2 * (int64_t)rate);
            dst[i] = k < rate / 5 ? 0.25f * (float)sin(2 * M_PI * 440.0 * (double)k / rate) : 0.0f;
            continue;
        }
        if (p->prompt_pos >= clip->count + (int64_t)ROOM_PROMPT_GAP_S * rate) {
            p->prompt_pos = 0;
            if (p->prompt_wrong) {
                p->prompt_wrong = 0;
                clip = room_audio_prompt_clip(r, p);
            }
        }
        dst[i] = clip && p->prompt_pos < clip->count ? clip->samples[p->prompt_pos] : 0.0f;
    }
}

/* Each participant with a return path hears everyone but itself (a waiting one
 * the prompt; a held one is encoded silence its paused sink does not send, so
 * its RTP timestamps keep pace with the clock). */
static void room_audio_mix_minus(struct room *r, int n)
{
    for (int i = 0; i < r->part_count; i++) {
        struct room_participant *p = &r->parts[i];

        if (!p->src || !p->return_audio)
            continue;
        if (room_phone_serves(r, p))         /* hears exactly the full mix, shared */
            continue;
        if (p->src->waiting)
            room_audio_prompt(r, p, r->minus, n);
        else if (p->held)
            memset(r->minus, 0, (size_t)n * sizeof(float));
        else if (p->src->has_audio && p->joined)
            amix_mix_minus(r->minus, r->mix, p->audio, n);
        else
            memcpy(r->minus, r->mix, (size_t)n * sizeof(float));
        amix_limiter_process(&p->return_limiter, r->minus, n);
        profile_out_push_audio(p->return_audio, r->minus, n);
    }
    room_phone_push(r, n);
}

/* Keys pressed by a participant: "*6" toggles its mute (as on FreeSWITCH and most
 * bridges). Other keys are kept for the next check. A waiting participant's keys
 * all go to its keybox. */
static void room_audio_dtmf(struct room_participant *p)
{
    struct source *s = p->src;

    if (s->waiting && s->dtmf_len) {
        for (int i = 0; i < s->dtmf_len; i++)
            keybox_push(s->waiting, s->dtmf[i]);
        s->dtmf_len = 0;
        s->dtmf[0] = '\0';
        return;
    }
    if (s->dtmf_len >= 2 && !strcmp(s->dtmf + s->dtmf_len - 2, "*6")) {
        p->muted = !p->muted;
        log_info("%s %s (DTMF *6)", s->name, p->muted ? "muted" : "unmuted");
        s->dtmf_len = 0;
        s->dtmf[0] = '\0';
    }
}

int room_audio_tick(struct room *r, int64_t a0, int n)
{
    const float *inputs[ROOM_MAX_PARTICIPANTS];
    int ids[ROOM_MAX_PARTICIPANTS], active[ROOM_MAX_PARTICIPANTS];
    double levels[ROOM_MAX_PARTICIPANTS];
    int count = 0;
    double start = (double)a0 / r->cfg.mix_rate;
    double now = (double)(a0 + n) / r->cfg.mix_rate;

    if (n > r->audio_capacity)
        n = r->audio_capacity;
    for (int i = 0; i < r->part_count; i++) {
        struct room_participant *p = &r->parts[i];

        if (!p->src || !p->joined || p->left)
            continue;
        room_audio_dtmf(p);
        if (p->src->waiting) {               /* heard by nobody */
            source_read_audio(p->src, p->audio, n);
            p->level_db = -120;
            p->speaking = 0;
            continue;
        }
        if (!p->src->has_audio) {
            p->level_db = -120;
            p->speaking = 0;
            continue;
        }
        source_read_audio(p->src, p->audio, n);
        if (p->muted || p->held)
            memset(p->audio, 0, (size_t)n * sizeof(float));
        p->level_db = amix_level_db(p->audio, n);
        /* The sender's own measure (RFC 6464) wins when it sends one: it is what it
         * heard before encoding, and what SFUs use too. */
        if (p->src->has_sender_level && !p->muted)
            p->level_db = p->src->sender_level_db;
        p->src->has_sender_level = 0;      /* fresh each tick, else the decoded level */
        p->speaking = amix_vad_update(&p->vad, now, p->level_db);
        if (r->cfg.timeline)
            timeline_update(r->cfg.timeline, p->src->id, start, now,
                            p->level_db >= r->cfg.vad_threshold_db);
        inputs[count] = p->audio;
        ids[count] = p->src->id;
        levels[count] = p->level_db;
        active[count] = p->speaking;
        count++;
    }
    amix_sum(r->mix, inputs, count, n);
    room_audio_mix_minus(r, n);
    amix_limiter_process(&r->limiter, r->mix, n);
    r->speaker_id = layout_speaker_update(&r->speaker, now, ids, levels, active, count);
    for (int i = 0; i < r->profile_count; i++) {
        int ret = profile_out_push_audio(r->profiles[i], r->mix, n);
        if (ret < 0)
            return ret;
    }
    return 0;
}
