/* RTP packets (RFC 3550): header parse/build, RFC 8285 extensions, RFC 6464 level. */
#include <errno.h>
#include <string.h>
#include <libavutil/error.h>
#include "net/bytes.h"
#include "net/rtp.h"

#define RTP_VERSION 2
#define RTP_TWO_BYTE_MASK 0xFFF0

int rtp_parse(struct rtp_packet *out, const uint8_t *buf, size_t len)
{
    struct rtp_packet pkt;
    size_t off, end = len;
    int ret = AVERROR_INVALIDDATA;

    if (!out || !buf)
        return AVERROR(EINVAL);
    if (len < RTP_HEADER_MIN || buf[0] >> 6 != RTP_VERSION)
        goto fail;
    memset(&pkt, 0, sizeof(pkt));
    pkt.h.marker = buf[1] >> 7;
    pkt.h.payload_type = buf[1] & 0x7F;
    pkt.h.seq = rd16(buf + 2);
    pkt.h.timestamp = rd32(buf + 4);
    pkt.h.ssrc = rd32(buf + 8);
    pkt.h.csrc_count = buf[0] & 0x0F;
    off = RTP_HEADER_MIN;
    if ((size_t)pkt.h.csrc_count * 4 > len - off)
        goto fail;
    for (int i = 0; i < pkt.h.csrc_count; i++, off += 4)
        pkt.h.csrc[i] = rd32(buf + off);
    if (buf[0] & 0x10) {
        size_t ext_len;

        if (len - off < 4)
            goto fail;
        ext_len = (size_t)rd16(buf + off + 2) * 4;
        if (ext_len > len - off - 4)
            goto fail;
        pkt.h.has_extension = 1;
        pkt.h.ext_profile = rd16(buf + off);
        pkt.h.ext_data = buf + off + 4;
        pkt.h.ext_len = ext_len;
        off += 4 + ext_len;
    }
    if (buf[0] & 0x20) {
        /* The last octet counts the padding, itself included. */
        size_t pad = buf[len - 1];

        if (pad == 0 || pad > len - off)
            goto fail;
        end = len - pad;
    }
    pkt.payload = buf + off;
    pkt.payload_len = end - off;
    *out = pkt;
    ret = 0;
fail:
    return ret;
}

int rtp_write_header(uint8_t *buf, size_t cap, const struct rtp_header *h)
{
    size_t need, off;

    if (!buf || !h || h->csrc_count < 0 || h->csrc_count > RTP_MAX_CSRC ||
        h->payload_type < 0 || h->payload_type > 127)
        return AVERROR(EINVAL);
    need = RTP_HEADER_MIN + (size_t)h->csrc_count * 4;
    if (h->has_extension) {
        if (h->ext_len % 4 || h->ext_len / 4 > 0xFFFF || (h->ext_len && !h->ext_data))
            return AVERROR(EINVAL);
        need += 4 + h->ext_len;
    }
    if (need > cap)
        return AVERROR(ENOSPC);
    buf[0] = (uint8_t)(RTP_VERSION << 6 | (h->has_extension ? 0x10 : 0) | h->csrc_count);
    buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->payload_type);
    wr16(buf + 2, h->seq);
    wr32(buf + 4, h->timestamp);
    wr32(buf + 8, h->ssrc);
    off = RTP_HEADER_MIN;
    for (int i = 0; i < h->csrc_count; i++, off += 4)
        wr32(buf + off, h->csrc[i]);
    if (h->has_extension) {
        wr16(buf + off, h->ext_profile);
        wr16(buf + off + 2, (uint16_t)(h->ext_len / 4));
        /* memmove: the caller may have built the block inside buf. */
        if (h->ext_len)
            memmove(buf + off + 4, h->ext_data, h->ext_len);
    }
    return (int)need;
}

/* One element of the block at *pos: 1 and its id/data/len, 0 at the end of the
 * block (or at the one-byte form's id 15), negative when it runs past the end. */
static int ext_next(const struct rtp_header *h, size_t *pos, int *id,
                    const uint8_t **data, size_t *len)
{
    const uint8_t *d = h->ext_data;
    int two_byte = (h->ext_profile & RTP_TWO_BYTE_MASK) == RTP_EXT_PROFILE_TWO_BYTE;
    size_t i = *pos, n;

    while (i < h->ext_len && d[i] == 0)         /* padding */
        i++;
    if (i >= h->ext_len)
        return 0;
    if (two_byte) {
        if (h->ext_len - i < 2)
            return AVERROR_INVALIDDATA;
        *id = d[i];
        n = d[i + 1];
        i += 2;
    } else {
        *id = d[i] >> 4;
        n = (size_t)(d[i] & 0x0F) + 1;
        if (*id == 15)
            return 0;
        if (*id == 0) {                         /* id 0: padding, length ignored */
            *pos = i + 1;
            *len = 0;
            return 1;
        }
        i++;
    }
    if (n > h->ext_len - i)
        return AVERROR_INVALIDDATA;
    *data = d + i;
    *len = n;
    *pos = i + n;
    return 1;
}

int rtp_find_extension(const struct rtp_header *h, int id, const uint8_t **data, size_t *len)
{
    size_t pos = 0;
    int ret;

    if (!h || !h->has_extension || id <= 0)
        return 0;
    if (h->ext_profile != RTP_EXT_PROFILE_ONE_BYTE &&
        (h->ext_profile & RTP_TWO_BYTE_MASK) != RTP_EXT_PROFILE_TWO_BYTE)
        return 0;                               /* some other profile's extension */
    if (h->ext_len && !h->ext_data)
        return AVERROR(EINVAL);
    for (;;) {
        const uint8_t *d = NULL;
        size_t n = 0;
        int eid = 0;

        ret = ext_next(h, &pos, &eid, &d, &n);
        if (ret <= 0)
            return ret;
        if (eid == id) {
            if (data)
                *data = d;
            if (len)
                *len = n;
            return 1;
        }
    }
}

int rtp_build_extension(uint8_t *buf, size_t cap, int id, const uint8_t *data, size_t len)
{
    size_t block;

    if (!buf || id < 1 || id > 14 || len < 1 || len > 16 || !data)
        return AVERROR(EINVAL);
    block = (1 + len + 3) & ~(size_t)3;
    if (block > cap)
        return AVERROR(ENOSPC);
    buf[0] = (uint8_t)(id << 4 | (len - 1));
    memcpy(buf + 1, data, len);
    memset(buf + 1 + len, 0, block - 1 - len);
    return (int)block;
}

int rtp_parse_audio_level(const uint8_t *data, size_t len, int *level, int *voice)
{
    if (!data || len < 1)
        return AVERROR_INVALIDDATA;
    if (level)
        *level = data[0] & 0x7F;
    if (voice)
        *voice = data[0] >> 7;
    return 0;
}

int rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    return buf && len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

int rtp_seq_diff(uint16_t a, uint16_t b)
{
    int d = (uint16_t)(a - b);

    return d >= 0x8000 ? d - 0x10000 : d;
}
