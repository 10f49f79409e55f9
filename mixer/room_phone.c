/* Shared return audio for G.711 phones (the `phone` rule of DESIGN.md: N-1 for
 * active talkers only). A participant that adds nothing to the mix this tick
 * (muted, or sending no audio) hears exactly the full mix, so every such phone of
 * one codec is served by ONE encode of the full mix: its RTP sink moves from its
 * own mix-minus encoder to the room's shared one, and back when it contributes
 * again (unmuted, audio starts). G.711 has no encoder state, so a move is
 * seamless; the sink keeps its SSRC, sequence numbers and a continuous RTP clock
 * (sink_rtp_reopen). Held and waiting participants keep their own path (silence
 * or the PIN prompt). Room thread only. */
#include <string.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "mixer/profile_out.h"
#include "mixer/room_priv.h"
#include "mixer/source.h"
#include "mixer/sink.h"
#include "mixer/sink_rtp.h"

static const char *const room_phone_codecs[ROOM_PHONE_CODECS] = { "pcmu", "pcma" };

int room_phone_codec(const struct profile_out *out)
{
    const struct profile_def *def = profile_out_def(out);

    for (int k = 0; k < ROOM_PHONE_CODECS; k++)
        if (!strcmp(def->audio_codec, room_phone_codecs[k]) && def->sample_rate == 8000 && def->channels == 1)
            return k;
    return -1;
}

/* The room's shared encoder of this codec, started on first use. */
static struct profile_out *room_phone_shared(struct room *r, int k, const struct profile_out *like)
{
    struct profile_def def;
    struct profile_out_input in = { r->cfg.width, r->cfg.height, r->cfg.fps, r->cfg.mix_rate, 0 };

    if (r->phone_mix[k])
        return r->phone_mix[k];
    def = *profile_out_def(like);
    snprintf(def.name, sizeof(def.name), "phone-mix-%s", room_phone_codecs[k]);
    if (profile_out_alloc(&r->phone_mix[k], &def, &in) < 0)
        return NULL;
    if (profile_out_start(r->phone_mix[k]) < 0) {
        profile_out_free(&r->phone_mix[k]);
        return NULL;
    }
    amix_limiter_init(&r->phone_limiter[k], r->cfg.mix_rate, 0.5);
    return r->phone_mix[k];
}

/* Moves the participant's RTP sink between its own encoder and the shared one. */
static void room_phone_move(struct room *r, struct room_participant *p, int k, int to_shared)
{
    struct profile_out *from = to_shared ? p->return_audio : r->phone_mix[k];
    struct profile_out *to = to_shared ? room_phone_shared(r, k, p->return_audio) : p->return_audio;
    struct sink *s;

    if (!to || !(s = profile_out_take_sink(from, p->return_sink)))
        return;
    if (profile_out_add_sink(to, s) < 0) {       /* frees it */
        log_error("participant %d: its return audio could not move; it hears nothing", p->src->id);
        return;
    }
    sink_rtp_continue(s);
    p->on_phone_mix = to_shared;
}

int room_phone_serves(struct room *r, struct room_participant *p)
{
    const int k = p->phone_codec;
    int shared;

    if (k < 0)
        return 0;
    shared = !p->src->waiting && !p->held && !(p->src->has_audio && p->joined && !p->muted) && p->return_sink;
    if (shared != p->on_phone_mix)
        room_phone_move(r, p, k, shared);
    return p->on_phone_mix;
}

int room_phone_push(struct room *r, int n)
{
    for (int k = 0; k < ROOM_PHONE_CODECS; k++) {
        struct profile_out *out = r->phone_mix[k];
        int ret;

        if (!out || !profile_out_sink(out, 0))
            continue;
        memcpy(r->minus, r->mix, (size_t)n * sizeof(float));
        amix_limiter_process(&r->phone_limiter[k], r->minus, n);
        ret = profile_out_push_audio(out, r->minus, n);
        if (ret < 0)
            return ret;
    }
    return 0;
}

void room_phone_release(struct room *r, struct room_participant *p)
{
    struct sink *s;

    if (!p->on_phone_mix)
        return;
    s = profile_out_take_sink(r->phone_mix[p->phone_codec], p->return_sink);
    sink_free(&s);
    p->on_phone_mix = 0;
}

int room_phone_listeners(const struct room *r)
{
    int n = 0;

    for (int k = 0; k < ROOM_PHONE_CODECS; k++)
        for (int i = 0; r->phone_mix[k] && profile_out_sink(r->phone_mix[k], i); i++)
            n++;
    return n;
}

void room_phone_free(struct room *r)
{
    for (int k = 0; k < ROOM_PHONE_CODECS; k++) {
        if (r->phone_mix[k])
            profile_out_finish(r->phone_mix[k], room_time(r));
        profile_out_free(&r->phone_mix[k]);
    }
}
