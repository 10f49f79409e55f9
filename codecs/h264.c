/* H.264 (libx264): real-time settings, constrained baseline, RFC 6184 payload format. */
#include <limits.h>
#include <string.h>
#include "codecs/codec.h"

#define H264_NAL_SLICE 1
#define H264_NAL_DPA 2
#define H264_NAL_DPB 3
#define H264_NAL_DPC 4
#define H264_NAL_IDR 5
#define H264_NAL_SEI 6
#define H264_NAL_SPS 7
#define H264_NAL_AUD 9
#define H264_STAP_A 24
#define H264_FU_A 28
#define H264_FU_HDR 2                /* FU indicator + FU header */
#define H264_STAP_LEN_MAX 0xFFFF

struct h264_nal {
    const uint8_t *p;
    size_t len;
};

/* Depacketizer state: the NAL unit an FU-A is rebuilding. */
struct h264_depack {
    int fu_active;
    int fu_type;
};

static const uint8_t h264_start_code[4] = { 0, 0, 0, 1 };

static int h264_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    char keyint[64];

    av_dict_set(opts, "preset", "veryfast", 0);
    av_dict_set(opts, "tune", "zerolatency", 0);
    av_dict_set(opts, "profile", "baseline", 0);
    av_dict_set(opts, "forced-idr", "1", 0);
    snprintf(keyint, sizeof(keyint), "keyint=%d:min-keyint=%d:scenecut=0",
             ctx->gop_size, ctx->gop_size);
    av_dict_set(opts, "x264-params", keyint, 0);
    if (p->bitrate > 0) {
        ctx->rc_max_rate = p->bitrate;
        ctx->rc_buffer_size = p->bitrate;   /* one second of VBV */
    }
    return 0;
}

/* Index of the next 00 00 01 at or after from, or len. */
static size_t h264_find_start(const uint8_t *b, size_t from, size_t len)
{
    for (size_t i = from; i + 2 < len; i++) {
        if (b[i + 2] > 1) {
            i += 2;
            continue;
        }
        if (!b[i] && !b[i + 1] && b[i + 2] == 1)
            return i;
    }
    return len;
}

/* Splits Annex B into NAL units (trailing zero bytes dropped) in *out (av_free it).
 * Returns the count, or a negative code for bytes before the first start code,
 * no NAL at all, or a NAL this payload format cannot carry. */
static int h264_split_annexb(const uint8_t *buf, size_t len, struct h264_nal **out)
{
    struct h264_nal *nals;
    size_t pos = h264_find_start(buf, 0, len), n = 0;

    for (size_t i = 0; i < pos; i++)
        if (buf[i])
            return AVERROR_INVALIDDATA;
    if (len / 4 + 1 > INT_MAX)
        return AVERROR(EINVAL);
    nals = av_malloc_array(len / 4 + 1, sizeof(*nals));
    if (!nals)
        return AVERROR(ENOMEM);
    while (pos < len) {
        size_t start = pos + 3, end;

        pos = h264_find_start(buf, start, len);
        end = pos;
        while (end > start && !buf[end - 1])
            end--;
        if (end == start)
            continue;
        /* F bit set, or a type that would read as reserved, STAP, MTAP or FU. */
        if ((buf[start] & 0x80) || !(buf[start] & 0x1f) || (buf[start] & 0x1f) >= H264_STAP_A) {
            av_free(nals);
            return AVERROR_INVALIDDATA;
        }
        nals[n].p = buf + start;
        nals[n++].len = end - start;
    }
    if (!n) {
        av_free(nals);
        return AVERROR_INVALIDDATA;
    }
    *out = nals;
    return (int)n;
}

/* SEI, SPS, PPS and access unit delimiters lead a frame and are small. */
static int h264_aggregatable(const struct h264_nal *nal)
{
    int type = nal->p[0] & 0x1f;

    return type >= H264_NAL_SEI && type <= H264_NAL_AUD && nal->len <= H264_STAP_LEN_MAX;
}

/* Emits nals[i..j) as one STAP-A built in scratch. */
static int h264_emit_stap(const struct h264_nal *nals, int i, int j, uint8_t *scratch,
                          int marker, codec_payload_emit_fn emit, void *opaque)
{
    size_t off = 1;
    uint8_t nri = 0;

    for (int k = i; k < j; k++) {
        if ((nals[k].p[0] & 0x60) > nri)
            nri = nals[k].p[0] & 0x60;
        scratch[off++] = (uint8_t)(nals[k].len >> 8);
        scratch[off++] = (uint8_t)nals[k].len;
        memcpy(scratch + off, nals[k].p, nals[k].len);
        off += nals[k].len;
    }
    scratch[0] = nri | H264_STAP_A;
    return emit(opaque, scratch, off, marker);
}

/* Emits one NAL larger than mtu as FU-A fragments. */
static int h264_emit_fu(const struct h264_nal *nal, size_t mtu, uint8_t *scratch, int last,
                        codec_payload_emit_fn emit, void *opaque)
{
    const uint8_t hdr = nal->p[0];
    const uint8_t *data = nal->p + 1;
    size_t dlen = nal->len - 1, chunk = mtu - H264_FU_HDR;
    int ret = 0;

    for (size_t off = 0; off < dlen && ret >= 0; off += chunk) {
        size_t n = dlen - off < chunk ? dlen - off : chunk;
        int end = off + n == dlen;

        scratch[0] = (hdr & 0xe0) | H264_FU_A;
        scratch[1] = (off ? 0 : 0x80) | (end ? 0x40 : 0) | (hdr & 0x1f);
        memcpy(scratch + H264_FU_HDR, data + off, n);
        ret = emit(opaque, scratch, n + H264_FU_HDR, last && end);
    }
    return ret;
}

/* RFC 6184 packetization mode 0 (single NAL units) or 1 (plus STAP-A and FU-A). */
static int h264_packetize(const uint8_t *frame, size_t len, size_t mtu, const char *fmtp,
                          codec_payload_emit_fn emit, void *opaque)
{
    struct h264_nal *nals = NULL;
    uint8_t *scratch = NULL;
    long mode = fmtp ? codec_fmtp_int(fmtp, "packetization-mode", 0) : 1;
    int n, ret, i = 0;

    if (!frame || !len || mtu < H264_FU_HDR + 1)
        return AVERROR(EINVAL);
    if (mode != 0 && mode != 1)
        return mode == 2 ? AVERROR(ENOTSUP) : AVERROR(EINVAL);
    n = h264_split_annexb(frame, len, &nals);
    if (n < 0)
        return n;
    ret = AVERROR(EMSGSIZE);
    for (int k = 0; k < n && !mode; k++)
        if (nals[k].len > mtu)
            goto fail;
    ret = AVERROR(ENOMEM);
    scratch = av_malloc(mtu < len + H264_FU_HDR ? mtu : len + H264_FU_HDR);
    if (!scratch)
        goto fail;
    ret = 0;
    while (i < n && ret >= 0) {
        size_t size = 1;
        int j = i;

        while (mode && j < n && h264_aggregatable(&nals[j]) && size + 2 + nals[j].len <= mtu)
            size += 2 + nals[j++].len;
        if (j - i >= 2) {
            ret = h264_emit_stap(nals, i, j, scratch, j == n, emit, opaque);
            i = j;
        } else if (nals[i].len <= mtu) {
            ret = emit(opaque, nals[i].p, nals[i].len, i == n - 1);
            i++;
        } else {
            ret = h264_emit_fu(&nals[i], mtu, scratch, i == n - 1, emit, opaque);
            i++;
        }
    }
    if (ret > 0)
        ret = 0;
fail:
    av_free(scratch);
    av_free(nals);
    return ret;
}

/* Whether a NAL unit of this type, whose bytes after the header are rest[0..n),
 * may begin an access unit: not a slice with first_mb_in_slice != 0 (its ue(v)
 * then starts with a 0 bit), nor a data partition B or C. Arbitrary slice order
 * is not supported. */
static int h264_can_start_frame(int type, const uint8_t *rest, size_t n)
{
    if (type == H264_NAL_SLICE || type == H264_NAL_DPA || type == H264_NAL_IDR)
        return n >= 1 && (rest[0] & 0x80);
    return type != H264_NAL_DPB && type != H264_NAL_DPC;
}

/* Appends one NAL unit as Annex B; notes keyframes. */
static int h264_append_nal(struct codec_frame *frame, const uint8_t *nal, size_t len)
{
    int type = nal[0] & 0x1f, ret;

    if (type == H264_NAL_IDR || type == H264_NAL_SPS)
        frame->keyframe = 1;
    ret = codec_frame_append(frame, h264_start_code, sizeof(h264_start_code));
    if (ret < 0)
        return ret;
    return codec_frame_append(frame, nal, len);
}

static int h264_depack_stap(const uint8_t *p, size_t len, int first, struct codec_frame *frame)
{
    size_t off = 1;
    int ret;

    if (len < 4)
        return AVERROR_INVALIDDATA;
    while (off < len) {                /* validate every unit before appending any */
        size_t n;

        if (len - off < 2)
            return AVERROR_INVALIDDATA;
        n = (size_t)p[off] << 8 | p[off + 1];
        off += 2;
        if (!n || n > len - off || (p[off] & 0x80) || !(p[off] & 0x1f) ||
            (p[off] & 0x1f) >= H264_STAP_A)
            return AVERROR_INVALIDDATA;
        if (off == 3 && first && !h264_can_start_frame(p[off] & 0x1f, p + off + 1, n - 1))
            return AVERROR_INVALIDDATA;
        off += n;
    }
    for (off = 1; off < len;) {
        size_t n = (size_t)p[off] << 8 | p[off + 1];

        ret = h264_append_nal(frame, p + off + 2, n);
        if (ret < 0)
            return ret;
        off += 2 + n;
    }
    return 0;
}

static int h264_depack_fu(struct h264_depack *st, const uint8_t *p, size_t len, int first,
                          struct codec_frame *frame)
{
    int start, end, type, ret;
    uint8_t hdr;

    if (len < H264_FU_HDR + 1)
        return AVERROR_INVALIDDATA;
    start = p[1] & 0x80;
    end = p[1] & 0x40;
    type = p[1] & 0x1f;
    if ((start && end) || !type || type >= H264_STAP_A)
        return AVERROR_INVALIDDATA;
    if (start) {
        hdr = (p[0] & 0xe0) | (uint8_t)type;
        if (st->fu_active)
            return AVERROR_INVALIDDATA;          /* the previous one never ended */
        if (first && !h264_can_start_frame(type, p + H264_FU_HDR, len - H264_FU_HDR))
            return AVERROR_INVALIDDATA;
        ret = h264_append_nal(frame, &hdr, 1);
        if (ret < 0)
            return ret;
        st->fu_active = 1;
        st->fu_type = type;
    } else if (!st->fu_active || type != st->fu_type) {
        return AVERROR_INVALIDDATA;              /* no start fragment, or another NAL's */
    }
    ret = codec_frame_append(frame, p + H264_FU_HDR, len - H264_FU_HDR);
    if (ret < 0)
        return ret;
    if (end)
        st->fu_active = 0;
    return 0;
}

/* RFC 6184 single NAL unit, STAP-A and FU-A payloads to Annex B (4-byte start codes). */
static int h264_depacketize(void *state, const uint8_t *payload, size_t len, int first,
                            struct codec_frame *frame)
{
    struct h264_depack *st = state;
    int type;

    if (first)
        st->fu_active = 0;
    if (!len || (payload[0] & 0x80))
        return AVERROR_INVALIDDATA;
    type = payload[0] & 0x1f;
    if (st->fu_active && type != H264_FU_A)
        return AVERROR_INVALIDDATA;              /* an FU-A was cut short */
    if (type >= 1 && type < H264_STAP_A) {
        if (first && !h264_can_start_frame(type, payload + 1, len - 1))
            return AVERROR_INVALIDDATA;
        return h264_append_nal(frame, payload, len);
    }
    if (type == H264_STAP_A)
        return h264_depack_stap(payload, len, first, frame);
    if (type == H264_FU_A)
        return h264_depack_fu(st, payload, len, first, frame);
    if (type == 0 || type >= 30)
        return 0;                                /* undefined types are ignored */
    return AVERROR_INVALIDDATA;                  /* STAP-B, MTAP, FU-B: mode 2 only */
}

static const struct codec_rtp_ops h264_rtp_ops = {
    .packetize = h264_packetize,
    .depack_state_size = sizeof(struct h264_depack),
    .depacketize = h264_depacketize,
};

const struct codec_desc codec_h264 = {
    .name = "h264",
    .type = AVMEDIA_TYPE_VIDEO,
    .encoder_name = "libx264",
    .sdp_name = "H264",
    .clock_rate = 90000,
    .static_payload_type = -1,
    .configure = h264_configure,
    .rtp = &h264_rtp_ops,
    .default_fmtp = "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1",
};
