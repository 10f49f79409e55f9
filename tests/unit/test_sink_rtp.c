/* Unit tests of mixer/sink_rtp: RTCP feedback on a bundled endpoint (two sinks, no source). */
#include <string.h>
#include <libavutil/avutil.h>
#include "codecs/codec.h"
#include "mixer/sink.h"
#include "mixer/sink_rtp.h"
#include "net/rtcp.h"
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

static const struct test_case sink_rtp_cases[] = {
    { "bundled_feedback", test_bundled_feedback },
    { NULL, NULL },
};

const struct test_suite sink_rtp_suite = { "sink_rtp", sink_rtp_cases };
