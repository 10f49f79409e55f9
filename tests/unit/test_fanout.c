/* Unit tests of mixer/fanout: one packetization per variant, variants kept apart,
 * the ring forgetting old payloads, another fanout's ids never matching. */
#include <string.h>
#include "codecs/codec.h"
#include "mixer/fanout.h"
#include "test.h"

/* An Annex B packet of one IDR NAL of nal_len bytes. */
static AVPacket *make_packet(int nal_len)
{
    AVPacket *pkt = av_packet_alloc();

    if (!pkt || av_new_packet(pkt, nal_len + 4) < 0) {
        av_packet_free(&pkt);
        return NULL;
    }
    memset(pkt->data, 0x33, (size_t)pkt->size);
    pkt->data[0] = pkt->data[1] = pkt->data[2] = 0;
    pkt->data[3] = 1;
    pkt->data[4] = 0x65;
    pkt->flags = AV_PKT_FLAG_KEY;
    return pkt;
}

/* Two receivers of one variant get the same ids; packetization-mode 0 is another
 * variant (a 1000-byte NAL fits one payload in both modes, a 3000-byte one is FU-A
 * in mode 1 and refused in mode 0). */
static int test_variants(void)
{
    struct fanout *f = NULL;
    AVPacket *small = make_packet(1000), *big = make_packet(3000);
    struct fanout_ref a, b, c;
    const char *mode1 = "packetization-mode=1", *mode0 = "packetization-mode=0";

    TEST_CHECK(small && big && fanout_alloc(&f) == 0);
    fanout_begin_packet(f, 0);
    TEST_CHECK(fanout_payloads(f, small, 0, &codec_h264, mode1, 1200, NULL, 0, &a) == 1);
    TEST_CHECK(fanout_payloads(f, small, 0, &codec_h264, mode1, 1200, NULL, 0, &b) == 1);
    TEST_CHECK(a.id == b.id && a.tag == b.tag);
    TEST_CHECK(fanout_payloads(f, small, 0, &codec_h264, mode0, 1200, NULL, 0, &c) == 1);
    TEST_CHECK(c.id != a.id);
    TEST_CHECK(fanout_get(f, a)->len == 1000 && fanout_get(f, a)->marker == 1);
    TEST_CHECK(fanout_payloads(f, small, 1, &codec_h264, mode1, 1200, NULL, 0, &c) < 0);  /* not current */
    fanout_begin_packet(f, 0);
    TEST_CHECK(fanout_payloads(f, big, 0, &codec_h264, mode1, 1200, NULL, 0, &b) == 3);
    TEST_CHECK(b.id != a.id && fanout_get(f, a));              /* the old payload is still kept */
    TEST_CHECK(fanout_payloads(f, big, 0, &codec_h264, mode0, 1200, NULL, 0, &c) < 0);
    fanout_free(&f);
    av_packet_free(&small);
    av_packet_free(&big);
    return 0;
}

/* After FANOUT_RING more payloads an id is gone; a ref of another fanout never matches. */
static int test_ring_and_tag(void)
{
    struct fanout *f = NULL, *g = NULL;
    AVPacket *pkt = make_packet(100);
    struct fanout_ref first, ref, other;

    TEST_CHECK(pkt && fanout_alloc(&f) == 0 && fanout_alloc(&g) == 0);
    fanout_begin_packet(f, 0);
    TEST_CHECK(fanout_payloads(f, pkt, 0, &codec_opus, "", 1200, NULL, 0, &first) == 1);
    fanout_begin_packet(g, 0);
    TEST_CHECK(fanout_payloads(g, pkt, 0, &codec_opus, "", 1200, NULL, 0, &other) == 1);
    TEST_CHECK(other.tag != first.tag && !fanout_get(f, other) && !fanout_get(g, first));
    for (int i = 0; i < FANOUT_RING - 1; i++) {
        fanout_begin_packet(f, 0);
        TEST_CHECK(fanout_payloads(f, pkt, 0, &codec_opus, "", 1200, NULL, 0, &ref) == 1);
    }
    TEST_CHECK(fanout_get(f, first));                          /* exactly a ring ago: still there */
    fanout_begin_packet(f, 0);
    TEST_CHECK(fanout_payloads(f, pkt, 0, &codec_opus, "", 1200, NULL, 0, &ref) == 1);
    TEST_CHECK(!fanout_get(f, first) && fanout_get(f, ref));
    fanout_free(&f);
    fanout_free(&g);
    av_packet_free(&pkt);
    return 0;
}

/* SPS/PPS go in front of a keyframe (a STAP-A of the two, then the IDR); that is a
 * variant of its own. */
static int test_parameter_sets(void)
{
    static const uint8_t ps[] = { 0, 0, 0, 1, 0x67, 1, 2, 3, 0, 0, 0, 1, 0x68, 4 };
    struct fanout *f = NULL;
    AVPacket *pkt = make_packet(100);
    struct fanout_ref plain, with;
    const struct fanout_payload *p;

    TEST_CHECK(pkt && fanout_alloc(&f) == 0);
    fanout_begin_packet(f, 0);
    TEST_CHECK(fanout_payloads(f, pkt, 0, &codec_h264, "packetization-mode=1", 1200, NULL, 0, &plain) == 1);
    TEST_CHECK(fanout_payloads(f, pkt, 0, &codec_h264, "packetization-mode=1", 1200, ps, sizeof(ps), &with) == 2);
    p = fanout_get(f, with);
    TEST_CHECK(p && (p->data[0] & 0x1f) == 24 && !p->marker);  /* STAP-A: SPS + PPS */
    with.id++;
    p = fanout_get(f, with);
    TEST_CHECK(p && (p->data[0] & 0x1f) == 5 && p->marker && p->len == 100);
    TEST_CHECK((fanout_get(f, plain)->data[0] & 0x1f) == 5);
    fanout_free(&f);
    av_packet_free(&pkt);
    return 0;
}

static const struct test_case fanout_cases[] = {
    { "variants", test_variants },
    { "ring_and_tag", test_ring_and_tag },
    { "parameter_sets", test_parameter_sets },
    { NULL, NULL },
};

const struct test_suite fanout_suite = { "fanout", fanout_cases };
