/* Unit tests of net/rtp: header parse/build, RFC 8285 extensions, RFC 6464, rtcp-mux. */
#include <string.h>
#include <libavutil/error.h>
#include "net/rtp.h"
#include "test.h"

/* V=2 P=1 X=1 CC=2, M=1 PT=96, two CSRCs, a one-byte extension block holding an
 * audio level (id 1) and a 3-byte element (id 2) with padding, 3 payload bytes and
 * 3 bytes of RTP padding. */
static const uint8_t hand_packet[] = {
    0xB2, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44,
    0xAA, 0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0xBB, 0xBB,
    0xBE, 0xDE, 0x00, 0x02,
    0x10, 0x85, 0x00, 0x22, 0x01, 0x02, 0x03, 0x00,
    'h', 'i', '!',
    0x00, 0x00, 0x03,
};

static int test_parse_hand_built(void)
{
    struct rtp_packet p;
    const uint8_t *d;
    size_t n;
    int level, voice;

    TEST_CHECK(rtp_parse(&p, hand_packet, sizeof(hand_packet)) == 0);
    TEST_CHECK(p.h.marker == 1 && p.h.payload_type == 96);
    TEST_CHECK(p.h.seq == 0x1234 && p.h.timestamp == 0xDEADBEEF && p.h.ssrc == 0x11223344);
    TEST_CHECK(p.h.csrc_count == 2);
    TEST_CHECK(p.h.csrc[0] == 0xAAAAAAAA && p.h.csrc[1] == 0xBBBBBBBB);
    TEST_CHECK(p.h.has_extension && p.h.ext_profile == RTP_EXT_PROFILE_ONE_BYTE);
    TEST_CHECK(p.h.ext_len == 8 && p.h.ext_data == hand_packet + 24);
    TEST_CHECK(p.payload == hand_packet + 32 && p.payload_len == 3);
    TEST_CHECK(!memcmp(p.payload, "hi!", 3));

    TEST_CHECK(rtp_find_extension(&p.h, 1, &d, &n) == 1);
    TEST_CHECK(n == 1 && d == hand_packet + 25);
    TEST_CHECK(rtp_parse_audio_level(d, n, &level, &voice) == 0);
    TEST_CHECK(level == 5 && voice == 1);
    TEST_CHECK(rtp_find_extension(&p.h, 2, &d, &n) == 1);
    TEST_CHECK(n == 3 && d[0] == 1 && d[2] == 3);
    TEST_CHECK(rtp_find_extension(&p.h, 3, &d, &n) == 0);
    TEST_CHECK(rtp_find_extension(&p.h, 0, &d, &n) == 0);
    return 0;
}

static int test_malformed(void)
{
    uint8_t b[64];
    struct rtp_packet p;

    memcpy(b, hand_packet, sizeof(hand_packet));
    TEST_CHECK(rtp_parse(&p, b, 11) == AVERROR_INVALIDDATA);           /* short */
    TEST_CHECK(rtp_parse(&p, b, 0) == AVERROR_INVALIDDATA);
    b[0] = 0x72;                                                        /* version 1 */
    TEST_CHECK(rtp_parse(&p, b, sizeof(hand_packet)) == AVERROR_INVALIDDATA);
    b[0] = 0x8F;                                                        /* 15 CSRCs */
    TEST_CHECK(rtp_parse(&p, b, sizeof(hand_packet)) == AVERROR_INVALIDDATA);
    b[0] = 0x90;                                /* extension header past the end */
    TEST_CHECK(rtp_parse(&p, b, 14) == AVERROR_INVALIDDATA);
    b[0] = 0xB2;
    b[23] = 10;                                 /* extension length past the end */
    TEST_CHECK(rtp_parse(&p, b, sizeof(hand_packet)) == AVERROR_INVALIDDATA);
    b[23] = 2;
    b[sizeof(hand_packet) - 1] = 7;             /* padding larger than the payload */
    TEST_CHECK(rtp_parse(&p, b, sizeof(hand_packet)) == AVERROR_INVALIDDATA);
    b[sizeof(hand_packet) - 1] = 0;             /* padding count 0 */
    TEST_CHECK(rtp_parse(&p, b, sizeof(hand_packet)) == AVERROR_INVALIDDATA);
    b[sizeof(hand_packet) - 1] = 6;             /* exactly the payload: empty */
    TEST_CHECK(rtp_parse(&p, b, sizeof(hand_packet)) == 0 && p.payload_len == 0);
    b[0] = 0xA0;                                /* padding bit, header only */
    TEST_CHECK(rtp_parse(&p, b, 12) == AVERROR_INVALIDDATA);
    b[0] = 0x80;
    TEST_CHECK(rtp_parse(&p, b, 12) == 0 && p.payload_len == 0 && !p.h.has_extension);
    return 0;
}

static int test_extension_malformed(void)
{
    /* One-byte block: id 3 claims 16 bytes in a 4-byte block. */
    static const uint8_t bad[4] = { 0x3F, 0x01, 0x02, 0x03 };
    /* id 15 stops the walk before id 4. */
    static const uint8_t stop[4] = { 0xF0, 0x40, 0x55, 0x00 };
    struct rtp_header h = { .has_extension = 1, .ext_profile = RTP_EXT_PROFILE_ONE_BYTE,
                            .ext_data = bad, .ext_len = 4 };
    const uint8_t *d;
    size_t n;

    TEST_CHECK(rtp_find_extension(&h, 3, &d, &n) < 0);
    h.ext_data = stop;
    TEST_CHECK(rtp_find_extension(&h, 4, &d, &n) == 0);
    h.ext_profile = 0x1234;                     /* another profile: not ours */
    TEST_CHECK(rtp_find_extension(&h, 4, &d, &n) == 0);
    h.has_extension = 0;
    TEST_CHECK(rtp_find_extension(&h, 4, &d, &n) == 0);
    TEST_CHECK(rtp_parse_audio_level(stop, 0, NULL, NULL) == AVERROR_INVALIDDATA);
    return 0;
}

static int test_two_byte_extension(void)
{
    /* id 7 (empty), padding, id 200 "abc", padding. */
    static const uint8_t block[8] = { 0x07, 0x00, 0x00, 0xC8, 0x03, 'a', 'b', 'c' };
    static const uint8_t trunc[4] = { 0x09, 0x05, 'x', 'y' };
    struct rtp_header h = { .has_extension = 1, .ext_profile = 0x1003,
                            .ext_data = block, .ext_len = 8 };
    const uint8_t *d = NULL;
    size_t n = 99;

    TEST_CHECK(rtp_find_extension(&h, 7, &d, &n) == 1 && n == 0);
    TEST_CHECK(rtp_find_extension(&h, 200, &d, &n) == 1);
    TEST_CHECK(n == 3 && !memcmp(d, "abc", 3));
    TEST_CHECK(rtp_find_extension(&h, 8, &d, &n) == 0);
    h.ext_data = trunc;
    h.ext_len = 4;
    TEST_CHECK(rtp_find_extension(&h, 9, &d, &n) < 0);
    return 0;
}

static int test_build_round_trip(void)
{
    uint8_t ext[16], buf[128];
    uint8_t level = 0x80 | 42;
    struct rtp_header h = { .marker = 1, .payload_type = 111, .seq = 65535,
                            .timestamp = 0xFFFFFFF0, .ssrc = 0xCAFEBABE, .csrc_count = 3,
                            .csrc = { 1, 2, 3 } };
    struct rtp_packet p;
    const uint8_t *d;
    size_t n;
    int ret, lv, vf;

    ret = rtp_build_extension(ext, sizeof(ext), 1, &level, 1);
    TEST_CHECK(ret == 4 && ext[0] == 0x10 && ext[1] == level && !ext[2] && !ext[3]);
    TEST_CHECK(rtp_build_extension(ext, sizeof(ext), 15, &level, 1) < 0);
    TEST_CHECK(rtp_build_extension(ext, sizeof(ext), 1, &level, 0) < 0);
    TEST_CHECK(rtp_build_extension(ext, 3, 1, &level, 1) == AVERROR(ENOSPC));
    h.has_extension = 1;
    h.ext_profile = RTP_EXT_PROFILE_ONE_BYTE;
    h.ext_data = ext;
    h.ext_len = (size_t)ret;

    ret = rtp_write_header(buf, sizeof(buf), &h);
    TEST_CHECK(ret == 12 + 12 + 4 + 4);
    TEST_CHECK(rtp_write_header(buf, (size_t)ret - 1, &h) == AVERROR(ENOSPC));
    memcpy(buf + ret, "payload", 7);
    TEST_CHECK(rtp_parse(&p, buf, (size_t)ret + 7) == 0);
    TEST_CHECK(p.h.marker == 1 && p.h.payload_type == 111 && p.h.seq == 65535);
    TEST_CHECK(p.h.timestamp == 0xFFFFFFF0 && p.h.ssrc == 0xCAFEBABE);
    TEST_CHECK(p.h.csrc_count == 3 && p.h.csrc[2] == 3);
    TEST_CHECK(p.payload_len == 7 && !memcmp(p.payload, "payload", 7));
    TEST_CHECK(rtp_find_extension(&p.h, 1, &d, &n) == 1);
    TEST_CHECK(rtp_parse_audio_level(d, n, &lv, &vf) == 0 && lv == 42 && vf == 1);

    /* Without an extension; an invalid header is refused. */
    h.has_extension = 0;
    h.csrc_count = 0;
    h.marker = 0;
    TEST_CHECK(rtp_write_header(buf, sizeof(buf), &h) == 12);
    TEST_CHECK(rtp_parse(&p, buf, 12) == 0 && p.h.marker == 0 && !p.h.has_extension);
    h.payload_type = 128;
    TEST_CHECK(rtp_write_header(buf, sizeof(buf), &h) == AVERROR(EINVAL));
    return 0;
}

static int test_is_rtcp(void)
{
    static const uint8_t sr[2] = { 0x80, 200 }, rtp[2] = { 0x80, 96 };
    static const uint8_t marked[2] = { 0x80, 0x80 | 8 }, psfb[2] = { 0x81, 206 };
    static const uint8_t low[2] = { 0x80, 191 }, high[2] = { 0x80, 223 }, past[2] = { 0x80, 224 };

    TEST_CHECK(rtp_is_rtcp(sr, 2) == 1 && rtp_is_rtcp(psfb, 2) == 1);
    TEST_CHECK(rtp_is_rtcp(high, 2) == 1);
    TEST_CHECK(rtp_is_rtcp(rtp, 2) == 0 && rtp_is_rtcp(marked, 2) == 0);
    TEST_CHECK(rtp_is_rtcp(low, 2) == 0 && rtp_is_rtcp(past, 2) == 0);
    TEST_CHECK(rtp_is_rtcp(sr, 1) == 0 && rtp_is_rtcp(NULL, 2) == 0);
    return 0;
}

static int test_seq_diff(void)
{
    TEST_CHECK(rtp_seq_diff(1, 65535) == 2);
    TEST_CHECK(rtp_seq_diff(65535, 1) == -2);
    TEST_CHECK(rtp_seq_diff(100, 100) == 0);
    TEST_CHECK(rtp_seq_diff(300, 100) == 200);
    TEST_CHECK(rtp_seq_diff(0x8000, 0) == -32768);
    TEST_CHECK(rtp_seq_diff(0x7FFF, 0) == 32767);
    return 0;
}

static const struct test_case rtp_cases[] = {
    { "parse_hand_built", test_parse_hand_built },
    { "malformed", test_malformed },
    { "extension_malformed", test_extension_malformed },
    { "two_byte_extension", test_two_byte_extension },
    { "build_round_trip", test_build_round_trip },
    { "is_rtcp", test_is_rtcp },
    { "seq_diff", test_seq_diff },
    { NULL, NULL },
};

const struct test_suite rtp_suite = { "rtp", rtp_cases };
