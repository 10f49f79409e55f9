/* The RTP source: drain, authenticate, reorder, reassemble, decode, on the room
 * thread. Audio is resampled into the source FIFO, which is kept under 250 ms so a
 * sender's clock drift cannot build up delay. A participant that sends RTCP BYE or
 * nothing for 30 s has ended. */
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
#include <libavutil/random_seed.h>
#include "codecs/codec.h"
#include "codecs/telephone_event.h"
#include "mixer/log.h"
#include "mixer/source.h"
#include "mixer/source_rtp.h"
#include "net/jbuf.h"
#include "net/rtcp.h"
#include "net/rtp.h"
#include "net/rtp_endpoint.h"

#define SOURCE_RTP_PACKET_MAX 1600
#define SOURCE_RTP_PLI_INTERVAL_US 1000000
#define SOURCE_RTP_TIMEOUT_US (30 * 1000000ULL)
#define SOURCE_RTP_FIFO_MAX_MS 250
#define SOURCE_RTP_RR_INTERVAL_US 1000000
#define SOURCE_RTP_NACK_MAX 64
#define SOURCE_RTP_SYNC_QUEUE 8              /* video frames held for lip sync, at most */
/* Video may lead the audio by this much before it is held: one tick's worth, well
 * inside what viewers notice (ITU-R BT.1359: +45 ms video-first). */
#define SOURCE_RTP_SYNC_SLACK_S 0.040

struct source_rtp_stream {
    struct source_rtp_stream_config cfg;
    struct rtp_endpoint *ep;
    struct rtpsec *srtp_in, *srtp_out;
    struct jbuf *jb;
    struct codec_depacketizer *depack;
    AVCodecContext *dec;
    AVPacket *pkt;
    uint32_t ssrc, our_ssrc;
    int has_ssrc;
    uint64_t last_pli_us, last_packet_us, last_rr_us;
    uint16_t last_nacked;                /* highest sequence number already NACKed */
    int nacked_any;
    int dtmf_seen;
    uint32_t dtmf_last_ts;               /* timestamp of the last key counted */
    int has_sr;                          /* RTP timestamp <-> sender wall clock (RTCP SR) */
    uint32_t sr_rtp;
    double sr_ntp;
    int bye;
    struct source_rtp_stats stats;
};

struct source_rtp {
    struct source_rtp_stream video, audio;
    struct source_resampler resampler;
    AVFrame *frame;
    uint64_t started_us;
    /* Lip sync: decoded video waits until the audio being played reaches its
     * capture time (both mapped to the sender's clock by RTCP SR). */
    AVFrame *sync_queue[SOURCE_RTP_SYNC_QUEUE];
    double sync_ntp[SOURCE_RTP_SYNC_QUEUE];
    int sync_count;
    double audio_end_ntp;                /* sender time at the end of the audio FIFO */
    int audio_synced;
    int64_t lip_sync_holds;              /* frames delayed to match the audio */
};

static const struct source_ops source_rtp_ops;

int source_is_rtp(const struct source *s)
{
    return s->ops == &source_rtp_ops;
}

static int source_rtp_open_decoder(struct source_rtp_stream *st)
{
    const AVCodec *enc = avcodec_find_encoder_by_name(st->cfg.codec->encoder_name);
    const AVCodec *codec = enc ? avcodec_find_decoder(enc->id) : NULL;
    int ret;

    if (!codec)
        return AVERROR_DECODER_NOT_FOUND;
    st->dec = avcodec_alloc_context3(codec);
    if (!st->dec)
        return AVERROR(ENOMEM);
    if (codec->type == AVMEDIA_TYPE_AUDIO) {
        int rate = st->cfg.clock_rate;
        if (codec->id == AV_CODEC_ID_ADPCM_G722)
            rate = 16000;
        st->dec->sample_rate = rate;
        av_channel_layout_default(&st->dec->ch_layout, codec->id == AV_CODEC_ID_OPUS ? 2 : 1);
    } else {
        st->dec->thread_count = 1;
    }
    ret = avcodec_open2(st->dec, codec, NULL);
    return ret < 0 ? ret : 0;
}

static int source_rtp_open_stream(struct source_rtp_stream *st, const struct source_rtp_stream_config *cfg,
                                  int jitter_max_ms)
{
    struct jbuf_config jc = { .clock_rate = cfg->clock_rate, .min_delay_ms = 20,
                              .max_delay_ms = jitter_max_ms, .capacity = 1024 };
    int ret;

    st->cfg = *cfg;
    st->ep = rtp_endpoint_ref(cfg->endpoint);
    rtp_endpoint_set_reader(st->ep);
    st->our_ssrc = (uint32_t)av_get_random_seed();
    if (cfg->srtp) {
        if ((ret = rtpsec_alloc(&st->srtp_in, cfg->suite, cfg->key_in, RTPSEC_INBOUND)) < 0 ||
            (ret = rtpsec_alloc(&st->srtp_out, cfg->suite, cfg->key_out, RTPSEC_OUTBOUND)) < 0)
            return ret;
    }
    if ((ret = jbuf_alloc(&st->jb, &jc)) < 0 ||
        (ret = codec_depacketizer_alloc(&st->depack, cfg->codec)) < 0 ||
        (ret = source_rtp_open_decoder(st)) < 0)
        return ret;
    st->pkt = av_packet_alloc();
    return st->pkt ? 0 : AVERROR(ENOMEM);
}

static void source_rtp_close_stream(struct source_rtp_stream *st)
{
    rtp_endpoint_unref(&st->ep);
    rtpsec_free(&st->srtp_in);
    rtpsec_free(&st->srtp_out);
    jbuf_free(&st->jb);
    codec_depacketizer_free(&st->depack);
    avcodec_free_context(&st->dec);
    av_packet_free(&st->pkt);
}

static int source_rtp_send_rtcp(struct source_rtp_stream *st, uint8_t *buf, int n, size_t cap)
{
    size_t len = (size_t)n;

    if (n <= 0)
        return -1;
    if (st->srtp_out && rtpsec_protect_rtcp(st->srtp_out, buf, &len, cap) < 0)
        return -1;
    return rtp_endpoint_send_rtcp(st->ep, buf, len);
}

/* Asks the sender to retransmit packets missing from the jitter buffer (video),
 * each sequence number once. */
static void source_rtp_send_nack(struct source_rtp_stream *st)
{
    uint16_t missing[SOURCE_RTP_NACK_MAX], fresh[SOURCE_RTP_NACK_MAX];
    uint8_t buf[512 + RTPSEC_MAX_TRAILER];
    int count = jbuf_missing(st->jb, missing, SOURCE_RTP_NACK_MAX), n = 0;

    for (int i = 0; i < count; i++) {
        if (st->nacked_any && rtp_seq_diff(missing[i], st->last_nacked) <= 0)
            continue;
        fresh[n++] = missing[i];
    }
    if (!n || !st->has_ssrc)
        return;
    st->last_nacked = fresh[n - 1];
    st->nacked_any = 1;
    if (source_rtp_send_rtcp(st, buf, rtcp_build_nack(buf, 512, st->our_ssrc, st->ssrc, fresh, n),
                             sizeof(buf)) >= 0)
        st->stats.nacks_sent++;
}

/* A receiver report every second: loss and jitter as the sender should know them. */
static void source_rtp_send_rr(struct source_rtp_stream *st, uint64_t now)
{
    uint8_t buf[256 + RTPSEC_MAX_TRAILER];
    struct rtcp_report_block rb = { 0 };
    struct jbuf_stats js;
    uint64_t expected;
    int n;

    if (!st->has_ssrc || now - st->last_rr_us < SOURCE_RTP_RR_INTERVAL_US)
        return;
    st->last_rr_us = now;
    jbuf_get_stats(st->jb, &js);
    expected = js.released + js.lost;
    rb.ssrc = st->ssrc;
    rb.cumulative_lost = (int32_t)(js.lost > 0x7fffff ? 0x7fffff : js.lost);
    rb.fraction_lost = (uint8_t)(expected ? (js.lost * 256 / expected > 255 ? 255 : js.lost * 256 / expected) : 0);
    rb.highest_seq = (js.cycles << 16) | js.highest_seq;
    rb.jitter = (uint32_t)(js.jitter_ms * st->cfg.clock_rate / 1000.0);
    n = rtcp_build_rr(buf, 256, st->our_ssrc, &rb, 1);
    source_rtp_send_rtcp(st, buf, n, sizeof(buf));
}

/* Asks the sender for a keyframe, at most once per second. */
static void source_rtp_send_pli(struct source_rtp_stream *st, uint64_t now)
{
    uint8_t buf[64 + RTPSEC_MAX_TRAILER];
    size_t len;
    int n;

    if (!st->has_ssrc || now - st->last_pli_us < SOURCE_RTP_PLI_INTERVAL_US)
        return;
    n = rtcp_build_pli(buf, 64, st->our_ssrc, st->ssrc);
    if (n <= 0)
        return;
    len = (size_t)n;
    if (st->srtp_out && rtpsec_protect_rtcp(st->srtp_out, buf, &len, sizeof(buf)) < 0)
        return;
    st->last_pli_us = now;
    if (rtp_endpoint_send_rtcp(st->ep, buf, len) >= 0)
        st->stats.plis_sent++;
}

static void source_rtp_take_sr(struct source_rtp_stream *st, const struct rtcp_info *info)
{
    if (info->has_sr && st && st->has_ssrc && info->sr.ssrc == st->ssrc) {
        st->has_sr = 1;
        st->sr_rtp = info->sr.rtp_timestamp;
        st->sr_ntp = info->sr.ntp_sec + info->sr.ntp_frac / 4294967296.0;
    }
}

/* RTCP of the stream's endpoint; with BUNDLE, `other` is the stream sharing it (its
 * sender reports are matched by SSRC). */
static void source_rtp_take_rtcp(struct source_rtp_stream *st, struct source_rtp_stream *other,
                                 uint8_t *buf, size_t len)
{
    struct rtcp_info info;

    if (st->srtp_in && rtpsec_unprotect_rtcp(st->srtp_in, buf, &len) < 0) {
        st->stats.srtp_failures++;
        return;
    }
    if (rtcp_parse(&info, buf, len) < 0) {
        st->stats.malformed++;
        return;
    }
    if (info.bye)
        st->bye = 1;
    source_rtp_take_sr(st, &info);
    source_rtp_take_sr(other, &info);
    /* Feedback about what we send to this participant goes to our sinks. */
    if (info.pli || info.fir || info.nack_count) {
        struct rtp_endpoint_feedback fb = { 0 };
        fb.media_ssrc = info.pli ? info.pli_media_ssrc : info.fir ? info.fir_media_ssrc : info.nack_media_ssrc;
        fb.keyframe = info.pli || info.fir;
        fb.nack_count = info.nack_count < RTP_ENDPOINT_FEEDBACK_NACKS ? info.nack_count : RTP_ENDPOINT_FEEDBACK_NACKS;
        memcpy(fb.nacks, info.nacks, (size_t)fb.nack_count * sizeof(fb.nacks[0]));
        rtp_endpoint_post_feedback(st->ep, &fb);
    }
}

static void source_rtp_take_rtp(struct source *s, struct source_rtp_stream *st, uint8_t *buf,
                                size_t len, uint64_t arrival)
{
    struct rtp_packet pkt;

    if (st->srtp_in && rtpsec_unprotect_rtp(st->srtp_in, buf, &len) < 0) {
        st->stats.srtp_failures++;
        if (st->stats.srtp_failures == 1)
            log_warn("%s: SRTP authentication failed; packets dropped (counted)", s->name);
        return;
    }
    if (rtp_parse(&pkt, buf, len) < 0) {
        st->stats.malformed++;
        return;
    }
    if (pkt.h.payload_type == st->cfg.dtmf_payload_type) {
        struct dtmf_event ev;
        /* An event ends with (usually three) E-bit packets of one timestamp. */
        if (dtmf_event_parse(&ev, pkt.payload, pkt.payload_len) > 0 && ev.end &&
            (!st->dtmf_seen || pkt.h.timestamp != st->dtmf_last_ts)) {
            char key = dtmf_event_char(ev.event);
            st->dtmf_seen = 1;
            st->dtmf_last_ts = pkt.h.timestamp;
            st->stats.dtmf_events++;
            if (key)
                source_push_dtmf(s, key);
        }
        return;
    }
    if (pkt.h.payload_type != st->cfg.payload_type) {
        st->stats.wrong_payload_type++;
        return;
    }
    if (!st->has_ssrc) {
        st->ssrc = pkt.h.ssrc;
        st->has_ssrc = 1;
    } else if (pkt.h.ssrc != st->ssrc) {
        st->stats.wrong_ssrc++;
        return;
    }
    if (st->cfg.audio_level_ext_id > 0 && pkt.h.has_extension) {
        const uint8_t *ext;
        size_t ext_len;
        int level, voice;
        if (rtp_find_extension(&pkt.h, st->cfg.audio_level_ext_id, &ext, &ext_len) == 1 &&
            rtp_parse_audio_level(ext, ext_len, &level, &voice) >= 0) {
            s->sender_level_db = -level;
            s->sender_voice = voice;
            s->has_sender_level = 1;
            st->stats.audio_levels++;
        }
    }
    st->stats.packets++;
    st->stats.bytes += len;
    st->last_packet_us = arrival;
    jbuf_put(st->jb, &pkt, buf, len, arrival);
}

/* Takes every queued datagram of the stream's endpoint. With BUNDLE (audio and
 * video on one endpoint) RTP goes to the stream of its payload type. */
static void source_rtp_drain(struct source *s, struct source_rtp_stream *st,
                             struct source_rtp_stream *other)
{
    uint8_t buf[SOURCE_RTP_PACKET_MAX];
    uint64_t arrival;
    int is_rtcp, n;

    while ((n = rtp_endpoint_receive(st->ep, buf, sizeof(buf), &is_rtcp, &arrival)) > 0) {
        struct source_rtp_stream *target = st;
        if (other && !is_rtcp && n >= 2 && (buf[1] & 0x7f) == other->cfg.payload_type &&
            (buf[1] & 0x7f) != st->cfg.payload_type)
            target = other;
        if (is_rtcp)
            source_rtp_take_rtcp(st, other, buf, (size_t)n);
        else
            source_rtp_take_rtp(s, target, buf, (size_t)n, arrival);
    }
}

static void source_rtp_take_audio(struct source *s, struct source_rtp *r, AVFrame *f)
{
    int excess;

    if (source_resampler_push(&r->resampler, s, f) < 0)
        return;
    s->stats.audio_frames++;
    /* Keep latency bounded: drop the oldest audio beyond the cap. */
    excess = av_audio_fifo_size(s->audio) - s->mix_rate * SOURCE_RTP_FIFO_MAX_MS / 1000;
    if (excess > 0) {
        av_audio_fifo_drain(s->audio, excess);
        s->stats.dropped_frames++;
    }
}

/* Sender wall-clock time of an RTP timestamp (needs an SR). */
static double source_rtp_ntp(const struct source_rtp_stream *st, int64_t rtp_ts)
{
    return st->sr_ntp + (int32_t)((uint32_t)rtp_ts - st->sr_rtp) / (double)st->cfg.clock_rate;
}

static void source_rtp_show(struct source *s, AVFrame *frame, double video_t)
{
    av_frame_free(&s->video);
    s->video = frame;
    s->video_time = video_t;
    s->video_serial++;
}

/* Shows the newest held frame whose capture time the audio has reached (all of
 * them when there is nothing to sync with). */
static void source_rtp_show_synced(struct source *s, struct source_rtp *r, double video_t)
{
    double audio_ntp = r->audio_end_ntp -
                       (s->audio ? av_audio_fifo_size(s->audio) / (double)s->mix_rate : 0);
    int sync = r->audio_synced && r->video.has_sr && r->audio.has_sr;
    int show = -1;

    for (int i = 0; i < r->sync_count; i++)
        if (!sync || r->sync_ntp[i] <= audio_ntp + SOURCE_RTP_SYNC_SLACK_S ||
            r->sync_count == SOURCE_RTP_SYNC_QUEUE)
            show = i;
    if (show < 0) {
        if (r->sync_count)
            r->lip_sync_holds++;
        return;
    }
    for (int i = 0; i < show; i++)
        av_frame_free(&r->sync_queue[i]);
    source_rtp_show(s, r->sync_queue[show], video_t);
    memmove(r->sync_queue, r->sync_queue + show + 1, (size_t)(r->sync_count - show - 1) * sizeof(AVFrame *));
    memmove(r->sync_ntp, r->sync_ntp + show + 1, (size_t)(r->sync_count - show - 1) * sizeof(double));
    r->sync_count -= show + 1;
}

static void source_rtp_hold_video(struct source *s, struct source_rtp *r, AVFrame *frame, double video_t)
{
    if (r->sync_count == SOURCE_RTP_SYNC_QUEUE)
        source_rtp_show_synced(s, r, video_t);
    if (r->sync_count == SOURCE_RTP_SYNC_QUEUE) {
        av_frame_free(&r->sync_queue[0]);
        memmove(r->sync_queue, r->sync_queue + 1, (SOURCE_RTP_SYNC_QUEUE - 1) * sizeof(AVFrame *));
        memmove(r->sync_ntp, r->sync_ntp + 1, (SOURCE_RTP_SYNC_QUEUE - 1) * sizeof(double));
        r->sync_count--;
    }
    r->sync_ntp[r->sync_count] = r->video.has_sr ? source_rtp_ntp(&r->video, frame->pts) : 0;
    r->sync_queue[r->sync_count++] = frame;
}

static void source_rtp_decode(struct source *s, struct source_rtp *r, struct source_rtp_stream *st,
                              double video_t)
{
    int ret = avcodec_send_packet(st->dec, st->pkt);

    if (ret < 0) {
        s->stats.decode_errors++;
        return;
    }
    while (avcodec_receive_frame(st->dec, r->frame) >= 0) {
        if (st == &r->video) {
            if (r->frame->width > SOURCE_MAX_WIDTH || r->frame->height > SOURCE_MAX_HEIGHT) {
                s->stats.dropped_frames++;
            } else {
                AVFrame *f = av_frame_clone(r->frame);
                if (f)
                    source_rtp_hold_video(s, r, f, video_t);
                s->stats.video_frames++;
            }
        } else {
            if (st->has_sr && r->frame->pts != AV_NOPTS_VALUE && r->frame->sample_rate > 0) {
                r->audio_end_ntp = source_rtp_ntp(st, r->frame->pts) +
                                   r->frame->nb_samples / (double)r->frame->sample_rate;
                r->audio_synced = 1;
            }
            source_rtp_take_audio(s, r, r->frame);
        }
        av_frame_unref(r->frame);
    }
}

/* Releases due packets, reassembles and decodes the frames they complete. */
static void source_rtp_play(struct source *s, struct source_rtp *r, struct source_rtp_stream *st,
                            uint64_t now, double video_t)
{
    const struct jbuf_packet *jp;
    struct jbuf_stats js;

    while (jbuf_pop(st->jb, now, &jp) == 1) {
        int got = codec_depacketizer_push(st->depack, jp->payload, jp->payload_len, jp->h.timestamp,
                                          jp->h.marker, jp->lost_before, st->pkt);
        if (got == 1) {
            source_rtp_decode(s, r, st, video_t);
            av_packet_unref(st->pkt);
        }
    }
    if (st == &r->video && st->has_ssrc &&
        (codec_depacketizer_needs_keyframe(st->depack) || !s->video))
        source_rtp_send_pli(st, now);
    if (st == &r->video)
        source_rtp_send_nack(st);
    source_rtp_send_rr(st, now);
    jbuf_get_stats(st->jb, &js);
    st->stats.lost = js.lost;
    st->stats.late = js.late;
    st->stats.jitter_ms = js.jitter_ms;
    st->stats.frames_broken = (uint64_t)codec_depacketizer_broken_frames(st->depack);
}

static int source_rtp_advance(struct source *s, double video_t, int64_t audio_until)
{
    struct source_rtp *r = s->priv;
    uint64_t now = rtp_endpoint_now_us();
    uint64_t last = 0;
    int bye = 0;

    (void)audio_until;
    for (int i = 0; i < 2; i++) {
        struct source_rtp_stream *st = i ? &r->audio : &r->video;
        if (!st->ep)
            continue;
        struct source_rtp_stream *other = i ? &r->video : &r->audio;
        int bundled = other->ep == st->ep;
        if (!bundled || i == 0)
            source_rtp_drain(s, st, bundled ? other : NULL);
        source_rtp_play(s, r, st, now, video_t);
        if (i == 1 || !r->audio.ep)
            source_rtp_show_synced(s, r, video_t);
        if (st->last_packet_us > last)
            last = st->last_packet_us;
        bye |= st->bye;
    }
    now = rtp_endpoint_now_us();
    if (bye || (int64_t)(now - (last > r->started_us ? last : r->started_us)) > (int64_t)SOURCE_RTP_TIMEOUT_US) {
        if (!s->ended)
            log_info("%s: %s", s->name, bye ? "sent RTCP BYE; leaves" : "no media for 30 s; leaves");
        s->ended = 1;
    }
    return 0;
}

static void source_rtp_free_priv(void *priv)
{
    struct source_rtp *r = priv;

    if (!r)
        return;
    source_rtp_close_stream(&r->video);
    source_rtp_close_stream(&r->audio);
    source_resampler_uninit(&r->resampler);
    av_frame_free(&r->frame);
    for (int i = 0; i < r->sync_count; i++)
        av_frame_free(&r->sync_queue[i]);
    av_free(r);
}

static const struct source_ops source_rtp_ops = {
    .name = "rtp",
    .advance = source_rtp_advance,
    .free_priv = source_rtp_free_priv,
};

int source_rtp_alloc(struct source **out, const struct source_rtp_stream_config *video,
                     const struct source_rtp_stream_config *audio, int mix_rate, int jitter_max_ms)
{
    struct source *s = av_mallocz(sizeof(*s));
    struct source_rtp *r = av_mallocz(sizeof(*r));
    int ret = 0;

    if (!s || !r) {
        av_free(s);
        av_free(r);
        return AVERROR(ENOMEM);
    }
    s->ops = &source_rtp_ops;
    s->priv = r;
    s->mix_rate = mix_rate;
    r->started_us = rtp_endpoint_now_us();
    r->frame = av_frame_alloc();
    if (!r->frame) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if (video && video->codec) {
        if ((ret = source_rtp_open_stream(&r->video, video, jitter_max_ms)) < 0)
            goto fail;
        s->has_video = 1;
    }
    if (audio && audio->codec) {
        if ((ret = source_rtp_open_stream(&r->audio, audio, jitter_max_ms)) < 0)
            goto fail;
        s->audio = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, 1, mix_rate / 2);
        if (!s->audio) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        s->has_audio = 1;
    }
    *out = s;
    return 0;
fail:
    log_error("RTP participant: cannot set up its streams: %s", av_err2str(ret));
    source_free(&s);
    return ret;
}

void source_rtp_get_stats(const struct source *s, struct source_rtp_stats *video,
                          struct source_rtp_stats *audio)
{
    const struct source_rtp *r = s->priv;

    memset(video, 0, sizeof(*video));
    memset(audio, 0, sizeof(*audio));
    if (!source_is_rtp(s))
        return;
    *video = r->video.stats;
    *audio = r->audio.stats;
    for (int i = 0; i < 2; i++) {
        const struct source_rtp_stream *st = i ? &r->audio : &r->video;
        struct rtp_endpoint_stats es;
        if (!st->ep)
            continue;
        rtp_endpoint_get_stats(st->ep, &es);
        (i ? audio : video)->queue_drops = es.queue_drops;
    }
}
