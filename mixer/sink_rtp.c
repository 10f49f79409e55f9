/* RTP sender of one stream of a profile to one receiver: takes the payloads the
 * profile's fanout cut once for all receivers, puts its own header (SSRC, seq,
 * timestamp) in front, encrypts if SRTP, sends them in one batch; a seq -> payload
 * history for NACK; RTCP SR out, PLI/FIR/NACK in. */
#include <string.h>
#include <sys/time.h>
#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
#include <libavutil/random_seed.h>
#include "codecs/codec.h"
#include "mixer/fanout.h"
#include "mixer/log.h"
#include "mixer/sink.h"
#include "mixer/sink_rtp.h"
#include "net/rtcp.h"
#include "net/rtp.h"
#include "net/rtp_endpoint.h"

#define SINK_RTP_MTU FANOUT_MTU             /* the largest a sink may use */
#define SINK_RTP_DEFAULT_MTU 1200          /* payload bytes: fits DTLS/SRTP/TURN paths */
#define SINK_RTP_HISTORY 256
#define SINK_RTP_BUF (SINK_RTP_MTU + 64 + RTPSEC_MAX_TRAILER)
#define SINK_RTP_SR_INTERVAL_US 1000000
#define SINK_RTP_BATCH 16
#define SINK_RTP_AUDIO_POLL_US 40000     /* an audio sink reads its RTCP at most this often */

/* NACK history entry: what this receiver's seq carried (the payload stays in the
 * profile's fanout ring). */
struct sink_rtp_sent {
    struct fanout_ref ref;
    uint32_t timestamp;
    uint16_t seq;
    uint8_t used;
};

struct sink_rtp {
    /* Per-packet state first; cfg (with its long strings and keys) last. */
    struct rtp_endpoint *ep;
    struct rtpsec *srtp_out, *srtp_in;
    int stream_index;
    AVRational time_base;
    uint32_t ssrc, ts_offset;
    uint16_t seq;
    int first_audio;
    int continue_clock;          /* next packet: RTP clock continues from the last one */
    int mtu;                     /* largest payload it sends */
    uint32_t last_ts;
    uint64_t last_sr_us, last_poll_us;
    uint32_t packet_count, octet_count;
    int keyframe_wanted;
    struct sink_rtp_sent *history;   /* video only */
    uint8_t *parameter_sets;         /* H.264 SPS/PPS (Annex B) sent before each keyframe */
    int parameter_sets_len;
    struct sink_rtp_stats stats;
    sink_rtp_rtcp_fn rtcp_observer;
    void *rtcp_observer_opaque;
    int reopened;                    /* the next frame's timestamp must advance */
    struct sink_rtp_config cfg;
};

/* Datagrams of one receiver gathered for one batched send: its own header in front
 * of a shared payload, or (SRTP) a copy encrypted for it. */
struct sink_rtp_batch {
    struct rtp_endpoint_msg msgs[SINK_RTP_BATCH];
    uint8_t headers[SINK_RTP_BATCH][RTP_HEADER_MIN];
    uint8_t srtp[SINK_RTP_BATCH][SINK_RTP_BUF];
    int count;
};

static void sink_rtp_flush(struct sink_rtp *r, struct sink_rtp_batch *b)
{
    if (b->count)
        rtp_endpoint_send_rtp_batch(r->ep, b->msgs, b->count);
    b->count = 0;
}

/* Queues one packet (payload borrowed until the flush); flushes when full. */
static void sink_rtp_queue(struct sink_rtp *r, struct sink_rtp_batch *b, uint16_t seq, uint32_t timestamp,
                           int marker, const uint8_t *payload, size_t len)
{
    struct rtp_header h = { 0 };
    struct rtp_endpoint_msg *m = &b->msgs[b->count];
    uint8_t *hdr = b->headers[b->count];

    h.marker = marker;
    h.payload_type = r->cfg.payload_type;
    h.seq = seq;
    h.timestamp = timestamp;
    h.ssrc = r->ssrc;
    rtp_write_header(hdr, RTP_HEADER_MIN, &h);
    if (r->srtp_out) {
        /* SRTP works in place: encrypt this receiver's copy. */
        uint8_t *buf = b->srtp[b->count];
        size_t n = RTP_HEADER_MIN + len;
        memcpy(buf, hdr, RTP_HEADER_MIN);
        memcpy(buf + RTP_HEADER_MIN, payload, len);
        if (rtpsec_protect_rtp(r->srtp_out, buf, &n, SINK_RTP_BUF) < 0) {
            r->stats.srtp_failures++;
            return;
        }
        *m = (struct rtp_endpoint_msg){ buf, n, NULL, 0 };
    } else {
        *m = (struct rtp_endpoint_msg){ hdr, RTP_HEADER_MIN, payload, len };
    }
    if (++b->count == SINK_RTP_BATCH)
        sink_rtp_flush(r, b);
}

/* The marker of this receiver's next packet: RFC 3551 audio marks only the start of
 * a talk spurt (our audio is continuous: the first packet). */
static int sink_rtp_marker(struct sink_rtp *r, int marker)
{
    if (r->cfg.type != AVMEDIA_TYPE_AUDIO)
        return marker;
    marker = r->first_audio;
    r->first_audio = 0;
    return marker;
}

/* Numbers one payload for this receiver, notes it in the NACK history, queues it. */
static void sink_rtp_send_payload(struct sink_rtp *r, struct sink_rtp_batch *b, const uint8_t *payload,
                                  size_t len, int marker, uint32_t timestamp, const struct fanout_ref *ref)
{
    uint16_t seq = r->seq++;

    if (r->history && ref) {
        struct sink_rtp_sent *slot = &r->history[seq % SINK_RTP_HISTORY];
        slot->ref = *ref;
        slot->timestamp = timestamp;
        slot->seq = seq;
        slot->used = 1;
    } else if (r->history) {
        r->history[seq % SINK_RTP_HISTORY].used = 0;
    }
    marker = sink_rtp_marker(r, marker);
    r->stats.packets++;
    r->stats.bytes += RTP_HEADER_MIN + len;
    r->packet_count++;
    r->octet_count += (uint32_t)len;
    sink_rtp_queue(r, b, seq, timestamp, marker, payload, len);
}

/* Without a shared fanout (a sink outside a profile, or a packet the fanout
 * refuses) the sink cuts the packet itself; those packets cannot be resent. */
struct sink_rtp_emit {
    struct sink_rtp *r;
    struct sink_rtp_batch *b;
    uint32_t timestamp;
};

static int sink_rtp_emit(void *opaque, const uint8_t *payload, size_t len, int marker)
{
    struct sink_rtp_emit *e = opaque;

    if (len > (size_t)e->r->mtu)
        return AVERROR(EINVAL);
    sink_rtp_send_payload(e->r, e->b, payload, len, marker, e->timestamp, NULL);
    /* The payload lives in the packetizer's scratch: send it before the next one. */
    sink_rtp_flush(e->r, e->b);
    return 0;
}

static int sink_rtp_write_own(struct sink_rtp *r, struct sink_rtp_batch *b, const AVPacket *pkt,
                              uint32_t timestamp)
{
    struct sink_rtp_emit e = { r, b, timestamp };
    const char *fmtp = r->cfg.fmtp[0] ? r->cfg.fmtp : NULL;
    int ret;

    if (r->parameter_sets && (pkt->flags & AV_PKT_FLAG_KEY)) {
        size_t len = (size_t)r->parameter_sets_len + (size_t)pkt->size;
        uint8_t *frame = av_malloc(len);
        if (!frame)
            return AVERROR(ENOMEM);
        memcpy(frame, r->parameter_sets, (size_t)r->parameter_sets_len);
        memcpy(frame + r->parameter_sets_len, pkt->data, (size_t)pkt->size);
        ret = codec_packetize_fmtp(r->cfg.codec, fmtp, frame, len, (size_t)r->mtu, sink_rtp_emit, &e);
        av_free(frame);
        return ret;
    }
    return codec_packetize_fmtp(r->cfg.codec, fmtp, pkt->data, (size_t)pkt->size, (size_t)r->mtu,
                                sink_rtp_emit, &e);
}

/* The payloads the profile's fanout cut once for every receiver of this variant. */
static int sink_rtp_write_shared(struct sink_rtp *r, struct sink_rtp_batch *b, struct fanout *f,
                                 const AVPacket *pkt, uint32_t timestamp)
{
    struct fanout_ref first, ref;
    int n = fanout_payloads(f, pkt, r->stream_index, r->cfg.codec, r->cfg.fmtp, (size_t)r->mtu,
                            r->parameter_sets, r->parameter_sets_len, &first);

    if (n < 0)
        return n;
    ref = first;
    for (int i = 0; i < n; i++, ref.id++) {
        const struct fanout_payload *p = fanout_get(f, ref);
        if (!p) {
            sink_rtp_flush(r, b);
            return AVERROR_BUG;
        }
        sink_rtp_send_payload(r, b, p->data, p->len, p->marker, timestamp, &ref);
    }
    sink_rtp_flush(r, b);
    return 0;
}

static void sink_rtp_send_sr(struct sink_rtp *r, uint64_t now_us)
{
    uint8_t buf[256 + RTPSEC_MAX_TRAILER];
    struct rtcp_sender_info sr = { 0 };
    struct timeval tv;
    uint64_t ntp;
    int n, m;
    size_t len;

    gettimeofday(&tv, NULL);
    ntp = rtcp_ntp_from_unix_us((uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec);
    sr.ssrc = r->ssrc;
    sr.ntp_sec = (uint32_t)(ntp >> 32);
    sr.ntp_frac = (uint32_t)ntp;
    sr.rtp_timestamp = r->last_ts;
    sr.packet_count = r->packet_count;
    sr.octet_count = r->octet_count;
    n = rtcp_build_sr(buf, 256, &sr, NULL, 0);
    if (n < 0)
        return;
    m = rtcp_build_sdes_cname(buf + n, 256 - (size_t)n, r->ssrc, "tessera");
    if (m > 0)
        n += m;
    len = (size_t)n;
    if (r->srtp_out && rtpsec_protect_rtcp(r->srtp_out, buf, &len, sizeof(buf)) < 0)
        return;
    rtp_endpoint_send_rtcp(r->ep, buf, len);
    r->last_sr_us = now_us;
}

static void sink_rtp_retransmit(struct sink *s, struct sink_rtp *r, const uint16_t *seqs, int count)
{
    struct sink_rtp_batch b;

    b.count = 0;
    for (int i = 0; i < count && r->history; i++) {
        const struct sink_rtp_sent *slot = &r->history[seqs[i] % SINK_RTP_HISTORY];
        const struct fanout_payload *p = slot->used && slot->seq == seqs[i] ? fanout_get(s->fanout, slot->ref) : NULL;
        if (!p)
            continue;
        sink_rtp_queue(r, &b, slot->seq, slot->timestamp, p->marker, p->data, p->len);
        r->stats.retransmitted++;
    }
    sink_rtp_flush(r, &b);
}

/* Feedback read from the queue: ours is acted on, another stream's (the other
 * sink on a bundled endpoint) goes to the endpoint's mailbox for it. */
static void sink_rtp_feedback(struct sink *s, struct sink_rtp *r, const struct rtcp_info *info)
{
    struct rtp_endpoint_feedback fb = { 0 };
    uint32_t key = info->pli ? info->pli_media_ssrc : info->fir_media_ssrc;

    if ((info->pli || info->fir) && (!key || key == r->ssrc)) {
        r->stats.plis_received++;
        r->keyframe_wanted = 1;
    } else if (info->pli || info->fir) {
        fb.media_ssrc = key;
        fb.keyframe = 1;
        rtp_endpoint_post_feedback(r->ep, &fb);
    }
    if (info->nack_count && (!info->nack_media_ssrc || info->nack_media_ssrc == r->ssrc)) {
        r->stats.nacks_received++;
        sink_rtp_retransmit(s, r, info->nacks, info->nack_count);
    } else if (info->nack_count) {
        memset(&fb, 0, sizeof(fb));
        fb.media_ssrc = info->nack_media_ssrc;
        fb.nack_count = FFMIN(info->nack_count, RTP_ENDPOINT_FEEDBACK_NACKS);
        memcpy(fb.nacks, info->nacks, (size_t)fb.nack_count * sizeof(fb.nacks[0]));
        rtp_endpoint_post_feedback(r->ep, &fb);
    }
}

static int sink_rtp_poll(struct sink *s)
{
    struct sink_rtp *r = s->priv;
    uint8_t buf[1600];
    uint64_t arrival, now = rtp_endpoint_now_us();
    int is_rtcp, n, want;
    struct rtp_endpoint_feedback fb;

    r->last_poll_us = now;
    if (rtp_endpoint_take_feedback(r->ep, r->ssrc, &fb)) {
        if (fb.keyframe) {
            r->stats.plis_received++;
            r->keyframe_wanted = 1;
        }
        if (fb.nack_count) {
            r->stats.nacks_received++;
            sink_rtp_retransmit(s, r, fb.nacks, fb.nack_count);
        }
    }
    /* A participant's source reads the queue; a receiver-only endpoint is ours. */
    while (!rtp_endpoint_has_reader(r->ep) &&
           (n = rtp_endpoint_receive(r->ep, buf, sizeof(buf), &is_rtcp, &arrival)) > 0) {
        struct rtcp_info info;
        size_t len = (size_t)n;

        if (!is_rtcp)
            continue;
        if ((r->srtp_in && rtpsec_unprotect_rtcp(r->srtp_in, buf, &len) < 0) ||
            rtcp_parse(&info, buf, len) < 0) {
            r->stats.rtcp_failures++;
            continue;
        }
        sink_rtp_feedback(s, r, &info);
        if (r->rtcp_observer)
            r->rtcp_observer(r->rtcp_observer_opaque, &info);
    }
    if (r->packet_count && now - r->last_sr_us > SINK_RTP_SR_INTERVAL_US)
        sink_rtp_send_sr(r, now);
    want = r->keyframe_wanted;
    r->keyframe_wanted = 0;
    return want;
}

static int sink_rtp_open(struct sink *s, AVCodecContext *const *encoders, int count)
{
    struct sink_rtp *r = s->priv;

    for (int i = 0; i < count; i++) {
        const AVCodecContext *enc = encoders[i];
        if (enc->codec_type != r->cfg.type)
            continue;
        r->stream_index = i;
        s->only_stream = i + 1;
        r->time_base = enc->time_base;
        /* With global headers the encoder keeps SPS/PPS out of the stream; RTP
         * receivers need them in band, so they go before every keyframe. A sink
         * moved to another profile opens again: its old ones go. */
        av_freep(&r->parameter_sets);
        r->parameter_sets_len = 0;
        if (enc->codec_id == AV_CODEC_ID_H264 && enc->extradata_size > 4 &&
            !enc->extradata[0] && !enc->extradata[1]) {
            r->parameter_sets = av_memdup(enc->extradata, enc->extradata_size);
            r->parameter_sets_len = r->parameter_sets ? enc->extradata_size : 0;
        }
        return 0;
    }
    log_error("output %s: the profile has no %s stream", s->url,
              av_get_media_type_string(r->cfg.type));
    return AVERROR(EINVAL);
}

static int sink_rtp_write(struct sink *s, const AVPacket *pkt, int stream_index)
{
    struct sink_rtp *r = s->priv;
    struct sink_rtp_batch b;
    uint32_t timestamp;
    int ret;

    if (stream_index != r->stream_index)
        return 0;
    b.count = 0;
    timestamp = (uint32_t)av_rescale_q(pkt->pts, r->time_base, (AVRational){ 1, r->cfg.clock_rate }) +
                r->ts_offset;
    if (r->continue_clock && r->packet_count) {
        /* Another encoder's packets from now on: the RTP clock goes on from the last
         * packet sent as if one encoder had made them all. */
        int64_t step = pkt->duration > 0 ?
            av_rescale_q(pkt->duration, r->time_base, (AVRational){ 1, r->cfg.clock_rate }) : 1;
        r->ts_offset += r->last_ts + (uint32_t)step - timestamp;
        timestamp = r->last_ts + (uint32_t)step;
        r->reopened = 0;
    }
    r->continue_clock = 0;
    if (r->reopened) {
        /* Moved to another profile (sink_rtp_reopen): two profiles encode the same
         * tick, so the first timestamp is forced past the last one sent. */
        int32_t advance = (int32_t)(timestamp - r->last_ts);
        if (r->packet_count && advance <= 0) {
            r->ts_offset += (uint32_t)(1 - advance);
            timestamp += (uint32_t)(1 - advance);
        }
        r->reopened = 0;
    }
    r->last_ts = timestamp;
    /* Audio sinks read their RTCP here too (an audio-only profile polls no sink);
     * a profile with video polls every sink once per video frame already. */
    if (r->cfg.type == AVMEDIA_TYPE_AUDIO && rtp_endpoint_now_us() - r->last_poll_us >= SINK_RTP_AUDIO_POLL_US &&
        sink_rtp_poll(s))
        r->keyframe_wanted = 1;
    ret = s->fanout ? sink_rtp_write_shared(r, &b, s->fanout, pkt, timestamp) : AVERROR(EINVAL);
    if (ret < 0 && ret != AVERROR_BUG)
        ret = sink_rtp_write_own(r, &b, pkt, timestamp);
    return ret;
}

static int sink_rtp_close(struct sink *s)
{
    struct sink_rtp *r = s->priv;
    uint8_t buf[64 + RTPSEC_MAX_TRAILER];
    int n = rtcp_build_sr(buf, 64, &(struct rtcp_sender_info){ .ssrc = r->ssrc }, NULL, 0);

    /* A BYE tells the receiver we are done. */
    if (n > 0 && n + 8 <= 64) {
        size_t len;
        buf[n] = 0x81;
        buf[n + 1] = 203;
        buf[n + 2] = 0;
        buf[n + 3] = 1;
        buf[n + 4] = (uint8_t)(r->ssrc >> 24);
        buf[n + 5] = (uint8_t)(r->ssrc >> 16);
        buf[n + 6] = (uint8_t)(r->ssrc >> 8);
        buf[n + 7] = (uint8_t)r->ssrc;
        len = (size_t)n + 8;
        if (!r->srtp_out || rtpsec_protect_rtcp(r->srtp_out, buf, &len, sizeof(buf)) >= 0)
            rtp_endpoint_send_rtcp(r->ep, buf, len);
    }
    return 0;
}

static void sink_rtp_free_priv(void *priv)
{
    struct sink_rtp *r = priv;

    if (!r)
        return;
    rtp_endpoint_unref(&r->ep);
    rtpsec_free(&r->srtp_out);
    rtpsec_free(&r->srtp_in);
    av_free(r->history);
    av_free(r->parameter_sets);
    av_free(r);
}

static const struct sink_ops sink_rtp_ops = {
    .name = "rtp",
    .open = sink_rtp_open,
    .write = sink_rtp_write,
    .close = sink_rtp_close,
    .poll = sink_rtp_poll,
    .free_priv = sink_rtp_free_priv,
};

int sink_rtp_alloc(struct sink **out, const struct sink_rtp_config *cfg)
{
    struct sink *s = av_mallocz(sizeof(*s));
    struct sink_rtp *r = av_mallocz(sizeof(*r));
    int ret = 0;

    if (!s || !r) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    s->ops = &sink_rtp_ops;
    s->priv = r;
    snprintf(s->url, sizeof(s->url), "%s", cfg->url);
    r->cfg = *cfg;
    r->ep = rtp_endpoint_ref(cfg->endpoint);
    r->ssrc = cfg->ssrc ? cfg->ssrc : av_get_random_seed();
    r->mtu = cfg->mtu > 0 && cfg->mtu <= SINK_RTP_MTU ? cfg->mtu : SINK_RTP_DEFAULT_MTU;
    r->ts_offset = av_get_random_seed();
    r->seq = (uint16_t)av_get_random_seed();
    r->first_audio = 1;
    r->stream_index = -1;
    if (cfg->srtp &&
        ((ret = rtpsec_alloc(&r->srtp_out, cfg->suite, cfg->key_out, RTPSEC_OUTBOUND)) < 0 ||
         (ret = rtpsec_alloc(&r->srtp_in, cfg->suite, cfg->key_in, RTPSEC_INBOUND)) < 0))
        goto fail;
    if (cfg->type == AVMEDIA_TYPE_VIDEO) {
        r->history = av_calloc(SINK_RTP_HISTORY, sizeof(*r->history));
        if (!r->history) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    if (s) {
        s->priv = NULL;
        av_free(s);
    }
    sink_rtp_free_priv(r);
    return ret;
}

void sink_rtp_get_stats(const struct sink *s, struct sink_rtp_stats *st)
{
    const struct sink_rtp *r = s->priv;

    if (s->ops != &sink_rtp_ops) {
        memset(st, 0, sizeof(*st));
        return;
    }
    *st = r->stats;
}

void sink_rtp_set_rtcp_observer(struct sink *s, sink_rtp_rtcp_fn fn, void *opaque)
{
    struct sink_rtp *r = s->priv;

    if (s->ops != &sink_rtp_ops)
        return;
    r->rtcp_observer = fn;
    r->rtcp_observer_opaque = opaque;
}

void sink_rtp_continue(struct sink *s)
{
    if (s->ops == &sink_rtp_ops)
        ((struct sink_rtp *)s->priv)->continue_clock = 1;
}

int sink_rtp_reopen(struct sink *s, AVCodecContext *const *encoders, int count)
{
    struct sink_rtp *r = s->priv;
    int ret;

    if (s->ops != &sink_rtp_ops)
        return AVERROR(EINVAL);
    ret = sink_open(s, encoders, count);
    if (ret >= 0)
        r->reopened = 1;
    /* The history points into the old profile's fanout ring: forget it. */
    if (r->history)
        memset(r->history, 0, SINK_RTP_HISTORY * sizeof(*r->history));
    return ret;
}
