/* VP8 (libvpx): real-time settings, for WebRTC receivers; RFC 7741 payload format. */
#include <string.h>
#include "codecs/codec.h"

#define VP8_DESC_X 0x80              /* extended control bits present */
#define VP8_DESC_S 0x10              /* start of a partition */
#define VP8_DESC_PID 0x07
#define VP8_EXT_I 0x80               /* picture ID present */
#define VP8_EXT_L 0x40               /* TL0PICIDX present */
#define VP8_EXT_T 0x20               /* TID present */
#define VP8_EXT_K 0x10               /* KEYIDX present */
#define VP8_PICID_M 0x80             /* 15-bit picture ID */

static int vp8_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)ctx;
    (void)p;
    av_dict_set(opts, "deadline", "realtime", 0);
    av_dict_set(opts, "cpu-used", "8", 0);
    av_dict_set(opts, "lag-in-frames", "0", 0);
    return 0;
}

/* Splits a frame into payloads behind a 1-byte descriptor, S set on the first. */
static int vp8_packetize(const uint8_t *frame, size_t len, size_t mtu, const char *fmtp,
                         codec_payload_emit_fn emit, void *opaque)
{
    uint8_t *scratch;
    size_t chunk = mtu - 1;
    int ret = 0;

    (void)fmtp;
    if (!frame || !len || mtu < 2)
        return AVERROR(EINVAL);
    scratch = av_malloc(mtu < len + 1 ? mtu : len + 1);
    if (!scratch)
        return AVERROR(ENOMEM);
    for (size_t off = 0; off < len && ret >= 0; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;

        scratch[0] = off ? 0 : VP8_DESC_S;   /* PID 0 */
        memcpy(scratch + 1, frame + off, n);
        ret = emit(opaque, scratch, n + 1, off + n == len);
    }
    av_free(scratch);
    return ret < 0 ? ret : 0;
}

/* Length of the payload descriptor, or a negative code when it is truncated. */
static int vp8_descriptor_len(const uint8_t *p, size_t len)
{
    size_t off = 1;
    uint8_t ext;

    if (len < 1)
        return AVERROR_INVALIDDATA;
    if (!(p[0] & VP8_DESC_X))
        return 1;
    if (len < 2)
        return AVERROR_INVALIDDATA;
    ext = p[off++];
    if (ext & VP8_EXT_I) {
        if (off >= len)
            return AVERROR_INVALIDDATA;
        off += (p[off] & VP8_PICID_M) ? 2 : 1;
    }
    if (ext & VP8_EXT_L)
        off++;
    if (ext & (VP8_EXT_T | VP8_EXT_K))
        off++;
    if (off > len)
        return AVERROR_INVALIDDATA;
    return (int)off;
}

/* Appends a payload without its descriptor. A frame starts with S=1, PID=0; its
 * first byte carries the P bit of the VP8 frame tag (0 = key frame). */
static int vp8_depacketize(void *state, const uint8_t *payload, size_t len, int first,
                           struct codec_frame *frame)
{
    int dlen = vp8_descriptor_len(payload, len);
    int start;

    (void)state;
    if (dlen < 0)
        return dlen;
    if ((size_t)dlen >= len)
        return AVERROR_INVALIDDATA;              /* no VP8 data */
    start = (payload[0] & VP8_DESC_S) && !(payload[0] & VP8_DESC_PID);
    if (!!first != start)
        return AVERROR_INVALIDDATA;              /* missing start, or a second one */
    if (start)
        frame->keyframe = !(payload[dlen] & 0x01);
    return codec_frame_append(frame, payload + dlen, len - (size_t)dlen);
}

static const struct codec_rtp_ops vp8_rtp_ops = {
    .packetize = vp8_packetize,
    .depacketize = vp8_depacketize,
};

const struct codec_desc codec_vp8 = {
    .name = "vp8",
    .type = AVMEDIA_TYPE_VIDEO,
    .encoder_name = "libvpx",
    .sdp_name = "VP8",
    .clock_rate = 90000,
    .static_payload_type = -1,
    .configure = vp8_configure,
    .rtp = &vp8_rtp_ops,
};
