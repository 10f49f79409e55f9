/* Unit tests of mixer/sink_rtp: RTCP feedback on a bundled endpoint (two sinks, no
 * source); receivers sharing a profile's fanout (payloads cut once, NACK answered
 * from the shared ring). */
#include <string.h>
#include <libavutil/avutil.h>
#include "codecs/codec.h"
#include "mixer/fanout.h"
#include "mixer/sink.h"
#include "mixer/sink_rtp.h"
#include "net/rtcp.h"
#include "net/rtp.h"
#include "net/rtp_endpoint.h"
#include "test.h"

static int sent_count;

static int count_send(void *opaque, const uint8_t *buf, size_t len, int is_rtcp)
{
    (void)opaque;
    (void)buf;
    (void)len;
    (void)is_rtcp;
    sent_count++;
    return 0;
}

static int make_sink(struct sink **out, struct rtp_endpoint *ep, enum AVMediaType type, uint32_t ssrc)
{
    struct sink_rtp_config c = { 0 };

    c.endpoint = ep;
    c.type = type;
    c.codec = type == AVMEDIA_TYPE_VIDEO ? &codec_h264 : &codec_opus;
    c.payload_type = type == AVMEDIA_TYPE_VIDEO ? 102 : 111;
    c.clock_rate = type == AVMEDIA_TYPE_VIDEO ? 90000 : 48000;
    c.ssrc = ssrc;
    snprintf(c.url, sizeof(c.url), "test");
    return sink_rtp_alloc(out, &c);
}

/* The audio sink drains a PLI and a NACK about the video SSRC: they reach the video
 * sink through the endpoint's mailbox, not the audio sink. */
static int test_bundled_feedback(void)
{
    struct rtp_endpoint *ep = NULL;
    struct sink *video = NULL, *audio = NULL;
    struct sink_rtp_stats vs, as;
    uint16_t seqs[2] = { 100, 101 };
    uint8_t buf[256];
    int n, ok;

    TEST_CHECK(rtp_endpoint_open_external(&ep, count_send, NULL, 16) == 0);
    TEST_CHECK(make_sink(&video, ep, AVMEDIA_TYPE_VIDEO, 0x1111) == 0);
    TEST_CHECK(make_sink(&audio, ep, AVMEDIA_TYPE_AUDIO, 0x2222) == 0);
    n = rtcp_build_pli(buf, sizeof(buf), 0x9999, 0x1111);
    TEST_CHECK(n > 0);
    rtp_endpoint_push(ep, buf, (size_t)n, 1);
    n = rtcp_build_nack(buf, sizeof(buf), 0x9999, 0x1111, seqs, 2);
    TEST_CHECK(n > 0);
    rtp_endpoint_push(ep, buf, (size_t)n, 1);
    ok = audio->ops->poll(audio) == 0 && video->ops->poll(video) == 1;
    sink_rtp_get_stats(video, &vs);
    sink_rtp_get_stats(audio, &as);
    sink_free(&video);
    sink_free(&audio);
    rtp_endpoint_unref(&ep);
    TEST_CHECK(ok);
    TEST_CHECK(vs.plis_received == 1 && vs.nacks_received == 1);
    TEST_CHECK(as.plis_received == 0 && as.nacks_received == 0);
    return 0;
}

/* What one receiver's endpoint sent. */
struct capture {
    int count;
    uint8_t data[16][1300];
    size_t len[16];
};

static int capture_send(void *opaque, const uint8_t *buf, size_t len, int is_rtcp)
{
    struct capture *c = opaque;

    if (is_rtcp || c->count == 16 || len > sizeof(c->data[0]))
        return 0;
    memcpy(c->data[c->count], buf, len);
    c->len[c->count++] = len;
    return 0;
}

/* Two receivers of one fanout: the same payloads behind their own SSRC and
 * sequence numbers; a NACK of the second packet resends exactly that packet. */
static int test_shared_fanout_nack(void)
{
    struct capture cap[2] = { 0 };
    struct rtp_endpoint *ep[2] = { NULL, NULL };
    struct sink *sk[2] = { NULL, NULL };
    struct fanout *f = NULL;
    AVCodecContext *enc = avcodec_alloc_context3(NULL);
    AVPacket *pkt = av_packet_alloc();
    struct rtp_packet a, b, re;
    struct sink_rtp_stats st;
    uint8_t nack[64];
    uint16_t seq;
    int n;

    TEST_CHECK(enc && pkt && fanout_alloc(&f) == 0);
    enc->codec_type = AVMEDIA_TYPE_VIDEO;
    enc->codec_id = AV_CODEC_ID_H264;
    enc->time_base = (AVRational){ 1, 15 };
    /* One 3000-byte IDR NAL: three FU-A payloads. */
    TEST_CHECK(av_new_packet(pkt, 3004) == 0);
    memset(pkt->data, 0x5a, 3004);
    pkt->data[0] = pkt->data[1] = pkt->data[2] = 0;
    pkt->data[3] = 1;
    pkt->data[4] = 0x65;
    pkt->pts = 30;
    pkt->flags = AV_PKT_FLAG_KEY;
    for (int i = 0; i < 2; i++) {
        TEST_CHECK(rtp_endpoint_open_external(&ep[i], capture_send, &cap[i], 16) == 0);
        TEST_CHECK(make_sink(&sk[i], ep[i], AVMEDIA_TYPE_VIDEO, 0x1000 + i) == 0);
        TEST_CHECK(sink_open(sk[i], &enc, 1) == 0);
        sk[i]->fanout = f;
    }
    fanout_begin_packet(f, 0);
    for (int i = 0; i < 2; i++)
        TEST_CHECK(sink_write(sk[i], pkt, 0) == 0);
    TEST_CHECK(cap[0].count == 3 && cap[1].count == 3);
    for (int k = 0; k < 3; k++) {
        TEST_CHECK(rtp_parse(&a, cap[0].data[k], cap[0].len[k]) == 0);
        TEST_CHECK(rtp_parse(&b, cap[1].data[k], cap[1].len[k]) == 0);
        TEST_CHECK(a.h.ssrc == 0x1000 && b.h.ssrc == 0x1001);
        TEST_CHECK(a.payload_len == b.payload_len && !memcmp(a.payload, b.payload, a.payload_len));
        TEST_CHECK(a.h.marker == (k == 2) && b.h.marker == (k == 2));
    }
    TEST_CHECK(rtp_parse(&a, cap[0].data[1], cap[0].len[1]) == 0);
    seq = a.h.seq;
    n = rtcp_build_nack(nack, sizeof(nack), 0x9999, 0x1000, &seq, 1);
    TEST_CHECK(n > 0);
    rtp_endpoint_push(ep[0], nack, (size_t)n, 1);
    sink_poll(sk[0]);
    sink_rtp_get_stats(sk[0], &st);
    TEST_CHECK(st.retransmitted == 1 && cap[0].count == 4 && cap[1].count == 3);
    TEST_CHECK(cap[0].len[3] == cap[0].len[1] && !memcmp(cap[0].data[3], cap[0].data[1], cap[0].len[1]));
    TEST_CHECK(rtp_parse(&re, cap[0].data[3], cap[0].len[3]) == 0 && re.h.seq == seq);
    for (int i = 0; i < 2; i++) {
        sink_free(&sk[i]);
        rtp_endpoint_unref(&ep[i]);
    }
    fanout_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    return 0;
}

static const struct test_case sink_rtp_cases[] = {
    { "bundled_feedback", test_bundled_feedback },
    { "shared_fanout_nack", test_shared_fanout_nack },
    { NULL, NULL },
};

const struct test_suite sink_rtp_suite = { "sink_rtp", sink_rtp_cases };
