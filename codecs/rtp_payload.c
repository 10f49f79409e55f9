/* Codec-independent RTP payload machinery: frame buffers, the per-stream depacketizer
 * (frame boundaries, losses, broken frames), packetize dispatch and fmtp lookup. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "codecs/codec.h"

#define CODEC_FRAME_PAD AV_INPUT_BUFFER_PADDING_SIZE
#define CODEC_FRAME_MIN_CAP 4096
#define DEPACK_READY_MAX 2

struct codec_depacketizer {
    const struct codec_desc *desc;
    const struct codec_rtp_ops *ops;
    void *state;                     /* the codec's depack_state_size bytes */
    struct codec_frame frame;        /* the frame under reassembly */
    uint32_t ts;                     /* its RTP timestamp */
    int active;                      /* frame holds payloads of ts */
    int loss_at_start;               /* packets were lost just before frame's first payload */
    int needs_keyframe;
    int64_t broken_frames;
    AVPacket *ready[DEPACK_READY_MAX];   /* completed frames not yet returned, oldest first */
    int nready;
};

int codec_frame_append(struct codec_frame *frame, const uint8_t *data, size_t len)
{
    size_t need, cap;
    uint8_t *p;

    if (!frame || (!data && len))
        return AVERROR(EINVAL);
    if (len > CODEC_FRAME_MAX || frame->len > CODEC_FRAME_MAX - len)
        return AVERROR(ENOSPC);
    need = frame->len + len + CODEC_FRAME_PAD;
    if (!frame->data || need > frame->cap) {
        cap = frame->cap > CODEC_FRAME_MIN_CAP / 2 ? frame->cap * 2 : CODEC_FRAME_MIN_CAP;
        if (cap < need)
            cap = need;
        if (cap > CODEC_FRAME_MAX + CODEC_FRAME_PAD)
            cap = CODEC_FRAME_MAX + CODEC_FRAME_PAD;
        p = av_realloc(frame->data, cap);
        if (!p)
            return AVERROR(ENOMEM);
        frame->data = p;
        frame->cap = cap;
    }
    if (len)
        memcpy(frame->data + frame->len, data, len);
    frame->len += len;
    return 0;
}

void codec_frame_release(struct codec_frame *frame)
{
    if (!frame)
        return;
    av_freep(&frame->data);
    memset(frame, 0, sizeof(*frame));
}

int codec_depacketizer_alloc(struct codec_depacketizer **out, const struct codec_desc *desc)
{
    struct codec_depacketizer *d;

    if (!out || !desc)
        return AVERROR(EINVAL);
    if (!desc->rtp || !desc->rtp->depacketize)
        return AVERROR(ENOSYS);
    d = av_mallocz(sizeof(*d));
    if (!d)
        return AVERROR(ENOMEM);
    d->desc = desc;
    d->ops = desc->rtp;
    if (d->ops->depack_state_size) {
        d->state = av_mallocz(d->ops->depack_state_size);
        if (!d->state) {
            av_free(d);
            return AVERROR(ENOMEM);
        }
    }
    d->needs_keyframe = !d->ops->frame_per_packet;
    *out = d;
    return 0;
}

void codec_depacketizer_free(struct codec_depacketizer **p)
{
    struct codec_depacketizer *d = p ? *p : NULL;

    if (!d)
        return;
    for (int i = 0; i < d->nready; i++)
        av_packet_free(&d->ready[i]);
    codec_frame_release(&d->frame);
    av_free(d->state);
    av_freep(p);
}

int codec_depacketizer_needs_keyframe(const struct codec_depacketizer *d)
{
    return d ? d->needs_keyframe : 0;
}

int64_t codec_depacketizer_broken_frames(const struct codec_depacketizer *d)
{
    return d ? d->broken_frames : 0;
}

/* Marks the frame under reassembly broken, counting it once. */
static void depack_mark_broken(struct codec_depacketizer *d)
{
    if (d->frame.broken)
        return;
    d->frame.broken = 1;
    d->broken_frames++;
    if (!d->ops->frame_per_packet)
        d->needs_keyframe = 1;
}

/* Forgets the frame under reassembly, keeping its buffer for the next one. */
static void depack_reset_frame(struct codec_depacketizer *d)
{
    d->frame.len = 0;
    d->frame.keyframe = 0;
    d->frame.broken = 0;
    d->active = 0;
    d->loss_at_start = 0;
}

/* Moves the frame under reassembly into a packet of the ready queue. */
static int depack_queue_frame(struct codec_depacketizer *d)
{
    struct codec_frame *f = &d->frame;
    AVPacket *pkt = av_packet_alloc();
    AVBufferRef *buf;

    if (!pkt)
        return AVERROR(ENOMEM);
    memset(f->data + f->len, 0, CODEC_FRAME_PAD);
    buf = av_buffer_create(f->data, f->len + CODEC_FRAME_PAD, av_buffer_default_free, NULL, 0);
    if (!buf) {
        av_packet_free(&pkt);
        return AVERROR(ENOMEM);
    }
    pkt->buf = buf;
    pkt->data = f->data;
    pkt->size = (int)f->len;
    pkt->pts = pkt->dts = d->ts;
    if (f->keyframe)
        pkt->flags |= AV_PKT_FLAG_KEY;
    f->data = NULL;
    f->cap = 0;
    if (d->nready == DEPACK_READY_MAX) {     /* cannot happen; stay bounded anyway */
        av_packet_free(&d->ready[0]);
        memmove(&d->ready[0], &d->ready[1], (DEPACK_READY_MAX - 1) * sizeof(d->ready[0]));
        d->nready--;
        d->broken_frames++;
        d->needs_keyframe = !d->ops->frame_per_packet;
    }
    d->ready[d->nready++] = pkt;
    return 0;
}

/* Ends the frame under reassembly: queues it when whole, drops it when broken. */
static int depack_finish(struct codec_depacketizer *d)
{
    int ret = 0;

    if (!d->active)
        return 0;
    if (!d->frame.broken && !d->frame.len)
        depack_mark_broken(d);
    if (!d->frame.broken) {
        ret = depack_queue_frame(d);
        if (ret < 0)
            depack_mark_broken(d);
        else if (d->frame.keyframe)
            d->needs_keyframe = 0;
    }
    depack_reset_frame(d);
    return ret;
}

/* Feeds one payload to the codec; a refusal breaks the frame. */
static int depack_feed(struct codec_depacketizer *d, const uint8_t *payload, size_t len, int first)
{
    int ret;

    if (d->frame.broken)
        return 0;
    ret = d->ops->depacketize(d->state, payload, len, first, &d->frame);
    if (ret < 0) {
        depack_mark_broken(d);
        return ret == AVERROR(ENOMEM) ? ret : 0;
    }
    if (first && d->loss_at_start) {
        /* A valid frame start: what was lost was whole frame(s) before it. */
        d->broken_frames++;
        d->needs_keyframe = 1;
    }
    return 0;
}

static int depack_push_video(struct codec_depacketizer *d, const uint8_t *payload, size_t len,
                             uint32_t timestamp, int marker, int lost_before)
{
    int ret = 0, ret2, first, loss_counted = 0;

    if (d->active && timestamp != d->ts) {
        if (lost_before > 0) {
            depack_mark_broken(d);       /* its tail (and marker) may be what was lost */
            loss_counted = 1;
        }
        ret = depack_finish(d);
    }
    first = !d->active;
    if (first) {
        d->active = 1;
        d->ts = timestamp;
        d->loss_at_start = lost_before > 0 && !loss_counted;
    } else if (lost_before > 0) {
        depack_mark_broken(d);
    }
    ret2 = depack_feed(d, payload, len, first);
    if (ret2 < 0)
        ret = ret2;
    if (marker) {
        ret2 = depack_finish(d);
        if (ret2 < 0)
            ret = ret2;
    }
    return ret;
}

static int depack_push_audio(struct codec_depacketizer *d, const uint8_t *payload, size_t len,
                             uint32_t timestamp)
{
    int ret;

    depack_reset_frame(d);
    d->active = 1;
    d->ts = timestamp;
    ret = depack_feed(d, payload, len, 1);
    if (!d->frame.broken)
        d->frame.keyframe = 1;
    if (ret < 0) {
        depack_reset_frame(d);
        return ret;
    }
    return depack_finish(d);
}

int codec_depacketizer_push(struct codec_depacketizer *d, const uint8_t *payload, size_t len,
                            uint32_t timestamp, int marker, int lost_before, AVPacket *out)
{
    int ret;

    if (!d || !out || (!payload && len))
        return AVERROR(EINVAL);
    if (d->ops->frame_per_packet)
        ret = depack_push_audio(d, payload, len, timestamp);
    else
        ret = depack_push_video(d, payload, len, timestamp, marker, lost_before);
    if (ret < 0)
        return ret;
    if (!d->nready)
        return 0;
    av_packet_unref(out);
    av_packet_move_ref(out, d->ready[0]);
    av_packet_free(&d->ready[0]);
    memmove(&d->ready[0], &d->ready[1], (DEPACK_READY_MAX - 1) * sizeof(d->ready[0]));
    d->ready[--d->nready] = NULL;
    return 1;
}

int codec_packetize_fmtp(const struct codec_desc *desc, const char *fmtp, const uint8_t *frame,
                         size_t len, size_t mtu, codec_payload_emit_fn emit, void *opaque)
{
    if (!desc || !emit || (!frame && len))
        return AVERROR(EINVAL);
    if (!desc->rtp || !desc->rtp->packetize)
        return AVERROR(ENOSYS);
    return desc->rtp->packetize(frame, len, mtu, fmtp ? fmtp : desc->default_fmtp, emit, opaque);
}

int codec_packetize(const struct codec_desc *desc, const uint8_t *frame, size_t len, size_t mtu,
                    codec_payload_emit_fn emit, void *opaque)
{
    return codec_packetize_fmtp(desc, NULL, frame, len, mtu, emit, opaque);
}

long codec_fmtp_int(const char *fmtp, const char *key, long def)
{
    size_t klen = key ? strlen(key) : 0;
    const char *p = fmtp;

    if (!fmtp || !klen)
        return def;
    while (*p) {
        const char *end = strchr(p, ';'), *v;
        size_t n;
        char *stop;
        long val;

        if (!end)
            end = p + strlen(p);
        while (p < end && isspace((unsigned char)*p))
            p++;
        n = (size_t)(end - p);
        if (n > klen && !strncasecmp(p, key, klen)) {
            v = p + klen;
            while (v < end && isspace((unsigned char)*v))
                v++;
            if (v < end && *v == '=') {
                v++;
                while (v < end && isspace((unsigned char)*v))
                    v++;
                errno = 0;
                val = strtol(v, &stop, 10);
                while (stop < end && isspace((unsigned char)*stop))
                    stop++;
                if (stop == end && stop > v && !errno)
                    return val;
                return def;
            }
        }
        p = *end ? end + 1 : end;
    }
    return def;
}

int codec_rtp_packetize_whole(const uint8_t *frame, size_t len, size_t mtu, const char *fmtp,
                              codec_payload_emit_fn emit, void *opaque)
{
    int ret;

    (void)fmtp;
    if (!frame || !len)
        return AVERROR(EINVAL);
    if (len > mtu)
        return AVERROR(EMSGSIZE);
    ret = emit(opaque, frame, len, 1);
    return ret < 0 ? ret : 0;
}

int codec_rtp_depacketize_whole(void *state, const uint8_t *payload, size_t len, int first,
                                struct codec_frame *frame)
{
    (void)state;
    (void)first;
    if (!len)
        return AVERROR_INVALIDDATA;
    frame->keyframe = 1;
    return codec_frame_append(frame, payload, len);
}
