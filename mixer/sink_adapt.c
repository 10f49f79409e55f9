/* Adaptive WebRTC viewer (see sink_adapt.h): tap sinks in the ladder's profiles,
 * one-second samples of the real video sink's feedback into mixer/adapt.c, and
 * the move to another profile at its keyframe. */
#include <stdatomic.h>
#include <string.h>
#include <jansson.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "mixer/room.h"
#include "mixer/room_thread.h"
#include "mixer/sink.h"
#include "mixer/sink_adapt.h"
#include "mixer/sink_rtp.h"
#include "net/rtcp.h"
#include "net/rtp_endpoint.h"

#define SINK_ADAPT_SAMPLE_US 1000000
#define SINK_ADAPT_KEYFRAME_RETRY_US 1000000

static _Atomic uint64_t sink_adapt_down_total, sink_adapt_up_total;

struct sink_adapt_tap;

struct sink_adapt {
    int refs;                            /* taps + queued moves; room thread only */
    struct sink_adapt_config cfg;
    struct adapt ctl;
    struct sink *video, *audio;          /* the real RTP sinks, owned */
    struct sink_adapt_tap *taps[ADAPT_MAX_RUNGS];   /* borrowed (their profile owns them) */
    struct sink_adapt_tap *active, *pending;
    int keyframe_wanted;                 /* asked through the audio sink's RTCP */
    uint64_t next_sample_us, pending_key_us;
    uint64_t last_packets, last_retransmitted, last_bytes, last_sample_us;
    int have_rr;                         /* a report block of the video arrived */
    uint32_t rr_highest_seq;             /* its latest extended highest sequence number */
    int32_t rr_lost;                     /* and its latest cumulative loss */
    uint32_t sample_highest_seq;         /* the same at the previous sample */
    int32_t sample_lost;
    int have_sample_rr;                  /* those are set */
    int64_t remb_bps;                    /* latest REMB, -1: none */
    double jitter_ms;
    double rr_loss;                      /* reported loss over the last sample (debug log) */
    int switches_down, switches_up;
    char reason[96];
};

struct sink_adapt_tap {
    struct sink_adapt *v;
    int rung;                            /* -1: the audio tap */
    AVCodecContext *const *enc;          /* the profile's encoders, borrowed */
    int enc_count;
    int video_index;
};

static void sink_adapt_unref(struct sink_adapt **p)
{
    struct sink_adapt *v = *p;

    *p = NULL;
    if (!v || --v->refs > 0)
        return;
    sink_free(&v->video);
    sink_free(&v->audio);
    av_free(v);
}

/* Both real sinks read the bundled transport's RTCP: either may see the video's
 * report block or the REMB. */
static void sink_adapt_on_rtcp(void *opaque, const struct rtcp_info *info)
{
    struct sink_adapt *v = opaque;

    for (int i = 0; i < info->report_count; i++) {
        const struct rtcp_report_block *b = &info->reports[i];
        if (b->ssrc != v->cfg.video_ssrc)
            continue;
        if (v->have_rr && (int32_t)(b->highest_seq - v->rr_highest_seq) < 0)
            continue;                    /* an older report, reordered */
        v->have_rr = 1;
        v->rr_highest_seq = b->highest_seq;
        v->rr_lost = b->cumulative_lost;
        v->jitter_ms = b->jitter / 90.0;
    }
    if (info->has_remb)
        v->remb_bps = (int64_t)info->remb_bitrate;
}

/* --- moves --- */

struct sink_adapt_move {
    struct sink_adapt *v;                /* a reference */
    int rung;
};

static void sink_adapt_move_free(void *arg)
{
    struct sink_adapt_move *m = arg;

    sink_adapt_unref(&m->v);
    av_free(m);
}

static int sink_adapt_tap_alloc(struct sink_adapt *v, int rung, struct sink **out);

/* A move that could not happen: the controller is back on the rung being sent. */
static void sink_adapt_move_failed(struct sink_adapt *v)
{
    v->pending = NULL;
    if (v->active)
        v->ctl.rung = v->active->rung;
}

/* Room thread, between ticks: subscribe the target profile (a tap, pending its
 * keyframe), starting the profile if the room does not run it. */
static void sink_adapt_move_cmd(struct room *room, void *arg)
{
    struct sink_adapt_move *m = arg;
    struct sink_adapt *v = m->v;
    const struct profile_def *def = &v->cfg.rungs[m->rung];
    struct profile_out *p;
    struct sink *tap = NULL;

    if (!v->active)                      /* the viewer left meanwhile */
        return;
    v->pending = NULL;
    if (v->taps[m->rung] == v->active)   /* moved back before the switch happened */
        return;
    if (!v->taps[m->rung]) {
        p = room_find_profile(room, def->name);
        if (!p) {
            if (profile_out_alloc(&p, def, &v->cfg.in) < 0 || room_add_profile(room, p) < 0) {
                log_error("output %s: cannot start profile %s to move there", v->video->url, def->name);
                sink_adapt_move_failed(v);
                return;
            }
            p = room_find_profile(room, def->name);
        }
        if (!p || sink_adapt_tap_alloc(v, m->rung, &tap) < 0 || profile_out_add_sink(p, tap) < 0) {
            log_error("output %s: cannot subscribe profile %s", v->video->url, def->name);
            sink_adapt_move_failed(v);
            return;
        }
    }
    v->pending = v->taps[m->rung];
    v->pending_key_us = 0;
}

static void sink_adapt_request_move(struct sink_adapt *v, int rung)
{
    struct sink_adapt_move *m = av_mallocz(sizeof(*m));

    if (!m)
        return;
    m->v = v;
    v->refs++;
    m->rung = rung;
    room_thread_post(v->cfg.thread, sink_adapt_move_cmd, m, sink_adapt_move_free);
}

/* The pending tap's keyframe arrived: the real sink follows that profile now. */
static int sink_adapt_switch(struct sink_adapt *v, struct sink_adapt_tap *t)
{
    const char *from = v->cfg.rungs[v->active->rung].name, *to = v->cfg.rungs[t->rung].name;
    int ret = sink_rtp_reopen(v->video, t->enc, t->enc_count);

    if (ret < 0) {
        log_error("output %s: cannot switch to profile %s", v->video->url, to);
        sink_adapt_move_failed(v);
        return ret;
    }
    if (t->rung < v->active->rung) {
        v->switches_down++;
        atomic_fetch_add(&sink_adapt_down_total, 1);
    } else {
        v->switches_up++;
        atomic_fetch_add(&sink_adapt_up_total, 1);
    }
    log_info("output %s: profile %s -> %s at its keyframe (%s)", v->video->url, from, to, v->ctl.reason);
    v->active = t;
    v->pending = NULL;
    return 0;
}

/* Once a second on the active tap's poll: one sample into the controller. */
static void sink_adapt_sample(struct sink_adapt *v, uint64_t now)
{
    struct sink_rtp_stats st;
    struct adapt_sample s;
    uint64_t sent, resent, bytes, elapsed;
    int dir;

    if (now < v->next_sample_us)
        return;
    v->next_sample_us = now + SINK_ADAPT_SAMPLE_US;
    sink_rtp_get_stats(v->video, &st);
    sent = st.packets - v->last_packets;
    resent = st.retransmitted - v->last_retransmitted;
    bytes = st.bytes - v->last_bytes;
    elapsed = v->last_sample_us ? now - v->last_sample_us : 0;
    v->last_packets = st.packets;
    v->last_retransmitted = st.retransmitted;
    v->last_bytes = st.bytes;
    v->last_sample_us = now;
    s.sent_bps = elapsed ? (int64_t)(bytes * 8 * 1000000 / elapsed) : 0;
    /* The receiver NACKs what it missed, and a retransmission that arrives takes
     * the loss back out of its reports: NACKed packets are the loss seen first.
     * Its reports count what stayed lost (cumulative loss over the packets
     * expected since the last sample; a report's fraction lost covers whatever
     * short interval preceded it, e.g. a NACK's compound, so it is too noisy). */
    s.loss = sent ? (double)resent / (double)sent : 0;
    v->rr_loss = 0;
    if (v->have_rr) {
        int64_t expected = (int32_t)(v->rr_highest_seq - v->sample_highest_seq);
        int64_t lost = (int64_t)v->rr_lost - v->sample_lost;
        double rr = expected > 0 && v->have_sample_rr ? (double)lost / (double)expected : 0;
        v->rr_loss = rr;
        if (rr > s.loss)
            s.loss = rr;
        v->sample_highest_seq = v->rr_highest_seq;
        v->sample_lost = v->rr_lost;
        v->have_sample_rr = 1;
    }
    s.remb_bps = v->remb_bps;
    if (!sent || !elapsed || !v->cfg.adaptive || v->cfg.rung_count < 2)
        return;
    dir = adapt_step(&v->ctl, &s);
    log_debug("output %s: sent %llu packets (%lld b/s), %llu NACKed, reported lost %.3f, REMB %lld -> "
              "loss %.3f, bad %d s, clean %d s, hold-off %d s", v->video->url, (unsigned long long)sent,
              (long long)s.sent_bps, (unsigned long long)resent, v->rr_loss, (long long)s.remb_bps,
              v->ctl.loss, v->ctl.bad_s, v->ctl.clean_s, v->ctl.holdoff_s);
    if (dir) {
        log_info("output %s: moving to profile %s (%s)", v->video->url, v->cfg.rungs[v->ctl.rung].name,
                 v->ctl.reason);
        sink_adapt_request_move(v, v->ctl.rung);
    }
}

/* --- the tap sink --- */

static int sink_adapt_tap_open(struct sink *s, AVCodecContext *const *encoders, int count)
{
    struct sink_adapt_tap *t = s->priv;

    t->enc = encoders;
    t->enc_count = count;
    t->video_index = -1;
    for (int i = 0; i < count; i++)
        if (encoders[i]->codec_type == AVMEDIA_TYPE_VIDEO)
            t->video_index = i;
    if (t->rung < 0)
        return sink_open(t->v->audio, encoders, count);
    if (t == t->v->active)
        return sink_open(t->v->video, encoders, count);
    return t->video_index >= 0 ? 0 : AVERROR(EINVAL);
}

static int sink_adapt_tap_write(struct sink *s, const AVPacket *pkt, int stream_index)
{
    struct sink_adapt_tap *t = s->priv;
    struct sink_adapt *v = t->v;

    /* The real sinks are in no profile: they packetize with the fanout of the
     * tap's profile (shared payloads, and the history NACKs are answered from). */
    if (t->rung < 0) {
        v->audio->fanout = s->fanout;
        return sink_write(v->audio, pkt, stream_index);
    }
    if (stream_index != t->video_index)
        return 0;
    if (t == v->pending && (pkt->flags & AV_PKT_FLAG_KEY) && sink_adapt_switch(v, t) < 0)
        return 0;
    if (t != v->active)
        return 0;
    v->video->fanout = s->fanout;
    return sink_write(v->video, pkt, stream_index);
}

static int sink_adapt_tap_poll(struct sink *s)
{
    struct sink_adapt_tap *t = s->priv;
    struct sink_adapt *v = t->v;
    uint64_t now = rtp_endpoint_now_us();
    int want;

    if (t->rung < 0) {
        if (sink_poll(v->audio))
            v->keyframe_wanted = 1;
        return 0;
    }
    if (t == v->pending) {
        /* The target profile's keyframe, asked again each second until it comes. */
        if (now < v->pending_key_us)
            return 0;
        v->pending_key_us = now + SINK_ADAPT_KEYFRAME_RETRY_US;
        return 1;
    }
    if (t != v->active)
        return 0;
    want = sink_poll(v->video) || v->keyframe_wanted;
    v->keyframe_wanted = 0;
    sink_adapt_sample(v, now);
    return want;
}

static int sink_adapt_tap_close(struct sink *s)
{
    struct sink_adapt_tap *t = s->priv;

    if (t->rung < 0)
        return sink_close(t->v->audio);
    return t == t->v->active ? sink_close(t->v->video) : 0;
}

static void sink_adapt_tap_free(void *priv)
{
    struct sink_adapt_tap *t = priv;
    struct sink_adapt *v;

    if (!t)
        return;
    v = t->v;
    if (t->rung >= 0 && v->taps[t->rung] == t)
        v->taps[t->rung] = NULL;
    if (v->active == t)
        v->active = NULL;
    if (v->pending == t)
        v->pending = NULL;
    sink_adapt_unref(&t->v);
    av_free(t);
}

static json_t *sink_adapt_tap_json(const struct sink *s)
{
    const struct sink_adapt_tap *t = s->priv;
    const struct sink_adapt *v = t->v;

    if (t->rung < 0)
        return NULL;
    return json_pack("{s:{s:b, s:b, s:b, s:s, s:s, s:i, s:i, s:i, s:s, s:f, s:I, s:I, s:f}}", "adapt",
                     "adaptive", v->cfg.adaptive && v->cfg.rung_count > 1, "active", t == v->active,
                     "pending", t == v->pending,
                     "profile", v->active ? v->cfg.rungs[v->active->rung].name : "",
                     "ceiling", v->cfg.rungs[v->cfg.rung_count - 1].name,
                     "switches", v->switches_down + v->switches_up, "switches_down", v->switches_down,
                     "switches_up", v->switches_up, "last_reason", v->ctl.reason,
                     "loss_pct", v->ctl.loss * 100, "remb_kbps", (json_int_t)(v->remb_bps < 0 ? -1 : v->remb_bps / 1000),
                     "sent_kbps", (json_int_t)(v->ctl.sent_bps / 1000), "jitter_ms", v->jitter_ms);
}

static const struct sink_ops sink_adapt_tap_ops = {
    .name = "adapt",
    .open = sink_adapt_tap_open,
    .write = sink_adapt_tap_write,
    .close = sink_adapt_tap_close,
    .poll = sink_adapt_tap_poll,
    .free_priv = sink_adapt_tap_free,
    .state_json = sink_adapt_tap_json,
};

/* A tap of rung (-1: audio) with a reference on v; *out on success. */
static int sink_adapt_tap_alloc(struct sink_adapt *v, int rung, struct sink **out)
{
    struct sink *s = av_mallocz(sizeof(*s));
    struct sink_adapt_tap *t = av_mallocz(sizeof(*t));
    const struct sink *real = rung < 0 ? v->audio : v->video;

    if (!s || !t) {
        av_free(s);
        av_free(t);
        return AVERROR(ENOMEM);
    }
    t->v = v;
    v->refs++;
    t->rung = rung;
    t->video_index = -1;
    s->ops = &sink_adapt_tap_ops;
    s->priv = t;
    s->id = real->id;
    snprintf(s->url, sizeof(s->url), "%s", real->url);
    if (rung >= 0)
        v->taps[rung] = t;
    *out = s;
    return 0;
}

int sink_adapt_alloc(const struct sink_adapt_config *cfg, struct sink *video, struct sink *audio,
                     struct sink **video_tap, struct sink **audio_tap)
{
    struct sink_adapt *v = av_mallocz(sizeof(*v));
    int bitrates[ADAPT_MAX_RUNGS];
    struct sink *vt = NULL, *at = NULL;
    int ret;

    if (!v) {
        sink_free(&video);
        sink_free(&audio);
        return AVERROR(ENOMEM);
    }
    v->refs = 1;                         /* ours until the taps hold it */
    v->cfg = *cfg;
    v->video = video;
    v->audio = audio;
    v->remb_bps = -1;
    for (int i = 0; i < cfg->rung_count; i++)
        bitrates[i] = cfg->rungs[i].video_bitrate;
    adapt_init(&v->ctl, &cfg->thresholds, bitrates, cfg->rung_count, cfg->rung_count - 1);
    sink_rtp_set_rtcp_observer(video, sink_adapt_on_rtcp, v);
    if (audio)
        sink_rtp_set_rtcp_observer(audio, sink_adapt_on_rtcp, v);
    if ((ret = sink_adapt_tap_alloc(v, cfg->rung_count - 1, &vt)) < 0 ||
        (audio && (ret = sink_adapt_tap_alloc(v, -1, &at)) < 0)) {
        sink_free(&vt);
        sink_adapt_unref(&v);
        return ret;
    }
    v->active = v->taps[cfg->rung_count - 1];
    sink_adapt_unref(&v);                /* the taps keep it */
    *video_tap = vt;
    *audio_tap = at;
    return 0;
}

static int sink_adapt_rung_ok(const struct profile_def *d, const struct profile_def *ceiling)
{
    return d != ceiling && !strcmp(d->video_codec, ceiling->video_codec) &&
           !strcmp(d->audio_codec, ceiling->audio_codec) && d->sample_rate == ceiling->sample_rate &&
           d->channels == ceiling->channels && d->video_bitrate > 0 &&
           d->video_bitrate < ceiling->video_bitrate;
}

int sink_adapt_ladder(const struct profile_set *set, const struct profile_def *ceiling,
                      struct profile_def *rungs, int max)
{
    int n = 0;

    for (int i = 0; i < set->count && n < max - 1; i++) {
        const struct profile_def *d = &set->defs[i];
        int k = n;
        if (!ceiling->video_codec[0] || !sink_adapt_rung_ok(d, ceiling))
            continue;
        while (k > 0 && rungs[k - 1].video_bitrate > d->video_bitrate) {   /* insertion sort */
            rungs[k] = rungs[k - 1];
            k--;
        }
        rungs[k] = *d;
        n++;
    }
    rungs[n++] = *ceiling;
    return n;
}

void sink_adapt_totals(uint64_t *down, uint64_t *up)
{
    *down = atomic_load(&sink_adapt_down_total);
    *up = atomic_load(&sink_adapt_up_total);
}
