/* H.263+ (RFC 4629 "H263-1998"/"H263-2000"): the video codec of legacy room systems. */
#include <string.h>
#include "codecs/codec.h"

#define H263_HDR 2                   /* RR P V PLEN PEBIT */
#define H263_HDR_P 0x04              /* two zero bytes of a start code were removed */
#define H263_HDR_V 0x02              /* a VRC byte follows */
#define H263_SRC_EXTENDED 7          /* source format 111: PLUSPTYPE follows */

static int h263p_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)opts;
    if (p->bitrate > 0) {
        ctx->rc_max_rate = p->bitrate;
        ctx->rc_buffer_size = p->bitrate;
    }
    ctx->thread_count = 1;
    return 0;
}

/* Whether b[0..n) begins with a byte-aligned start code (PSC, GBSC, SSC, EOS):
 * 16 zero bits then a 1. */
static int h263_start_code_at(const uint8_t *b, size_t n)
{
    return n >= 3 && !b[0] && !b[1] && (b[2] & 0x80);
}

/* Whether b[0..n) (a frame without its first two zero bytes) starts with a picture
 * start code: 1000 00 after the 16 zero bits. */
static int h263_psc_tail(const uint8_t *b, size_t n)
{
    return n >= 1 && (b[0] & 0xfc) == 0x80;
}

/* count bits at bit offset pos of b[0..n), or -1 past the end. */
static int h263_bits(const uint8_t *b, size_t n, size_t pos, int count)
{
    int v = 0;

    if (pos + (size_t)count > n * 8)
        return -1;
    for (int i = 0; i < count; i++, pos++)
        v = v << 1 | ((b[pos / 8] >> (7 - pos % 8)) & 1);
    return v;
}

/* 1 when the picture header (b = the bytes after the PSC's two zero bytes) codes an
 * I picture: the PTYPE coding type bit, or PLUSPTYPE's picture type code 000. */
static int h263_is_intra(const uint8_t *b, size_t n)
{
    int fmt = h263_bits(b, n, 19, 3), ufep;

    if (fmt >= 1 && fmt <= 5)
        return h263_bits(b, n, 22, 1) == 0;
    if (fmt != H263_SRC_EXTENDED)
        return 0;
    ufep = h263_bits(b, n, 22, 3);
    if (ufep == 1)
        return h263_bits(b, n, 43, 3) == 0;     /* after OPPTYPE's 18 bits */
    return ufep == 0 && h263_bits(b, n, 25, 3) == 0;
}

/* Latest byte-aligned start code in b(lo..hi], or 0 when none. */
static size_t h263_last_sync(const uint8_t *b, size_t len, size_t lo, size_t hi)
{
    for (size_t k = hi; k > lo; k--)
        if (h263_start_code_at(b + k, len - k))
            return k;
    return 0;
}

/* Splits a frame (it must begin with a picture start code) into payloads that
 * begin at a GOB/slice start code where one fits, else cut at mtu. */
static int h263_packetize(const uint8_t *frame, size_t len, size_t mtu, const char *fmtp,
                          codec_payload_emit_fn emit, void *opaque)
{
    uint8_t *scratch;
    size_t pos = 0, room = mtu - H263_HDR;
    int ret = 0;

    (void)fmtp;
    if (!frame || mtu < H263_HDR + 1)
        return AVERROR(EINVAL);
    if (!h263_start_code_at(frame, len) || !h263_psc_tail(frame + 2, len - 2))
        return AVERROR_INVALIDDATA;
    scratch = av_malloc(mtu < len + H263_HDR ? mtu : len + H263_HDR);
    if (!scratch)
        return AVERROR(ENOMEM);
    while (pos < len && ret >= 0) {
        int p = h263_start_code_at(frame + pos, len - pos);
        size_t start = pos + (p ? 2 : 0), n = len - start, k;

        if (n > room) {
            n = room;
            k = h263_last_sync(frame, len, start, start + n);
            if (k)
                n = k - start;
        }
        scratch[0] = p ? H263_HDR_P : 0;
        scratch[1] = 0;
        memcpy(scratch + H263_HDR, frame + start, n);
        pos = start + n;
        ret = emit(opaque, scratch, n + H263_HDR, pos == len);
    }
    av_free(scratch);
    return ret < 0 ? ret : 0;
}

/* Strips the payload header (and VRC, extra picture header), reinserts the two
 * zero bytes when P is set. The first payload of a frame must hold its PSC. */
static int h263_depacketize(void *state, const uint8_t *payload, size_t len, int first,
                            struct codec_frame *frame)
{
    static const uint8_t zeros[2];
    size_t off, plen;
    int p, ret;

    (void)state;
    if (len < H263_HDR)
        return AVERROR_INVALIDDATA;
    p = payload[0] & H263_HDR_P;
    plen = (size_t)(payload[0] & 0x01) << 5 | payload[1] >> 3;
    off = H263_HDR + ((payload[0] & H263_HDR_V) ? 1 : 0) + plen;
    if (off >= len)
        return AVERROR_INVALIDDATA;
    payload += off;
    len -= off;
    if (first) {
        if (!p || !h263_psc_tail(payload, len))
            return AVERROR_INVALIDDATA;
        frame->keyframe = h263_is_intra(payload, len);
    }
    if (p) {
        ret = codec_frame_append(frame, zeros, sizeof(zeros));
        if (ret < 0)
            return ret;
    }
    return codec_frame_append(frame, payload, len);
}

static const struct codec_rtp_ops h263p_rtp_ops = {
    .packetize = h263_packetize,
    .depacketize = h263_depacketize,
};

const struct codec_desc codec_h263p = {
    .name = "h263p",
    .type = AVMEDIA_TYPE_VIDEO,
    .encoder_name = "h263p",
    .sdp_name = "H263-1998",
    .clock_rate = 90000,
    .static_payload_type = -1,
    .configure = h263p_configure,
    .rtp = &h263p_rtp_ops,
    .default_fmtp = "CIF4=1;CIF=1;QCIF=1",
};
