/* Unit tests of net/rtcp: compound parsing, feedback messages, builders. */
#include <string.h>
#include <libavutil/error.h>
#include "net/rtcp.h"
#include "test.h"

/* SR + SDES CNAME as sent by `ffmpeg -re -f lavfi -i sine=d=7 -c:a pcm_mulaw
 * -cname tessera@ffmpeg -f rtp rtp://127.0.0.1:40000` (its second report). */
static const uint8_t ffmpeg_sr_sdes[56] = {
    0x80, 0xc8, 0x00, 0x06, 0x6a, 0xfe, 0x70, 0x7d, 0xee, 0xb3, 0xe1, 0xc9, 0x3d, 0xb2,
    0x2d, 0x0e, 0x5a, 0xfb, 0x6b, 0x21, 0x00, 0x00, 0x00, 0xd8, 0x00, 0x03, 0x60, 0x00,
    0x81, 0xca, 0x00, 0x06, 0x6a, 0xfe, 0x70, 0x7d, 0x01, 0x0e, 't', 'e', 's', 's',
    'e', 'r', 'a', '@', 'f', 'f', 'm', 'p', 'e', 'g', 0x00, 0x00, 0x00, 0x00,
};

static const struct rtcp_report_block blocks[2] = {
    { 0x01020304, 25, -5, 0x0001FFFF, 123, 0xAABBCCDD, 65536 },
    { 0xF0F0F0F0, 255, 0x7FFFFF, 70000, 0, 0, 1 },
};

static int same_block(const struct rtcp_report_block *a, const struct rtcp_report_block *b)
{
    return a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost &&
           a->cumulative_lost == b->cumulative_lost && a->highest_seq == b->highest_seq &&
           a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr;
}

static int test_sr_round_trip(void)
{
    struct rtcp_sender_info sr = { 0x11111111, 0xE0000001, 0x80000000, 90000, 1000, 123456 };
    struct rtcp_info info;
    uint8_t buf[256];
    int len = rtcp_build_sr(buf, sizeof(buf), &sr, blocks, 2);

    TEST_CHECK(len == 28 + 48);
    TEST_CHECK(buf[0] == 0x82 && buf[1] == 200 && buf[3] == len / 4 - 1);
    TEST_CHECK(rtcp_build_sr(buf, (size_t)len - 1, &sr, blocks, 2) == AVERROR(ENOSPC));
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == 0);
    TEST_CHECK(info.has_sr && info.reporter_ssrc == 0x11111111);
    TEST_CHECK(info.sr.ssrc == sr.ssrc && info.sr.ntp_sec == sr.ntp_sec);
    TEST_CHECK(info.sr.ntp_frac == sr.ntp_frac && info.sr.rtp_timestamp == 90000);
    TEST_CHECK(info.sr.packet_count == 1000 && info.sr.octet_count == 123456);
    TEST_CHECK(info.report_count == 2);
    TEST_CHECK(same_block(&info.reports[0], &blocks[0]));
    TEST_CHECK(same_block(&info.reports[1], &blocks[1]));
    return 0;
}

static int test_rr_sdes(void)
{
    struct rtcp_info info;
    uint8_t buf[256];
    int rr = rtcp_build_rr(buf, sizeof(buf), 0x22222222, blocks + 1, 1), sdes;

    TEST_CHECK(rr == 32);
    sdes = rtcp_build_sdes_cname(buf + rr, sizeof(buf) - rr, 0x22222222, "alice@tessera");
    /* 8 + (2 + 13 + 1 null, padded to 16) */
    TEST_CHECK(sdes == 24 && buf[rr + 1] == 202 && buf[rr + 23] == 0);
    TEST_CHECK(rtcp_build_sdes_cname(buf, 11, 1, "alice@tessera") == AVERROR(ENOSPC));
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)(rr + sdes)) == 0);
    TEST_CHECK(!info.has_sr && info.reporter_ssrc == 0x22222222);
    TEST_CHECK(info.report_count == 1 && same_block(&info.reports[0], &blocks[1]));
    TEST_CHECK(!strcmp(info.cname, "alice@tessera"));
    /* A CNAME of 2 bytes still ends with a null octet within 32 bits. */
    sdes = rtcp_build_sdes_cname(buf, sizeof(buf), 7, "ab");
    TEST_CHECK(sdes == 16 && buf[12] == 0);
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)sdes) == 0 && !strcmp(info.cname, "ab"));
    return 0;
}

static int test_ffmpeg_capture(void)
{
    struct rtcp_info info;

    TEST_CHECK(rtcp_parse(&info, ffmpeg_sr_sdes, sizeof(ffmpeg_sr_sdes)) == 0);
    TEST_CHECK(info.has_sr && info.sr.ssrc == 0x6afe707d);
    TEST_CHECK(info.sr.ntp_sec == 0xeeb3e1c9 && info.sr.rtp_timestamp == 0x5afb6b21);
    TEST_CHECK(info.sr.packet_count == 216 && info.sr.octet_count == 216 * 1024);
    TEST_CHECK(info.report_count == 0);
    TEST_CHECK(!strcmp(info.cname, "tessera@ffmpeg"));
    return 0;
}

static int test_pli_fir(void)
{
    struct rtcp_info info;
    uint8_t buf[64];
    int len = rtcp_build_pli(buf, sizeof(buf), 0xA, 0xB);

    TEST_CHECK(len == 12 && buf[0] == 0x81 && buf[1] == 206);
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == 0);
    TEST_CHECK(info.pli && info.pli_media_ssrc == 0xB && !info.fir);
    len = rtcp_build_fir(buf, sizeof(buf), 0xA, 0xC, 77);
    TEST_CHECK(len == 20 && buf[0] == 0x84);
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == 0);
    TEST_CHECK(info.fir && info.fir_media_ssrc == 0xC && info.fir_seq == 77 && !info.pli);
    /* A FIR without its FCI is malformed. */
    buf[3] = 1;
    TEST_CHECK(rtcp_parse(&info, buf, 8) == AVERROR_INVALIDDATA);
    TEST_CHECK(rtcp_build_fir(buf, 19, 1, 2, 3) == AVERROR(ENOSPC));
    return 0;
}

static int test_nack(void)
{
    uint16_t seqs[17], wrap[4] = { 65530, 65535, 3, 40 };
    struct rtcp_info info;
    uint8_t buf[128];
    int len;

    for (int i = 0; i < 17; i++)
        seqs[i] = (uint16_t)(1000 + i);
    len = rtcp_build_nack(buf, sizeof(buf), 1, 0x5555, seqs, 17);
    TEST_CHECK(len == 16);                      /* one PID + a full BLP */
    TEST_CHECK(buf[0] == 0x81 && buf[1] == 205 && buf[14] == 0xFF && buf[15] == 0xFF);
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == 0);
    TEST_CHECK(info.nack_media_ssrc == 0x5555 && info.nack_count == 17);
    for (int i = 0; i < 17; i++)
        TEST_CHECK(info.nacks[i] == seqs[i]);

    len = rtcp_build_nack(buf, sizeof(buf), 1, 2, wrap, 4);
    TEST_CHECK(len == 20);                      /* 65530 + (65535, 3), then 40 */
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == 0 && info.nack_count == 4);
    for (int i = 0; i < 4; i++)
        TEST_CHECK(info.nacks[i] == wrap[i]);
    TEST_CHECK(rtcp_build_nack(buf, sizeof(buf), 1, 2, wrap, 0) == AVERROR(EINVAL));
    TEST_CHECK(rtcp_build_nack(buf, 19, 1, 2, wrap, 4) == AVERROR(ENOSPC));
    return 0;
}

static int test_remb(void)
{
    /* PSFB FMT 15, one SSRC, exp 4, mantissa 78125: 1,250,000 bit/s. */
    static const uint8_t remb[24] = {
        0x8F, 206, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        'R', 'E', 'M', 'B', 0x01, 0x11, 0x31, 0x2D, 0x12, 0x34, 0x56, 0x78,
    };
    uint8_t b[24];
    struct rtcp_info info;

    TEST_CHECK(rtcp_parse(&info, remb, sizeof(remb)) == 0);
    TEST_CHECK(info.has_remb && info.remb_bitrate == 1250000);
    memcpy(b, remb, sizeof(b));
    b[16] = 2;                                  /* two SSRCs claimed, one present */
    TEST_CHECK(rtcp_parse(&info, b, sizeof(b)) == AVERROR_INVALIDDATA);
    b[16] = 1;
    b[15] = 'X';                                /* another AFB: ignored */
    TEST_CHECK(rtcp_parse(&info, b, sizeof(b)) == 0 && !info.has_remb);
    b[15] = 'B';
    b[17] = 0xFF;                               /* exp 63: saturated, no overflow */
    TEST_CHECK(rtcp_parse(&info, b, sizeof(b)) == 0 && info.remb_bitrate == UINT64_MAX);
    return 0;
}

static int test_malformed_compound(void)
{
    uint8_t buf[128];
    struct rtcp_info info;
    int rr = rtcp_build_rr(buf, sizeof(buf), 9, blocks, 1), len;

    len = rr + rtcp_build_sdes_cname(buf + rr, sizeof(buf) - rr, 9, "x@y");
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == 0);
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len - 1) == AVERROR_INVALIDDATA);
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len - 4) == AVERROR_INVALIDDATA);
    TEST_CHECK(rtcp_parse(&info, buf, 3) == AVERROR_INVALIDDATA);
    buf[rr] = 0x41;                             /* version 1 in the second packet */
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == AVERROR_INVALIDDATA);
    buf[rr] = 0x81;
    buf[0] = 0x82;                              /* two report blocks claimed, one */
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == AVERROR_INVALIDDATA);
    buf[0] = 0xA1;                              /* padding count past the body */
    buf[rr - 1] = 100;
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == AVERROR_INVALIDDATA);
    buf[0] = 0x81;
    buf[rr + 9] = 200;                          /* CNAME length past the packet */
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == AVERROR_INVALIDDATA);
    return 0;
}

static int test_unknown_skipped(void)
{
    uint8_t buf[128];
    struct rtcp_info info;
    int len = rtcp_build_rr(buf, sizeof(buf), 9, NULL, 0);

    /* An APP-like type 210 of 8 bytes, a BYE, then a PLI. */
    static const uint8_t other[8] = { 0x80, 210, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF };
    static const uint8_t bye[8] = { 0x81, 203, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09 };

    memcpy(buf + len, other, 8);
    memcpy(buf + len + 8, bye, 8);
    len += 16;
    len += rtcp_build_pli(buf + len, sizeof(buf) - len, 9, 10);
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == 0);
    TEST_CHECK(info.reporter_ssrc == 9 && info.report_count == 0);
    TEST_CHECK(info.bye && info.pli && info.pli_media_ssrc == 10);
    buf[8 + 8] = 0x83;                          /* BYE of 3 SSRCs in one word */
    TEST_CHECK(rtcp_parse(&info, buf, (size_t)len) == AVERROR_INVALIDDATA);
    return 0;
}

static int test_ntp(void)
{
    TEST_CHECK(rtcp_ntp_from_unix_us(0) == (uint64_t)2208988800u << 32);
    TEST_CHECK(rtcp_ntp_from_unix_us(1500000) ==
               ((uint64_t)2208988801u << 32 | 0x80000000u));
    TEST_CHECK((rtcp_ntp_from_unix_us(1700000000250000ull) & 0xFFFFFFFF) == 0x40000000);
    return 0;
}

static const struct test_case rtcp_cases[] = {
    { "sr_round_trip", test_sr_round_trip },
    { "rr_sdes", test_rr_sdes },
    { "ffmpeg_capture", test_ffmpeg_capture },
    { "pli_fir", test_pli_fir },
    { "nack", test_nack },
    { "remb", test_remb },
    { "malformed_compound", test_malformed_compound },
    { "unknown_skipped", test_unknown_skipped },
    { "ntp", test_ntp },
    { NULL, NULL },
};

const struct test_suite rtcp_suite = { "rtcp", rtcp_cases };
