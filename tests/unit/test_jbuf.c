/* Unit tests of net/jbuf: ordering, loss, duplicates, wrap, jitter, adaptive delay. */
#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>
#include "net/jbuf.h"
#include "test.h"

#define MS 1000ull

static const struct jbuf_config cfg_audio = { 8000, 20, 200, 64 };

/* Builds, parses and inserts an 8 kHz packet of seq (timestamp seq * 160) carrying
 * an audio level extension (level = seq % 128) and 4 payload bytes. */
static int put_seq(struct jbuf *jb, uint16_t seq, uint32_t ts, uint64_t arrival_us)
{
    uint8_t ext[4], raw[64], level = seq % 128;
    struct rtp_header h = { .payload_type = 0, .seq = seq, .timestamp = ts, .ssrc = 7,
                            .has_extension = 1, .ext_profile = RTP_EXT_PROFILE_ONE_BYTE,
                            .ext_data = ext };
    struct rtp_packet p;
    int n;

    h.ext_len = (size_t)rtp_build_extension(ext, sizeof(ext), 1, &level, 1);
    n = rtp_write_header(raw, sizeof(raw), &h);
    raw[n] = seq >> 8;
    raw[n + 1] = seq & 0xFF;
    raw[n + 2] = 0xAB;
    raw[n + 3] = 0xCD;
    if (rtp_parse(&p, raw, (size_t)n + 4) < 0)
        return -1000;
    n = jbuf_put(jb, &p, raw, (size_t)n + 4, arrival_us);
    memset(raw, 0, sizeof(raw));                /* the buffer kept its own copy */
    return n;
}

static int put_at(struct jbuf *jb, uint16_t seq, uint64_t arrival_us)
{
    return put_seq(jb, seq, (uint32_t)seq * 160, arrival_us);
}

/* The released packet is intact: payload, extension pointers into its copy. */
static int packet_ok(const struct jbuf_packet *p, uint16_t seq)
{
    const uint8_t *d;
    size_t n;
    int level, voice;

    if (p->h.seq != seq || p->payload_len != 4 || p->payload[0] != seq >> 8 ||
        p->payload[1] != (seq & 0xFF) || p->payload[3] != 0xCD)
        return 0;
    if (p->payload < p->data || p->payload + 4 > p->data + p->len)
        return 0;
    if (rtp_find_extension(&p->h, 1, &d, &n) != 1 || d < p->data || d >= p->data + p->len)
        return 0;
    return rtp_parse_audio_level(d, n, &level, &voice) == 0 && level == seq % 128;
}

static int test_in_order(void)
{
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;

    TEST_CHECK(jbuf_alloc(&jb, &cfg_audio) == 0);
    for (int i = 0; i < 3; i++)
        TEST_CHECK(put_at(jb, (uint16_t)(1 + i), (uint64_t)i * 20 * MS + 1000 * MS) == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.delay_ms == 20 && st.received == 3);
    TEST_CHECK(jbuf_pop(jb, 1019 * MS, &p) == 0);
    for (int i = 0; i < 3; i++) {
        uint64_t due = 1020 * MS + (uint64_t)i * 20 * MS;

        TEST_CHECK(jbuf_pop(jb, due - 1, &p) == 0);
        TEST_CHECK(jbuf_pop(jb, due, &p) == 1);
        TEST_CHECK(packet_ok(p, (uint16_t)(1 + i)) && p->lost_before == 0);
    }
    TEST_CHECK(jbuf_pop(jb, 5000 * MS, &p) == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.released == 3 && st.lost == 0 && st.reordered == 0 && st.late == 0);
    jbuf_free(&jb);
    TEST_CHECK(jb == NULL);
    return 0;
}

static int test_reorder(void)
{
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;
    uint16_t expect = 1;

    TEST_CHECK(jbuf_alloc(&jb, &cfg_audio) == 0);
    /* Sent at 0, 20, 40 ms; 3 arrives first, at 60 ms, then 1 and 2. */
    TEST_CHECK(put_at(jb, 3, 60 * MS) == 0);
    TEST_CHECK(put_at(jb, 1, 61 * MS) == 0);
    TEST_CHECK(put_at(jb, 2, 62 * MS) == 0);
    for (uint64_t t = 60 * MS; t < 300 * MS; t += MS)
        while (jbuf_pop(jb, t, &p) == 1) {
            TEST_CHECK(packet_ok(p, expect) && p->lost_before == 0);
            TEST_CHECK(t >= p->arrival_us);
            expect++;
        }
    TEST_CHECK(expect == 4);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.reordered == 2 && st.lost == 0 && st.late == 0 && st.released == 3);
    jbuf_free(&jb);
    return 0;
}

static int test_loss_and_late(void)
{
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;
    uint64_t t4 = 0;
    uint16_t missing[4];

    TEST_CHECK(jbuf_alloc(&jb, &cfg_audio) == 0);
    TEST_CHECK(put_at(jb, 1, 0) == 0);
    TEST_CHECK(put_at(jb, 2, 20 * MS) == 0);
    TEST_CHECK(put_at(jb, 4, 60 * MS) == 0);
    for (uint64_t t = 0; t < 200 * MS && !t4; t += MS)
        while (jbuf_pop(jb, t, &p) == 1) {
            if (p->h.seq == 2)
                TEST_CHECK(jbuf_missing(jb, missing, 4) == 1 && missing[0] == 3);
            if (p->h.seq == 4) {
                TEST_CHECK(p->lost_before == 1 && packet_ok(p, 4));
                t4 = t;
            } else {
                TEST_CHECK(p->lost_before == 0);
            }
        }
    TEST_CHECK(t4 == 80 * MS);                  /* 4 waited its full delay */
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.lost == 1 && st.released == 3);
    TEST_CHECK(jbuf_missing(jb, missing, 4) == 0);
    TEST_CHECK(put_at(jb, 3, 100 * MS) == 1);   /* too late */
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.late == 1 && st.duplicate == 0);
    TEST_CHECK(jbuf_pop(jb, 500 * MS, &p) == 0);
    jbuf_free(&jb);
    return 0;
}

static int test_duplicate(void)
{
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;

    TEST_CHECK(jbuf_alloc(&jb, &cfg_audio) == 0);
    TEST_CHECK(put_at(jb, 10, 0) == 0);
    TEST_CHECK(put_at(jb, 10, MS) == 1);        /* held duplicate */
    TEST_CHECK(jbuf_pop(jb, 100 * MS, &p) == 1 && packet_ok(p, 10));
    TEST_CHECK(put_at(jb, 10, 101 * MS) == 1);  /* released duplicate */
    TEST_CHECK(jbuf_pop(jb, 500 * MS, &p) == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.duplicate == 2 && st.late == 0 && st.released == 1 && st.received == 3);
    jbuf_free(&jb);
    return 0;
}

static int test_wrap(void)
{
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;
    uint16_t seq = 65534;
    int n = 0;

    TEST_CHECK(jbuf_alloc(&jb, &cfg_audio) == 0);
    for (int i = 0; i < 5; i++)
        TEST_CHECK(put_at(jb, (uint16_t)(65534 + i), (uint64_t)i * 20 * MS) == 0);
    while (jbuf_pop(jb, 1000 * MS, &p) == 1) {
        TEST_CHECK(packet_ok(p, seq) && p->lost_before == 0);
        seq++;
        n++;
    }
    TEST_CHECK(n == 5 && seq == 3);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.cycles == 1 && st.highest_seq == 2 && st.lost == 0);
    jbuf_free(&jb);
    return 0;
}

static uint32_t prng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Feeds n packets 20 ms apart, each delayed by 0..spread_ms, and returns stats. */
static void feed_jittered(const struct jbuf_config *cfg, int n, int spread_ms,
                          struct jbuf_stats *st)
{
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    uint32_t rng = 12345;
    uint64_t last = 0;

    memset(st, 0, sizeof(*st));
    if (jbuf_alloc(&jb, cfg) < 0)
        return;
    for (int i = 0; i < n; i++) {
        uint64_t t = (uint64_t)i * 20 * MS;

        if (spread_ms)
            t += prng(&rng) % ((uint32_t)spread_ms * 1000);
        if (t < last)
            t = last;                           /* arrival order = time order */
        last = t;
        put_at(jb, (uint16_t)i, t);
        while (jbuf_pop(jb, t, &p) == 1)
            ;
    }
    jbuf_get_stats(jb, st);
    jbuf_free(&jb);
}

static int test_jitter_estimate(void)
{
    struct jbuf_config cfg = cfg_audio;
    struct jbuf_stats st;

    feed_jittered(&cfg, 300, 0, &st);
    TEST_CHECK(st.received == 300 && st.jitter_ms < 0.01 && st.delay_ms == 20);
    feed_jittered(&cfg, 300, 30, &st);
    TEST_CHECK(st.jitter_ms > 5 && st.jitter_ms < 20);
    TEST_CHECK(st.delay_ms > 25 && st.delay_ms < 200);
    cfg.max_delay_ms = 60;
    feed_jittered(&cfg, 300, 200, &st);
    TEST_CHECK(st.jitter_ms > 15 && st.delay_ms == 60);
    return 0;
}

/* Arrivals jittered by 0 or 15 ms leave evenly: each packet at the fastest
 * packet's timeline + delay, not at its own arrival + delay. */
static int test_smoothing(void)
{
    struct jbuf_config cfg = { 8000, 40, 40, 64 };
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    int n = 0;

    TEST_CHECK(jbuf_alloc(&jb, &cfg) == 0);
    for (uint64_t t = 0; t < 400 * MS; t += MS) {
        if (t % (20 * MS) == 0 && t < 200 * MS) {
            uint16_t seq = (uint16_t)(t / (20 * MS));

            TEST_CHECK(put_at(jb, seq, t + (seq % 2 ? 15 * MS : 0)) == 0);
        }
        if (t % (20 * MS) == 15 * MS || t % (20 * MS) == 0) {
            while (jbuf_pop(jb, t, &p) == 1) {
                TEST_CHECK(p->h.seq == n && t == (uint64_t)n * 20 * MS + 40 * MS);
                n++;
            }
        }
    }
    TEST_CHECK(n == 10);
    jbuf_free(&jb);
    return 0;
}

static int test_missing_and_overflow(void)
{
    struct jbuf_config cfg = { 8000, 20, 200, 8 };
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;
    uint16_t m[8];
    static const uint16_t seqs[4] = { 10, 11, 14, 16 };

    TEST_CHECK(jbuf_alloc(&jb, &cfg) == 0);
    for (int i = 0; i < 4; i++)
        TEST_CHECK(put_at(jb, seqs[i], (uint64_t)i * MS) == 0);
    TEST_CHECK(jbuf_missing(jb, m, 8) == 3 && m[0] == 12 && m[1] == 13 && m[2] == 15);
    TEST_CHECK(jbuf_missing(jb, m, 2) == 2 && m[1] == 13);
    /* 17 fits (capacity 8 from 10); 22 moves the start to 15: 10, 11 and 14 are
     * dropped (overflow), 12, 13 and then 15 declared lost. */
    TEST_CHECK(put_at(jb, 17, 10 * MS) == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.overflow == 0);
    TEST_CHECK(put_at(jb, 22, 10 * MS) == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.overflow == 3 && st.lost == 2);
    TEST_CHECK(jbuf_missing(jb, m, 8) == 5 && m[0] == 15 && m[1] == 18 && m[4] == 21);
    TEST_CHECK(jbuf_pop(jb, 100 * MS, &p) == 1);
    TEST_CHECK(packet_ok(p, 16) && p->lost_before == 6);
    TEST_CHECK(jbuf_pop(jb, 100 * MS, &p) == 1 && packet_ok(p, 17) && p->lost_before == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.lost == 3);
    jbuf_free(&jb);
    return 0;
}

static int test_seq_jump(void)
{
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;

    TEST_CHECK(jbuf_alloc(&jb, &cfg_audio) == 0);
    TEST_CHECK(put_at(jb, 100, 0) == 0);
    TEST_CHECK(jbuf_pop(jb, 100 * MS, &p) == 1 && packet_ok(p, 100));
    TEST_CHECK(put_at(jb, 101, 100 * MS) == 0);
    /* Sender restart far ahead: the held 101 is dropped, 30000 starts a stream. */
    TEST_CHECK(put_seq(jb, 30000, 5, 110 * MS) == 0);
    TEST_CHECK(put_seq(jb, 30001, 165, 130 * MS) == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.resets == 1 && st.overflow == 1 && st.lost == 0);
    TEST_CHECK(jbuf_pop(jb, 200 * MS, &p) == 1 && packet_ok(p, 30000) && p->lost_before >= 1);
    TEST_CHECK(jbuf_pop(jb, 200 * MS, &p) == 1 && packet_ok(p, 30001) && p->lost_before == 0);
    /* One stale packet far behind is dropped; two in a row restart the stream. */
    TEST_CHECK(put_at(jb, 5, 210 * MS) == 1);
    TEST_CHECK(put_at(jb, 30002, 220 * MS) == 0);
    TEST_CHECK(put_at(jb, 1000, 230 * MS) == 1);
    TEST_CHECK(put_at(jb, 1001, 250 * MS) == 0);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.resets == 2 && st.late == 2);
    TEST_CHECK(jbuf_pop(jb, 400 * MS, &p) == 1 && packet_ok(p, 1001));
    TEST_CHECK(jbuf_pop(jb, 400 * MS, &p) == 0);
    jbuf_reset(jb);
    jbuf_get_stats(jb, &st);
    TEST_CHECK(st.received == 0 && st.resets == 0);
    TEST_CHECK(put_at(jb, 7, 500 * MS) == 0);
    TEST_CHECK(jbuf_pop(jb, 600 * MS, &p) == 1 && packet_ok(p, 7) && p->lost_before == 0);
    jbuf_free(&jb);
    return 0;
}

static int test_bad_arguments(void)
{
    struct jbuf_config bad = { 8000, 50, 20, 64 };
    struct jbuf *jb = NULL;
    struct rtp_packet pkt;
    uint8_t raw[16] = { 0x80, 0, 0, 1 }, other[16] = { 0 };

    TEST_CHECK(jbuf_alloc(&jb, &bad) == AVERROR(EINVAL) && jb == NULL);
    bad.max_delay_ms = 100;
    bad.capacity = 40000;
    TEST_CHECK(jbuf_alloc(&jb, &bad) == AVERROR(EINVAL) && jb == NULL);
    bad.capacity = 64;
    bad.clock_rate = 0;
    TEST_CHECK(jbuf_alloc(&jb, &bad) == AVERROR(EINVAL) && jb == NULL);
    TEST_CHECK(jbuf_alloc(&jb, &cfg_audio) == 0);
    TEST_CHECK(rtp_parse(&pkt, raw, sizeof(raw)) == 0);
    /* The parsed packet must point into the raw bytes handed over. */
    TEST_CHECK(jbuf_put(jb, &pkt, other, sizeof(other), 0) == AVERROR(EINVAL));
    TEST_CHECK(jbuf_put(jb, &pkt, raw, 8, 0) == AVERROR(EINVAL));
    TEST_CHECK(jbuf_put(jb, &pkt, raw, sizeof(raw), 0) == 0);
    jbuf_free(&jb);
    jbuf_free(&jb);
    return 0;
}

/* One packet on the wire: its index (seq = first + index) and arrival time. */
struct arrival {
    int index;
    uint64_t t;
};

static int arrival_cmp(const void *a, const void *b)
{
    const struct arrival *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->index - y->index;
}

/* 5000 packets sent every 20 ms: 5% lost, 10% delayed by 20-45 ms more (so they
 * arrive after one or two of their successors), 3% duplicated, 30-40 ms transit.
 * Releases strictly increase and every unique packet is released or lost. */
static int test_random_stream(void)
{
    enum { N = 5000, FIRST = 64000 };
    static struct arrival wire[2 * N];
    struct jbuf_config cfg = { 8000, 20, 200, 512 };
    struct jbuf *jb = NULL;
    const struct jbuf_packet *p;
    struct jbuf_stats st;
    uint32_t rng = 0xC0FFEE;
    int count = 0, next = 0, released = 0, have_last = 0, lost_before = 0;
    uint16_t last = 0;

    for (int i = 0; i < N; i++) {
        uint64_t t = (uint64_t)i * 20 * MS + 30 * MS + prng(&rng) % (10 * MS);
        int edge = i == 0 || i == N - 1;

        if (!edge && prng(&rng) % 100 < 5)
            continue;                           /* lost on the wire */
        if (!edge && prng(&rng) % 100 < 10)
            t += 20 * MS + prng(&rng) % (25 * MS);
        wire[count].index = i;
        wire[count++].t = t;
        if (prng(&rng) % 100 < 3) {
            wire[count].index = i;
            wire[count++].t = t + prng(&rng) % (30 * MS);
        }
    }
    qsort(wire, (size_t)count, sizeof(wire[0]), arrival_cmp);

    TEST_CHECK(jbuf_alloc(&jb, &cfg) == 0);
    for (uint64_t t = 0; next < count || t < wire[count - 1].t + 2000 * MS; t += MS) {
        for (; next < count && wire[next].t <= t; next++) {
            uint16_t seq = (uint16_t)(FIRST + wire[next].index);

            TEST_CHECK(put_seq(jb, seq, (uint32_t)wire[next].index * 160, wire[next].t) >= 0);
        }
        while (jbuf_pop(jb, t, &p) == 1) {
            TEST_CHECK(packet_ok(p, p->h.seq));
            TEST_CHECK(!have_last || rtp_seq_diff(p->h.seq, last) == 1 + p->lost_before);
            last = p->h.seq;
            have_last = 1;
            lost_before += p->lost_before;
            released++;
        }
    }
    jbuf_get_stats(jb, &st);
    TEST_CHECK(last == (uint16_t)(FIRST + N - 1));
    TEST_CHECK(st.released == (uint64_t)released && st.received == (uint64_t)count);
    TEST_CHECK(st.lost + st.released == N && st.lost == (uint64_t)lost_before);
    TEST_CHECK(st.overflow == 0 && st.resets == 0 && st.cycles == 1);
    TEST_CHECK(st.duplicate + st.late + st.released == (uint64_t)count);
    TEST_CHECK(st.duplicate > 50 && st.reordered > 100);
    TEST_CHECK(st.lost < N / 20 + N / 100);     /* ~5% on the wire, few late */
    jbuf_free(&jb);
    return 0;
}

static const struct test_case jbuf_cases[] = {
    { "in_order", test_in_order },
    { "reorder", test_reorder },
    { "loss_and_late", test_loss_and_late },
    { "duplicate", test_duplicate },
    { "wrap", test_wrap },
    { "jitter_estimate", test_jitter_estimate },
    { "smoothing", test_smoothing },
    { "missing_and_overflow", test_missing_and_overflow },
    { "seq_jump", test_seq_jump },
    { "bad_arguments", test_bad_arguments },
    { "random_stream", test_random_stream },
    { NULL, NULL },
};

const struct test_suite jbuf_suite = { "jbuf", jbuf_cases };
