/* libFuzzer target: rtp_parse, extensions and audio level, then a jitter buffer fed packets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/jbuf.h"
#include "net/rtp.h"

#define FUZZ_CHECK(c) do { if (!(c)) abort(); } while (0)

static int inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;

    return a >= b && a - b <= len && n <= len - (a - b);
}

/* Parses buf; checks the extension walk, the level and a write/parse round trip. */
static int parse_and_check(struct rtp_packet *pkt, const uint8_t *buf, size_t len)
{
    uint8_t out[2048];
    struct rtp_packet again;
    int max_id, hlen;

    if (rtp_parse(pkt, buf, len) < 0)
        return -1;
    FUZZ_CHECK(inside(pkt->payload, pkt->payload_len, buf, len));
    max_id = (pkt->h.ext_profile & 0xFFF0) == RTP_EXT_PROFILE_TWO_BYTE ? 256 : 16;
    for (int id = 0; pkt->h.has_extension && id < max_id; id++) {
        const uint8_t *d = NULL;
        size_t n = 0;
        int level = -1, voice = -1;

        if (rtp_find_extension(&pkt->h, id, &d, &n) != 1)
            continue;
        FUZZ_CHECK(inside(d, n, pkt->h.ext_data, pkt->h.ext_len));
        if (rtp_parse_audio_level(d, n, &level, &voice) == 0)
            FUZZ_CHECK(level >= 0 && level <= 127 && (voice == 0 || voice == 1));
    }
    hlen = rtp_write_header(out, sizeof(out), &pkt->h);
    FUZZ_CHECK(hlen < 0 || (size_t)hlen == (size_t)(pkt->payload - buf));
    if (hlen > 0 && pkt->payload_len <= sizeof(out) - (size_t)hlen) {
        memcpy(out + hlen, pkt->payload, pkt->payload_len);
        FUZZ_CHECK(rtp_parse(&again, out, (size_t)hlen + pkt->payload_len) == 0);
        FUZZ_CHECK(again.h.seq == pkt->h.seq && again.h.timestamp == pkt->h.timestamp);
        FUZZ_CHECK(again.h.csrc_count == pkt->h.csrc_count);
        FUZZ_CHECK(again.h.ext_len == pkt->h.ext_len && again.payload_len == pkt->payload_len);
    }
    return 0;
}

/* Releases what is due at now and checks sequence continuity. */
static void drain(struct jbuf *jb, uint64_t now, int *have_last, uint16_t *last,
                  uint64_t *resets)
{
    const struct jbuf_packet *p;
    struct jbuf_stats st;

    while (jbuf_pop(jb, now, &p) == 1) {
        jbuf_get_stats(jb, &st);
        FUZZ_CHECK(p->lost_before >= 0 && inside(p->payload, p->payload_len, p->data, p->len));
        if (*have_last && st.resets == *resets)
            FUZZ_CHECK((uint16_t)(p->h.seq - *last) == (uint16_t)(1 + p->lost_before));
        *have_last = 1;
        *last = p->h.seq;
        *resets = st.resets;
    }
}

/* Synthesized packets (mode 1): 5-byte records of seq, timestamp step and arrival
 * step, so the fuzzer steers the sequence logic; raw records (mode 0): arrival
 * step, 2-byte length, bytes. */
static void feed_jbuf(const uint8_t *data, size_t size)
{
    struct jbuf_config cfg = { data[0] & 1 ? 90000 : 8000, data[0] & 2 ? 0 : 20, 120,
                               (data[0] & 4) ? 16 : 128 };
    struct jbuf *jb = NULL;
    uint64_t now = 1000000, resets = 0;
    uint32_t ts = 0;
    uint16_t last = 0, missing[32];
    int have_last = 0, mode = data[0] >> 7;
    size_t i = 1;

    if (jbuf_alloc(&jb, &cfg) < 0)
        return;
    while (i < size) {
        uint8_t raw[1500];
        size_t len;
        struct rtp_packet pkt;

        if (mode) {
            struct rtp_header h = { .seq = 0, .ssrc = 1 };

            if (size - i < 5)
                break;
            h.seq = (uint16_t)(data[i] << 8 | data[i + 1]);
            ts += (uint32_t)(data[i + 2] << 8 | data[i + 3]) * 8;
            h.timestamp = ts;
            now += (uint64_t)data[i + 4] * 500;
            i += 5;
            len = (size_t)rtp_write_header(raw, sizeof(raw), &h);
            memcpy(raw + len, &h.seq, 2);
            len += 2;
        } else {
            if (size - i < 3)
                break;
            now += (uint64_t)data[i] * 1000;
            len = (size_t)(data[i + 1] << 8 | data[i + 2]);
            i += 3;
            if (len > size - i)
                len = size - i;
            if (len > sizeof(raw))
                len = sizeof(raw);
            memcpy(raw, data + i, len);
            i += len;
        }
        if (parse_and_check(&pkt, raw, len) == 0)
            FUZZ_CHECK(jbuf_put(jb, &pkt, raw, len, now) >= 0);
        FUZZ_CHECK(jbuf_missing(jb, missing, 32) <= 32);
        drain(jb, now, &have_last, &last, &resets);
    }
    drain(jb, now + 10000000, &have_last, &last, &resets);
    jbuf_free(&jb);
}

/* rtp_build_extension of an element from the input finds it back. */
static void build_extension(const uint8_t *data, size_t size)
{
    uint8_t block[20];
    struct rtp_header h = { .has_extension = 1, .ext_profile = RTP_EXT_PROFILE_ONE_BYTE,
                            .ext_data = block };
    const uint8_t *d;
    size_t n, want;
    int id, len;

    if (size < 2)
        return;
    id = data[0] % 16;
    want = data[1] % 17;
    if (want > size - 2)
        want = size - 2;
    len = rtp_build_extension(block, sizeof(block), id, data + 2, want);
    if (id < 1 || id > 14 || want < 1) {
        FUZZ_CHECK(len < 0);
        return;
    }
    FUZZ_CHECK(len > 0 && len % 4 == 0 && len <= 20);
    h.ext_len = (size_t)len;
    FUZZ_CHECK(rtp_find_extension(&h, id, &d, &n) == 1);
    FUZZ_CHECK(n == want && !memcmp(d, data + 2, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtp_packet pkt;

    parse_and_check(&pkt, data, size);
    (void)rtp_is_rtcp(data, size);
    build_extension(data, size);
    if (size > 0)
        feed_jbuf(data, size);
    return 0;
}
