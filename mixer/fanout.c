/* Packetize once per profile: the payload cache and shared NACK ring of fanout.h. */
#include <stdatomic.h>
#include <string.h>
#include <libavutil/mem.h>
#include "codecs/codec.h"
#include "mixer/fanout.h"

#define FANOUT_FMTP 512

/* One way of cutting a packet into payloads, and where the current packet's went. */
struct fanout_variant {
    int stream_index;
    const struct codec_desc *codec;
    char fmtp[FANOUT_FMTP];
    size_t mtu;
    int with_parameter_sets;
    uint64_t serial;                 /* the packet the payloads below are for */
    uint64_t first;
    int count, error;
};

struct fanout {
    uint32_t tag;
    struct fanout_payload *ring;     /* allocated by the first fanout_payloads */
    uint64_t next_id;
    uint64_t serial;                 /* of the current packet */
    int stream_index;
    struct fanout_variant variants[FANOUT_MAX_VARIANTS];
    int variant_count;
    uint8_t *frame;                  /* parameter sets + keyframe, reused */
    size_t frame_cap;
};

/* Filled by the codec's packetizer through fanout_emit. */
struct fanout_fill {
    struct fanout *f;
    struct fanout_variant *v;
};

static atomic_uint fanout_next_tag = 1;

int fanout_alloc(struct fanout **out)
{
    struct fanout *f = av_mallocz(sizeof(*f));

    if (!f)
        return AVERROR(ENOMEM);
    f->tag = atomic_fetch_add(&fanout_next_tag, 1);
    f->next_id = 1;
    f->stream_index = -1;
    *out = f;
    return 0;
}

void fanout_free(struct fanout **p)
{
    struct fanout *f = *p;

    if (!f)
        return;
    av_free(f->ring);
    av_free(f->frame);
    av_free(f);
    *p = NULL;
}

void fanout_begin_packet(struct fanout *f, int stream_index)
{
    f->serial++;
    f->stream_index = stream_index;
}

static int fanout_emit(void *opaque, const uint8_t *payload, size_t len, int marker)
{
    struct fanout_fill *fill = opaque;
    struct fanout_payload *slot;

    if (len > FANOUT_MTU)
        return AVERROR(EINVAL);
    if (fill->v->count >= FANOUT_MAX_PAYLOADS)
        return AVERROR(EMSGSIZE);
    slot = &fill->f->ring[fill->f->next_id % FANOUT_RING];
    slot->id = fill->f->next_id++;
    slot->len = (uint16_t)len;
    slot->marker = (uint8_t)!!marker;
    memcpy(slot->data, payload, len);
    fill->v->count++;
    return 0;
}

/* The variant of these settings, a new one (or the least recently used) if none. */
static struct fanout_variant *fanout_variant(struct fanout *f, int stream_index, const struct codec_desc *codec,
                                             const char *fmtp, size_t mtu, int with_parameter_sets)
{
    struct fanout_variant *v, *oldest = &f->variants[0];

    for (int i = 0; i < f->variant_count; i++) {
        v = &f->variants[i];
        if (v->stream_index == stream_index && v->codec == codec && v->mtu == mtu &&
            v->with_parameter_sets == with_parameter_sets && !strcmp(v->fmtp, fmtp))
            return v;
        if (v->serial < oldest->serial)
            oldest = v;
    }
    v = f->variant_count < FANOUT_MAX_VARIANTS ? &f->variants[f->variant_count++] : oldest;
    memset(v, 0, sizeof(*v));
    v->stream_index = stream_index;
    v->codec = codec;
    v->mtu = mtu;
    v->with_parameter_sets = with_parameter_sets;
    snprintf(v->fmtp, sizeof(v->fmtp), "%s", fmtp);
    return v;
}

/* Cuts the current packet into v's payloads. */
static int fanout_fill_variant(struct fanout *f, struct fanout_variant *v, const AVPacket *pkt,
                               const uint8_t *parameter_sets, int parameter_sets_len)
{
    struct fanout_fill fill = { f, v };
    const uint8_t *data = pkt->data;
    size_t len = (size_t)pkt->size;

    if (parameter_sets_len > 0 && (pkt->flags & AV_PKT_FLAG_KEY)) {
        size_t need = (size_t)parameter_sets_len + len;
        if (need > f->frame_cap) {
            uint8_t *frame = av_realloc(f->frame, need);
            if (!frame)
                return AVERROR(ENOMEM);
            f->frame = frame;
            f->frame_cap = need;
        }
        memcpy(f->frame, parameter_sets, (size_t)parameter_sets_len);
        memcpy(f->frame + parameter_sets_len, pkt->data, (size_t)pkt->size);
        data = f->frame;
        len = need;
    }
    v->serial = f->serial;
    v->first = f->next_id;
    v->count = 0;
    v->error = codec_packetize_fmtp(v->codec, v->fmtp[0] ? v->fmtp : NULL, data, len, v->mtu,
                                    fanout_emit, &fill);
    return v->error;
}

int fanout_payloads(struct fanout *f, const AVPacket *pkt, int stream_index, const struct codec_desc *codec,
                    const char *fmtp, size_t mtu, const uint8_t *parameter_sets, int parameter_sets_len,
                    struct fanout_ref *first)
{
    struct fanout_variant *v;
    int with_ps = parameter_sets && parameter_sets_len > 0;

    if (stream_index != f->stream_index || mtu > FANOUT_MTU || !fmtp || strlen(fmtp) >= FANOUT_FMTP)
        return AVERROR(EINVAL);
    if (!f->ring) {
        f->ring = av_calloc(FANOUT_RING, sizeof(*f->ring));
        if (!f->ring)
            return AVERROR(ENOMEM);
    }
    v = fanout_variant(f, stream_index, codec, fmtp, mtu, with_ps);
    if (v->serial != f->serial) {
        int ret = fanout_fill_variant(f, v, pkt, parameter_sets, parameter_sets_len);
        if (ret < 0)
            return ret;
    } else if (v->error < 0) {
        return v->error;
    }
    first->tag = f->tag;
    first->id = v->first;
    return v->count;
}

const struct fanout_payload *fanout_get(const struct fanout *f, struct fanout_ref ref)
{
    const struct fanout_payload *p;

    if (!f || !f->ring || ref.tag != f->tag)
        return NULL;
    p = &f->ring[ref.id % FANOUT_RING];
    return p->id == ref.id ? p : NULL;
}

size_t fanout_memory(const struct fanout *f)
{
    return sizeof(*f) + (f->ring ? FANOUT_RING * sizeof(*f->ring) : 0) + f->frame_cap;
}
