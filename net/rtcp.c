/* RTCP (RFC 3550, 4585, 5104, REMB draft): compound packet parser and builders. */
#include <errno.h>
#include <string.h>
#include <libavutil/error.h>
#include "net/bytes.h"
#include "net/rtcp.h"

enum {
    RTCP_SR = 200, RTCP_RR = 201, RTCP_SDES = 202, RTCP_BYE = 203,
    RTCP_RTPFB = 205, RTCP_PSFB = 206,
};

#define RTCP_VERSION 2
#define RTCP_REPORT_SIZE 24
#define RTCP_FMT_NACK 1
#define RTCP_FMT_PLI 1
#define RTCP_FMT_FIR 4
#define RTCP_FMT_AFB 15
#define RTCP_SDES_CNAME 1
#define RTCP_NTP_UNIX_OFFSET 2208988800ULL   /* seconds from 1900 to 1970 */

/* Parser state: what is found so far. */
struct rtcp_ctx {
    struct rtcp_info info;
    int have_reporter;           /* reporter_ssrc comes from the first SR or RR */
};

/* Report blocks of an SR or RR; the caller checked that count blocks fit. */
static void parse_reports(struct rtcp_info *info, const uint8_t *p, int count)
{
    for (int i = 0; i < count && info->report_count < RTCP_MAX_REPORTS; i++, p += 24) {
        struct rtcp_report_block *rb = &info->reports[info->report_count++];
        int32_t lost = (int32_t)((uint32_t)p[5] << 16 | p[6] << 8 | p[7]);

        rb->ssrc = rd32(p);
        rb->fraction_lost = p[4];
        rb->cumulative_lost = lost >= 0x800000 ? lost - 0x1000000 : lost;
        rb->highest_seq = rd32(p + 8);
        rb->jitter = rd32(p + 12);
        rb->lsr = rd32(p + 16);
        rb->dlsr = rd32(p + 20);
    }
}

static int parse_sr_rr(struct rtcp_ctx *ctx, int pt, int count, const uint8_t *p, size_t n)
{
    struct rtcp_info *info = &ctx->info;
    size_t fixed = pt == RTCP_SR ? 24 : 4;

    if (n < fixed || (n - fixed) / RTCP_REPORT_SIZE < (size_t)count)
        return AVERROR_INVALIDDATA;
    if (pt == RTCP_SR && !info->has_sr) {
        info->has_sr = 1;
        info->sr.ssrc = rd32(p);
        info->sr.ntp_sec = rd32(p + 4);
        info->sr.ntp_frac = rd32(p + 8);
        info->sr.rtp_timestamp = rd32(p + 12);
        info->sr.packet_count = rd32(p + 16);
        info->sr.octet_count = rd32(p + 20);
    }
    if (!ctx->have_reporter) {
        ctx->have_reporter = 1;
        info->reporter_ssrc = rd32(p);
    }
    parse_reports(info, p + fixed, count);
    return 0;
}

/* The CNAME of the first chunk; later chunks and items are not needed. */
static int parse_sdes(struct rtcp_info *info, int count, const uint8_t *p, size_t n)
{
    size_t i = 4;

    if (count == 0 || info->cname[0])
        return 0;
    if (n < 4)
        return AVERROR_INVALIDDATA;
    while (i < n && p[i] != 0) {               /* item type 0 ends the chunk */
        size_t len;

        if (n - i < 2 || (len = p[i + 1]) > n - i - 2)
            return AVERROR_INVALIDDATA;
        if (p[i] == RTCP_SDES_CNAME) {
            memcpy(info->cname, p + i + 2, len);
            info->cname[len] = '\0';
            return 0;
        }
        i += 2 + len;
    }
    return 0;
}

static int parse_rtpfb(struct rtcp_info *info, int fmt, const uint8_t *p, size_t n)
{
    if (n < 8)
        return AVERROR_INVALIDDATA;
    if (fmt != RTCP_FMT_NACK)
        return 0;
    if (!info->nack_count)
        info->nack_media_ssrc = rd32(p + 4);
    for (size_t i = 8; n - i >= 4; i += 4) {
        uint16_t pid = rd16(p + i), blp = rd16(p + i + 2);

        for (int b = -1; b < 16 && info->nack_count < RTCP_MAX_NACKS; b++)
            if (b < 0 || blp & (1 << b))
                info->nacks[info->nack_count++] = (uint16_t)(pid + b + 1);
    }
    return 0;
}

static int parse_remb(struct rtcp_info *info, const uint8_t *p, size_t n)
{
    uint32_t mantissa;
    int exp;

    if (n < 16 || memcmp(p + 8, "REMB", 4))
        return 0;                               /* another application's AFB */
    if ((n - 16) / 4 < p[12])                   /* the SSRC list */
        return AVERROR_INVALIDDATA;
    exp = p[13] >> 2;
    mantissa = (uint32_t)(p[13] & 3) << 16 | rd16(p + 14);
    info->has_remb = 1;
    /* 18-bit mantissa << 6-bit exponent: saturate what does not fit 64 bits. */
    if (exp > 46 && mantissa >> (64 - exp))
        info->remb_bitrate = UINT64_MAX;
    else
        info->remb_bitrate = (uint64_t)mantissa << exp;
    return 0;
}

static int parse_psfb(struct rtcp_info *info, int fmt, const uint8_t *p, size_t n)
{
    if (n < 8)
        return AVERROR_INVALIDDATA;
    switch (fmt) {
    case RTCP_FMT_PLI:
        info->pli = 1;
        info->pli_media_ssrc = rd32(p + 4);
        return 0;
    case RTCP_FMT_FIR:
        if (n < 16)
            return AVERROR_INVALIDDATA;
        info->fir = 1;
        info->fir_media_ssrc = rd32(p + 8);
        info->fir_seq = p[12];
        return 0;
    case RTCP_FMT_AFB:
        return parse_remb(info, p, n);
    default:
        return 0;
    }
}

static int parse_one(struct rtcp_ctx *ctx, int pt, int count, const uint8_t *p, size_t n)
{
    struct rtcp_info *info = &ctx->info;

    switch (pt) {
    case RTCP_SR:
    case RTCP_RR:
        return parse_sr_rr(ctx, pt, count, p, n);
    case RTCP_SDES:
        return parse_sdes(info, count, p, n);
    case RTCP_BYE:
        if ((size_t)count > n / 4)
            return AVERROR_INVALIDDATA;
        info->bye = 1;
        return 0;
    case RTCP_RTPFB:
        return parse_rtpfb(info, count, p, n);
    case RTCP_PSFB:
        return parse_psfb(info, count, p, n);
    default:
        return 0;                               /* unknown type: skipped */
    }
}

int rtcp_parse(struct rtcp_info *out, const uint8_t *buf, size_t len)
{
    struct rtcp_ctx ctx;
    size_t off = 0;
    int ret = AVERROR_INVALIDDATA;

    if (!out || !buf)
        return AVERROR(EINVAL);
    memset(&ctx, 0, sizeof(ctx));
    if (len < 4)
        goto fail;
    while (off < len) {
        const uint8_t *p = buf + off;
        size_t plen, body;
        int err;

        if (len - off < 4 || p[0] >> 6 != RTCP_VERSION)
            goto fail;
        plen = ((size_t)rd16(p + 2) + 1) * 4;
        if (plen > len - off)
            goto fail;
        body = plen - 4;
        if (p[0] & 0x20) {                      /* padding, its count last */
            if (p[plen - 1] == 0 || p[plen - 1] > body)
                goto fail;
            body -= p[plen - 1];
        }
        err = parse_one(&ctx, p[1], p[0] & 0x1F, p + 4, body);
        if (err < 0) {
            ret = err;
            goto fail;
        }
        off += plen;
    }
    *out = ctx.info;
    ret = 0;
fail:
    return ret;
}

/* Common header: V=2, count/FMT, type and the length in 32-bit words minus one. */
static void write_common(uint8_t *p, int count, int pt, size_t len)
{
    p[0] = (uint8_t)(RTCP_VERSION << 6 | count);
    p[1] = (uint8_t)pt;
    wr16(p + 2, (uint16_t)(len / 4 - 1));
}

static void write_reports(uint8_t *p, const struct rtcp_report_block *rb, int count)
{
    for (int i = 0; i < count; i++, p += RTCP_REPORT_SIZE) {
        int32_t lost = rb[i].cumulative_lost;

        if (lost > 0x7FFFFF)
            lost = 0x7FFFFF;
        else if (lost < -0x800000)
            lost = -0x800000;
        wr32(p, rb[i].ssrc);
        wr32(p + 4, (uint32_t)rb[i].fraction_lost << 24 | ((uint32_t)lost & 0xFFFFFF));
        wr32(p + 8, rb[i].highest_seq);
        wr32(p + 12, rb[i].jitter);
        wr32(p + 16, rb[i].lsr);
        wr32(p + 20, rb[i].dlsr);
    }
}

int rtcp_build_sr(uint8_t *buf, size_t cap, const struct rtcp_sender_info *sr,
                  const struct rtcp_report_block *reports, int report_count)
{
    size_t len = 28 + (size_t)report_count * RTCP_REPORT_SIZE;

    if (!buf || !sr || report_count < 0 || report_count > RTCP_MAX_REPORTS ||
        (report_count && !reports))
        return AVERROR(EINVAL);
    if (len > cap)
        return AVERROR(ENOSPC);
    write_common(buf, report_count, RTCP_SR, len);
    wr32(buf + 4, sr->ssrc);
    wr32(buf + 8, sr->ntp_sec);
    wr32(buf + 12, sr->ntp_frac);
    wr32(buf + 16, sr->rtp_timestamp);
    wr32(buf + 20, sr->packet_count);
    wr32(buf + 24, sr->octet_count);
    write_reports(buf + 28, reports, report_count);
    return (int)len;
}

int rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                  const struct rtcp_report_block *reports, int report_count)
{
    size_t len = 8 + (size_t)report_count * RTCP_REPORT_SIZE;

    if (!buf || report_count < 0 || report_count > RTCP_MAX_REPORTS ||
        (report_count && !reports))
        return AVERROR(EINVAL);
    if (len > cap)
        return AVERROR(ENOSPC);
    write_common(buf, report_count, RTCP_RR, len);
    wr32(buf + 4, ssrc);
    write_reports(buf + 8, reports, report_count);
    return (int)len;
}

int rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
    size_t n, items, len;

    if (!buf || !cname || (n = strlen(cname)) > 255)
        return AVERROR(EINVAL);
    items = (2 + n + 1 + 3) & ~(size_t)3;      /* CNAME item, >= 1 null octet, pad */
    len = 8 + items;
    if (len > cap)
        return AVERROR(ENOSPC);
    write_common(buf, 1, RTCP_SDES, len);
    wr32(buf + 4, ssrc);
    buf[8] = RTCP_SDES_CNAME;
    buf[9] = (uint8_t)n;
    memcpy(buf + 10, cname, n);
    memset(buf + 10 + n, 0, items - 2 - n);
    return (int)len;
}

int rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!buf)
        return AVERROR(EINVAL);
    if (cap < 12)
        return AVERROR(ENOSPC);
    write_common(buf, RTCP_FMT_PLI, RTCP_PSFB, 12);
    wr32(buf + 4, sender_ssrc);
    wr32(buf + 8, media_ssrc);
    return 12;
}

int rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                   uint8_t seq)
{
    if (!buf)
        return AVERROR(EINVAL);
    if (cap < 20)
        return AVERROR(ENOSPC);
    write_common(buf, RTCP_FMT_FIR, RTCP_PSFB, 20);
    wr32(buf + 4, sender_ssrc);
    wr32(buf + 8, 0);                           /* RFC 5104 4.3.1: media SSRC unused */
    wr32(buf + 12, media_ssrc);
    wr32(buf + 16, (uint32_t)seq << 24);
    return 20;
}

int rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                    const uint16_t *seqs, int count)
{
    size_t len = 12;
    uint16_t pid = 0, blp = 0;

    if (!buf || !seqs || count <= 0)
        return AVERROR(EINVAL);
    if (cap < 16)
        return AVERROR(ENOSPC);
    /* Each seq joins the open pair when within 16 after its PID, else opens one:
     * seqs in increasing order give the fewest pairs. */
    for (int i = 0; i < count; i++) {
        int d = len > 12 ? (uint16_t)(seqs[i] - pid) : -1;

        if (d == 0)
            continue;
        if (d >= 1 && d <= 16) {
            blp |= (uint16_t)(1 << (d - 1));
            wr16(buf + len - 2, blp);
            continue;
        }
        if (len + 4 > cap)
            return AVERROR(ENOSPC);
        if (len + 4 > 4 * 65536)
            return AVERROR(EINVAL);
        pid = seqs[i];
        blp = 0;
        wr16(buf + len, pid);
        wr16(buf + len + 2, 0);
        len += 4;
    }
    write_common(buf, RTCP_FMT_NACK, RTCP_RTPFB, len);
    wr32(buf + 4, sender_ssrc);
    wr32(buf + 8, media_ssrc);
    return (int)len;
}

uint64_t rtcp_ntp_from_unix_us(uint64_t unix_us)
{
    uint64_t sec = unix_us / 1000000 + RTCP_NTP_UNIX_OFFSET;
    uint64_t frac = ((unix_us % 1000000) << 32) / 1000000;

    return sec << 32 | frac;
}
