/* Unit tests of the adaptive viewer's controller (mixer/adapt.c) and its ladder
 * of profiles (sink_adapt_ladder). */
#include <string.h>
#include <libavcodec/avcodec.h>
#include "codecs/codec.h"
#include "mixer/adapt.h"
#include "mixer/profile.h"
#include "mixer/sink.h"
#include "mixer/sink_adapt.h"
#include "mixer/sink_rtp.h"
#include "net/rtp.h"
#include "net/rtp_endpoint.h"
#include "test.h"

static const int two_rungs[2] = { 150000, 1500000 };

static void two_rung_init(struct adapt *a, int start)
{
    struct adapt_config cfg;

    adapt_config_defaults(&cfg);
    adapt_init(a, &cfg, two_rungs, 2, start);
}

/* Feeds n seconds of the same sample; returns the second (1-based) of the first
 * move and its direction in *dir, or 0 when nothing moved. */
static int feed_sent(struct adapt *a, double loss, int64_t remb, int64_t sent, int n, int *dir)
{
    const struct adapt_sample s = { loss, remb, sent };

    for (int i = 1; i <= n; i++) {
        int d = adapt_step(a, &s);
        if (d) {
            *dir = d;
            return i;
        }
    }
    *dir = 0;
    return 0;
}

static int feed(struct adapt *a, double loss, int64_t remb, int n, int *dir)
{
    return feed_sent(a, loss, remb, 1000000, n, dir);
}

static int test_down_on_loss(void)
{
    struct adapt a;
    int dir;

    two_rung_init(&a, 1);
    TEST_CHECK(feed(&a, 0.0, -1, 30, &dir) == 0);           /* clean at the ceiling: stays */
    TEST_CHECK(feed(&a, 0.10, -1, 2, &dir) == 0);           /* 10% for 2 s: not yet */
    TEST_CHECK(feed(&a, 0.10, -1, 1, &dir) == 1 && dir == -1);
    TEST_CHECK(a.rung == 0 && a.switches_down == 1);
    TEST_CHECK(!strncmp(a.reason, "down: loss", 10));
    TEST_CHECK(feed(&a, 0.10, -1, 30, &dir) == 0);          /* the bottom rung: nowhere to go */
    TEST_CHECK(a.rung == 0);
    return 0;
}

static int test_spike_ignored(void)
{
    struct adapt a;
    int dir;

    two_rung_init(&a, 1);
    TEST_CHECK(feed(&a, 0.0, -1, 5, &dir) == 0);
    TEST_CHECK(feed(&a, 0.20, -1, 1, &dir) == 0);           /* one bad second */
    TEST_CHECK(feed(&a, 0.0, -1, 20, &dir) == 0);
    TEST_CHECK(feed(&a, 0.04, -1, 60, &dir) == 0);          /* 4% steady: under the 5% threshold */
    TEST_CHECK(a.rung == 1);
    return 0;
}

static int test_up_after_clean(void)
{
    struct adapt a;
    int dir, at;

    two_rung_init(&a, 1);
    TEST_CHECK(feed(&a, 0.10, -1, 3, &dir) == 3 && dir == -1);
    /* The link recovers: hold-off (4 s), the average decays under 2% (3 s from
     * ~9%), then 10 clean seconds. */
    at = feed(&a, 0.0, -1, 40, &dir);
    TEST_CHECK(dir == 1 && at >= 4 + 10 && at <= 4 + 3 + 10);
    TEST_CHECK(a.rung == 1 && a.switches_up == 1 && !strncmp(a.reason, "up:", 3));
    return 0;
}

static int test_up_needs_long_clean(void)
{
    struct adapt a;
    int dir;

    two_rung_init(&a, 0);
    /* 9 clean seconds, one at 3% (not clean, not bad), 9 clean: no move. */
    TEST_CHECK(feed(&a, 0.0, -1, 9, &dir) == 0);
    TEST_CHECK(feed(&a, 0.06, -1, 1, &dir) == 0);           /* average 3% */
    TEST_CHECK(feed(&a, 0.0, -1, 1, &dir) == 0);            /* 1.5%: clean again, count restarts */
    TEST_CHECK(feed(&a, 0.0, -1, 8, &dir) == 0);
    TEST_CHECK(feed(&a, 0.0, -1, 1, &dir) == 1 && dir == 1);
    return 0;
}

static int test_remb(void)
{
    struct adapt a;
    int dir;

    two_rung_init(&a, 1);
    /* A static picture: hd sends 200 kb/s, the estimate follows it, or sinks to
     * Chromium's floor: no move (we send under half of hd's 1.5 Mb/s). */
    TEST_CHECK(feed_sent(&a, 0.0, 220000, 200000, 30, &dir) == 0);
    TEST_CHECK(feed_sent(&a, 0.0, 5000, 200000, 30, &dir) == 0);
    TEST_CHECK(feed_sent(&a, 0.0, 900000, 1000000, 30, &dir) == 0);    /* within the 80% margin */
    /* An estimate under 80% of the 1.2 Mb/s sent, without loss: down after 3 s. */
    TEST_CHECK(feed_sent(&a, 0.0, 500000, 1200000, 3, &dir) == 3 && dir == -1);
    TEST_CHECK(strstr(a.reason, "estimate 500 kb/s") != NULL);
    /* On low (150 kb/s): an estimate under what low sends blocks the way up... */
    TEST_CHECK(feed_sent(&a, 0.0, 60000, 140000, 40, &dir) == 0);
    TEST_CHECK(a.rung == 0);
    /* ...one that keeps up with it does not (it cannot show more room than that). */
    TEST_CHECK(feed_sent(&a, 0.0, 140000, 140000, 10, &dir) == 10 && dir == 1);
    /* On low again: a static picture (14 kb/s) and the floor estimate do not block it. */
    TEST_CHECK(feed_sent(&a, 0.0, 500000, 1200000, 4 + 3, &dir) == 4 + 3 && dir == -1);
    TEST_CHECK(feed_sent(&a, 0.0, 5000, 14000, 4 + 10, &dir) == 14 && dir == 1);
    return 0;
}

static int test_single_rung(void)
{
    struct adapt a;
    struct adapt_config cfg;
    const int one = 150000;
    int dir;

    adapt_config_defaults(&cfg);
    adapt_init(&a, &cfg, &one, 1, 5);
    TEST_CHECK(a.rung == 0 && a.rung_count == 1);
    TEST_CHECK(feed(&a, 0.5, 1000, 30, &dir) == 0);
    TEST_CHECK(feed(&a, 0.0, -1, 30, &dir) == 0);
    return 0;
}

static int test_ladder(void)
{
    struct profile_set set;
    struct profile_def rungs[ADAPT_MAX_RUNGS];
    int n;

    profile_set_init_builtin(&set);
    n = sink_adapt_ladder(&set, profile_set_find(&set, "hd"), rungs, ADAPT_MAX_RUNGS);
    TEST_CHECK(n == 2 && !strcmp(rungs[0].name, "low") && !strcmp(rungs[1].name, "hd"));
    n = sink_adapt_ladder(&set, profile_set_find(&set, "low"), rungs, ADAPT_MAX_RUNGS);
    TEST_CHECK(n == 1 && !strcmp(rungs[0].name, "low"));
    /* record and broadcast send AAC: never a rung under hd; a middle profile sorts in. */
    set.defs[set.count] = *profile_set_find(&set, "hd");
    strcpy(set.defs[set.count].name, "sd");
    set.defs[set.count].video_bitrate = 600000;
    set.count++;
    n = sink_adapt_ladder(&set, profile_set_find(&set, "hd"), rungs, ADAPT_MAX_RUNGS);
    TEST_CHECK(n == 3 && !strcmp(rungs[0].name, "low") && !strcmp(rungs[1].name, "sd") &&
               !strcmp(rungs[2].name, "hd"));
    return 0;
}

/* The RTP headers a sink sends (RTCP skipped). */
struct captured {
    int count;
    struct rtp_header h[16];
};

static int capture_send(void *opaque, const uint8_t *buf, size_t len, int is_rtcp)
{
    struct captured *c = opaque;
    struct rtp_packet p;

    if (!is_rtcp && c->count < 16 && rtp_parse(&p, buf, len) == 0)
        c->h[c->count++] = p.h;
    return 0;
}

static int write_frame(struct sink *s, int64_t pts, int key)
{
    static uint8_t nal[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21 };   /* one small NAL */
    AVPacket *pkt = av_packet_alloc();
    int ret;

    if (!pkt)
        return -1;
    pkt->data = nal;
    pkt->size = sizeof(nal);
    pkt->pts = pts;
    pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
    ret = sink_write(s, pkt, 0);
    av_packet_free(&pkt);
    return ret;
}

/* A switch from a 30 fps to a 15 fps encoder at the same instant: SSRC and
 * sequence continue, the timestamp moves one tick past the last one, and the
 * RTP clock then follows the new encoder's time base. */
static int test_sink_rtp_reopen(void)
{
    struct captured cap = { 0 };
    struct rtp_endpoint *ep = NULL;
    struct sink *s = NULL;
    struct sink_rtp_config c = { 0 };
    AVCodecContext *a = avcodec_alloc_context3(NULL), *b = avcodec_alloc_context3(NULL);
    int ok = a && b && rtp_endpoint_open_external(&ep, capture_send, &cap, 16) == 0;

    c.endpoint = ep;
    c.type = AVMEDIA_TYPE_VIDEO;
    c.codec = &codec_h264;
    c.payload_type = 102;
    c.clock_rate = 90000;
    c.ssrc = 0x1234;
    snprintf(c.fmtp, sizeof(c.fmtp), "packetization-mode=1");
    snprintf(c.url, sizeof(c.url), "test");
    if (ok) {
        a->codec_type = b->codec_type = AVMEDIA_TYPE_VIDEO;
        a->codec_id = b->codec_id = AV_CODEC_ID_H264;
        a->time_base = (AVRational){ 1, 30 };
        b->time_base = (AVRational){ 1, 15 };
        ok = sink_rtp_alloc(&s, &c) == 0 && sink_open(s, &a, 1) == 0 &&
             write_frame(s, 29, 0) == 0 && write_frame(s, 30, 0) == 0 &&
             sink_rtp_reopen(s, &b, 1) == 0 &&
             write_frame(s, 15, 1) == 0 && write_frame(s, 16, 0) == 0;
    }
    sink_free(&s);
    rtp_endpoint_unref(&ep);
    avcodec_free_context(&a);
    avcodec_free_context(&b);
    TEST_CHECK(ok && cap.count == 4);
    for (int i = 1; i < 4; i++)
        TEST_CHECK(cap.h[i].ssrc == 0x1234 && cap.h[i].seq == (uint16_t)(cap.h[0].seq + i));
    TEST_CHECK(cap.h[1].timestamp - cap.h[0].timestamp == 3000);
    TEST_CHECK(cap.h[2].timestamp - cap.h[1].timestamp == 1);        /* same instant: one tick on */
    TEST_CHECK(cap.h[3].timestamp - cap.h[2].timestamp == 6000);     /* 1/15 s */
    return 0;
}

static const struct test_case adapt_cases[] = {
    { "down_on_loss", test_down_on_loss },
    { "spike_ignored", test_spike_ignored },
    { "up_after_clean", test_up_after_clean },
    { "up_needs_long_clean", test_up_needs_long_clean },
    { "remb", test_remb },
    { "single_rung", test_single_rung },
    { "ladder", test_ladder },
    { "sink_rtp_reopen", test_sink_rtp_reopen },
    { NULL, NULL },
};

const struct test_suite adapt_suite = { "adapt", adapt_cases };
