/* libFuzzer target: random payload sequences into every codec's depacketizer, and
 * packetize -> depacketize round trips that must give the frame back. */
#include <stdlib.h>
#include <string.h>
#include "codecs/codec.h"
#include "codecs/telephone_event.h"

#define FUZZ_MAX_PAYLOADS 512

static const struct codec_desc *const fuzz_codecs[] = {
    &codec_h264, &codec_h263p, &codec_vp8, &codec_opus,
    &codec_g722, &codec_pcmu, &codec_pcma, &codec_aac,
};
#define FUZZ_CODEC_COUNT (sizeof(fuzz_codecs) / sizeof(fuzz_codecs[0]))

/* Payloads of one packetized frame, fed straight into a depacketizer. */
struct fuzz_trip {
    struct codec_depacketizer *d;
    AVPacket *out;
    int results;                     /* frames returned */
    int count;
};

static int fuzz_emit(void *opaque, const uint8_t *p, size_t len, int marker)
{
    struct fuzz_trip *t = opaque;
    int r;

    if (++t->count > FUZZ_MAX_PAYLOADS * 64)
        abort();                     /* a packetizer that does not progress */
    r = codec_depacketizer_push(t->d, p, len, 1234, marker, 0, t->out);
    if (r < 0)
        return r;
    t->results += r;
    return 0;
}

/* The depacketizer's form of Annex B: 4-byte start codes, no trailing zeros, no
 * empty NAL units. Returns its length in out (cap 2 * len + 4). */
static size_t fuzz_annexb_normalize(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0, i = 0, start = 0;
    int in_nal = 0;

    for (;;) {
        int sc = i + 2 < len && !in[i] && !in[i + 1] && in[i + 2] == 1;
        if (sc || i >= len) {
            if (in_nal) {
                size_t end = i < len ? i : len;
                while (end > start && !in[end - 1])
                    end--;
                if (end > start) {
                    memcpy(out + o, "\0\0\0\1", 4);
                    memcpy(out + o + 4, in + start, end - start);
                    o += 4 + end - start;
                }
            }
            if (i >= len)
                return o;
            in_nal = 1;
            start = i + 3;
            i += 3;
            continue;
        }
        i++;
    }
}

/* Whether the first NAL of a normalized Annex B buffer may begin a frame. */
static int fuzz_h264_can_start(const uint8_t *b, size_t len)
{
    int type;

    if (len < 5)
        return 0;
    type = b[4] & 0x1f;
    if (type == 1 || type == 2 || type == 5)
        return len >= 6 && (b[5] & 0x80);
    return type != 3 && type != 4 && type != 0 && type < 24;
}

static void fuzz_round_trip(const struct codec_desc *desc, const uint8_t *frame, size_t len,
                            size_t mtu, const char *fmtp)
{
    struct fuzz_trip t = { 0 };
    uint8_t *expect = NULL;
    size_t elen = len;
    int ret;

    if (codec_depacketizer_alloc(&t.d, desc) < 0)
        return;
    t.out = av_packet_alloc();
    if (!t.out)
        goto done;
    ret = codec_packetize_fmtp(desc, fmtp, frame, len, mtu, fuzz_emit, &t);
    if (ret < 0) {
        if (t.count && ret != AVERROR(ENOMEM))
            abort();                 /* a refused frame emitted payloads */
        goto done;
    }
    if (desc == &codec_h264) {
        expect = malloc(2 * len + 4);
        if (!expect)
            goto done;
        elen = fuzz_annexb_normalize(frame, len, expect);
        if (!fuzz_h264_can_start(expect, elen))
            goto done;               /* refused by design: a frame's first slice is missing */
        frame = expect;
    }
    if (t.results != 1 || (size_t)t.out->size != elen || memcmp(t.out->data, frame, elen) ||
        codec_depacketizer_broken_frames(t.d))
        abort();                     /* what was packetized did not come back */
done:
    free(expect);
    av_packet_free(&t.out);
    codec_depacketizer_free(&t.d);
}

/* Input: codec byte, mtu byte, then records of [flags][len hi][len lo][payload]. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct codec_desc *desc;
    struct codec_depacketizer *d = NULL;
    struct dtmf_event ev;
    AVPacket *out;
    size_t off = 2, mtu;
    uint32_t ts = 0;
    int n = 0;

    if (size < 2)
        return 0;
    desc = fuzz_codecs[data[0] % FUZZ_CODEC_COUNT];
    mtu = 1 + (size_t)data[1] * 8;
    dtmf_event_parse(&ev, data + 2, size - 2);
    fuzz_round_trip(desc, data + 2, size - 2, mtu, (data[0] & 0x80) ? "packetization-mode=0" : NULL);
    if (codec_depacketizer_alloc(&d, desc) < 0)
        return 0;
    out = av_packet_alloc();
    while (out && off + 3 <= size && n++ < FUZZ_MAX_PAYLOADS) {
        uint8_t flags = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        const uint8_t *p;
        uint8_t *copy;

        off += 3;
        if (len > size - off)
            len = size - off;
        /* An exact-size heap copy, so ASan sees any read past the payload. */
        copy = malloc(len ? len : 1);
        if (!copy)
            break;
        memcpy(copy, data + off, len);
        p = copy;
        off += len;
        if (flags & 0x04)
            ts += 3000;
        if (codec_depacketizer_push(d, p, len, ts, flags & 0x01, (flags & 0x02) ? flags >> 4 : 0,
                                    out) == 1 && out->size <= 0)
            abort();
        free(copy);
        (void)codec_depacketizer_needs_keyframe(d);
        (void)codec_depacketizer_broken_frames(d);
    }
    av_packet_free(&out);
    codec_depacketizer_free(&d);
    return 0;
}
