/* Unit tests of rtpsec: SRTP/SRTCP round trips, tampering, wrong keys, replay, SDES
 * key parameters, and interop with ffmpeg's own SRTP sender. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/rtpsec.h"
#include "test.h"

static const uint8_t key_a[RTPSEC_MASTER_LEN] = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
    0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

static void key_b_from_a(uint8_t out[RTPSEC_MASTER_LEN])
{
    memcpy(out, key_a, RTPSEC_MASTER_LEN);
    out[3] ^= 0x01;
}

/* A 12-byte RTP header + payload of n bytes. Returns the packet length. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, size_t n)
{
    buf[0] = 0x80;
    buf[1] = 0x00;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    memset(buf + 4, 0, 4);
    buf[4] = (uint8_t)(seq * 160 >> 8);
    buf[8] = 0x12; buf[9] = 0x34; buf[10] = 0x56; buf[11] = 0x78;
    for (size_t i = 0; i < n; i++)
        buf[12 + i] = (uint8_t)(i * 7 + seq);
    return 12 + n;
}

/* A minimal RTCP sender report without report blocks (28 bytes). */
static size_t make_rtcp(uint8_t *buf)
{
    static const uint8_t sr[28] = {
        0x80, 200, 0x00, 0x06, 0x12, 0x34, 0x56, 0x78, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0,
    };
    memcpy(buf, sr, sizeof(sr));
    return sizeof(sr);
}

static int pair_alloc(struct rtpsec **tx, struct rtpsec **rx, enum rtpsec_suite suite,
                      const uint8_t *rx_key)
{
    if (rtpsec_alloc(tx, suite, key_a, RTPSEC_OUTBOUND) < 0)
        return -1;
    if (rtpsec_alloc(rx, suite, rx_key, RTPSEC_INBOUND) < 0) {
        rtpsec_free(tx);
        return -1;
    }
    return 0;
}

static int round_trip_suite(enum rtpsec_suite suite, size_t rtp_tag)
{
    struct rtpsec *tx = NULL, *rx = NULL;
    uint8_t buf[400], orig[400];
    TEST_CHECK(pair_alloc(&tx, &rx, suite, key_a) == 0);
    for (uint16_t seq = 65530; seq != 10; seq++) {          /* across the wrap */
        size_t len = make_rtp(buf, seq, 160), olen = len;
        memcpy(orig, buf, len);
        TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
        TEST_CHECK(len == olen + rtp_tag);
        TEST_CHECK(memcmp(buf, orig, 12) == 0);                 /* header in clear */
        TEST_CHECK(memcmp(buf + 12, orig + 12, 160) != 0);      /* payload encrypted */
        TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == 0);
        TEST_CHECK(len == olen && memcmp(buf, orig, len) == 0);
    }
    for (int i = 0; i < 3; i++) {
        size_t len = make_rtcp(buf), olen = len;
        memcpy(orig, buf, len);
        TEST_CHECK(rtpsec_protect_rtcp(tx, buf, &len, sizeof(buf)) == 0);
        TEST_CHECK(len == olen + 4 + 10);                       /* E|index + 80-bit tag */
        TEST_CHECK(rtpsec_unprotect_rtcp(rx, buf, &len) == 0);
        TEST_CHECK(len == olen && memcmp(buf, orig, len) == 0);
    }
    rtpsec_free(&tx);
    rtpsec_free(&rx);
    TEST_CHECK(tx == NULL && rx == NULL);
    return 0;
}

static int test_round_trip_80(void)
{
    return round_trip_suite(RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, 10);
}

static int test_round_trip_32(void)
{
    return round_trip_suite(RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32, 4);
}

static int test_tampered(void)
{
    struct rtpsec *tx = NULL, *rx = NULL;
    uint8_t buf[300];
    TEST_CHECK(pair_alloc(&tx, &rx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, key_a) == 0);
    const size_t flips[] = { 1, 3, 11, 40, 171, 181 };        /* PT, seq, ssrc, payload, tag */
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        size_t len = make_rtp(buf, (uint16_t)(100 + i), 160);
        TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
        TEST_CHECK(flips[i] < len);
        buf[flips[i]] ^= 0x20;
        TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == AVERROR_INVALIDDATA);
    }
    size_t len = make_rtcp(buf);
    TEST_CHECK(rtpsec_protect_rtcp(tx, buf, &len, sizeof(buf)) == 0);
    buf[9] ^= 1;
    TEST_CHECK(rtpsec_unprotect_rtcp(rx, buf, &len) == AVERROR_INVALIDDATA);
    /* Too short to be a packet at all. */
    len = 5;
    TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == AVERROR_INVALIDDATA);
    TEST_CHECK(rtpsec_unprotect_rtcp(rx, buf, &len) == AVERROR_INVALIDDATA);
    rtpsec_free(&tx);
    rtpsec_free(&rx);
    return 0;
}

static int test_wrong_key(void)
{
    struct rtpsec *tx = NULL, *rx = NULL;
    uint8_t buf[300], other[RTPSEC_MASTER_LEN];
    key_b_from_a(other);
    TEST_CHECK(pair_alloc(&tx, &rx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, other) == 0);
    for (uint16_t seq = 1; seq < 5; seq++) {
        size_t len = make_rtp(buf, seq, 100);
        TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
        TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == AVERROR_INVALIDDATA);
    }
    size_t len = make_rtcp(buf);
    TEST_CHECK(rtpsec_protect_rtcp(tx, buf, &len, sizeof(buf)) == 0);
    TEST_CHECK(rtpsec_unprotect_rtcp(rx, buf, &len) == AVERROR_INVALIDDATA);
    rtpsec_free(&tx);
    rtpsec_free(&rx);
    /* Same key, different suite: the tag length differs, nothing authenticates. */
    TEST_CHECK(rtpsec_alloc(&tx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32, key_a, RTPSEC_OUTBOUND) == 0);
    TEST_CHECK(rtpsec_alloc(&rx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, key_a, RTPSEC_INBOUND) == 0);
    len = make_rtp(buf, 9, 100);
    TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
    TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == AVERROR_INVALIDDATA);
    rtpsec_free(&tx);
    rtpsec_free(&rx);
    return 0;
}

static int test_replay(void)
{
    struct rtpsec *tx = NULL, *rx = NULL;
    uint8_t buf[300], copy[300];
    TEST_CHECK(pair_alloc(&tx, &rx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, key_a) == 0);
    size_t len = make_rtp(buf, 500, 80), clen;
    TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
    memcpy(copy, buf, len);
    clen = len;
    TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == 0);
    TEST_CHECK(rtpsec_unprotect_rtp(rx, copy, &clen) == AVERROR_INVALIDDATA);
    /* The sender may retransmit the same sequence number (allow_repeat_tx). */
    len = make_rtp(buf, 500, 80);
    TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
    /* Reordering inside the window is fine: 502 after 503, but only once. */
    len = make_rtp(buf, 502, 80);
    TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
    memcpy(copy, buf, len);
    clen = len;
    len = make_rtp(buf, 503, 80);
    TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == 0);
    TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == 0);
    memcpy(buf, copy, clen);
    len = clen;
    TEST_CHECK(rtpsec_unprotect_rtp(rx, copy, &clen) == 0);
    TEST_CHECK(rtpsec_unprotect_rtp(rx, buf, &len) == AVERROR_INVALIDDATA);
    len = make_rtcp(buf);
    TEST_CHECK(rtpsec_protect_rtcp(tx, buf, &len, sizeof(buf)) == 0);
    memcpy(copy, buf, len);
    clen = len;
    TEST_CHECK(rtpsec_unprotect_rtcp(rx, buf, &len) == 0);
    TEST_CHECK(rtpsec_unprotect_rtcp(rx, copy, &clen) == AVERROR_INVALIDDATA);
    rtpsec_free(&tx);
    rtpsec_free(&rx);
    return 0;
}

static int test_misuse(void)
{
    struct rtpsec *tx = NULL, *rx = NULL;
    uint8_t buf[300];
    TEST_CHECK(pair_alloc(&tx, &rx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, key_a) == 0);
    size_t len = make_rtp(buf, 1, 100);
    TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, len + 9) == AVERROR(ENOSPC));
    TEST_CHECK(rtpsec_protect_rtp(rx, buf, &len, sizeof(buf)) == AVERROR(EINVAL));
    TEST_CHECK(rtpsec_unprotect_rtp(tx, buf, &len) == AVERROR(EINVAL));
    len = 11;
    TEST_CHECK(rtpsec_protect_rtp(tx, buf, &len, sizeof(buf)) == AVERROR_INVALIDDATA);
    len = make_rtcp(buf);
    TEST_CHECK(rtpsec_protect_rtcp(tx, buf, &len, len + 13) == AVERROR(ENOSPC));
    rtpsec_free(&tx);
    rtpsec_free(&rx);
    rtpsec_free(&rx);
    TEST_CHECK(rtpsec_alloc(&tx, (enum rtpsec_suite)7, key_a, RTPSEC_OUTBOUND) == AVERROR(ENOTSUP));
    TEST_CHECK(tx == NULL);
    return 0;
}

static int test_suite_names(void)
{
    enum rtpsec_suite s;
    TEST_CHECK(rtpsec_suite_from_name("AES_CM_128_HMAC_SHA1_80", &s) == 0);
    TEST_CHECK(s == RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80);
    TEST_CHECK(rtpsec_suite_from_name("AES_CM_128_HMAC_SHA1_32", &s) == 0);
    TEST_CHECK(s == RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32);
    TEST_CHECK(!strcmp(rtpsec_suite_name(s), "AES_CM_128_HMAC_SHA1_32"));
    TEST_CHECK(rtpsec_suite_from_name("AEAD_AES_256_GCM", &s) < 0);
    TEST_CHECK(rtpsec_suite_from_name("", &s) < 0);
    return 0;
}

static int test_key_inline(void)
{
    uint8_t key[RTPSEC_MASTER_LEN], back[RTPSEC_MASTER_LEN];
    char text[RTPSEC_INLINE_SIZE], param[128];
    TEST_CHECK(rtpsec_key_to_inline(key_a, text, sizeof(text)) == 0);
    TEST_CHECK(strlen(text) == 47 && !strncmp(text, "inline:", 7));
    TEST_CHECK(rtpsec_key_from_inline(text, back) == 0);
    TEST_CHECK(!memcmp(back, key_a, sizeof(back)));
    TEST_CHECK(rtpsec_key_to_inline(key_a, text, sizeof(text) - 1) == AVERROR(ENOSPC));

    /* Known vector: RFC 4568's example key. */
    TEST_CHECK(rtpsec_key_from_inline("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", key) == 0);
    TEST_CHECK(key[0] == 0x3d && key[1] == 0x2d && key[29] == 0x51);
    /* Lifetimes are accepted and ignored. */
    snprintf(param, sizeof(param), "%s|2^20", text);
    TEST_CHECK(rtpsec_key_from_inline(param, back) == 0 && !memcmp(back, key_a, sizeof(back)));
    snprintf(param, sizeof(param), "%s|1048576", text);
    TEST_CHECK(rtpsec_key_from_inline(param, back) == 0);
    /* A key with an MKI parses but is refused: packets would carry MKI bytes. */
    snprintf(param, sizeof(param), "%s|2^20|1:4", text);
    TEST_CHECK(rtpsec_key_from_inline(param, back) == RTPSEC_ERROR_MKI);
    snprintf(param, sizeof(param), "%s|1:1", text);
    TEST_CHECK(rtpsec_key_from_inline(param, back) == RTPSEC_ERROR_MKI);
    /* Malformed. */
    const char *bad[] = {
        "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",                  /* no inline: */
        "inline:",
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB",             /* 39 chars */
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRAAAA",        /* 33 bytes */
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV==",            /* 29 bytes */
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx*VBR",            /* bad char */
        "inline:PS1uQCVeeCFCanVmcjkp=ywjNWhcYD0mXXtxaVBR",            /* inner pad */
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|",
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^x",
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",   /* order */
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0",
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4|7",
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR;inline:x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(back, 0xAA, sizeof(back));
        if (rtpsec_key_from_inline(bad[i], back) != AVERROR_INVALIDDATA) {
            fprintf(stderr, "    accepted: %s\n", bad[i]);
            return 1;
        }
        TEST_CHECK(back[0] == 0xAA);                              /* untouched */
    }
    TEST_CHECK(rtpsec_key_random(key) == 0 && rtpsec_key_random(back) == 0);
    TEST_CHECK(memcmp(key, back, sizeof(key)) != 0);
    return 0;
}

/* ---- interop with ffmpeg's SRTP (libavformat/srtp.c, an independent implementation) ---- */

static int ulaw_decode(uint8_t u)
{
    u = (uint8_t)~u;
    int t = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 7);
    return (u & 0x80) ? 0x84 - t : t - 0x84;
}

static int have_program(const char *name)
{
    const char *path = getenv("PATH");
    char buf[512];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
        if (access(buf, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

/* Binds two UDP sockets on 127.0.0.1 ports P (even) and P+1. */
static int bind_pair(int fds[2], int *port)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof(a);
        fds[0] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fds[0] < 0 || bind(fds[0], (struct sockaddr *)&a, sizeof(a)) < 0 ||
            getsockname(fds[0], (struct sockaddr *)&a, &alen) < 0)
            return -1;
        *port = ntohs(a.sin_port);
        fds[1] = socket(AF_INET, SOCK_DGRAM, 0);
        a.sin_port = htons((uint16_t)(*port + 1));
        if ((*port & 1) == 0 && *port < 65535 && fds[1] >= 0 &&
            bind(fds[1], (struct sockaddr *)&a, sizeof(a)) == 0)
            return 0;
        close(fds[0]);
        if (fds[1] >= 0)
            close(fds[1]);
    }
    return -1;
}

static pid_t spawn_ffmpeg(int port, const char *b64_key)
{
    char url[64];
    snprintf(url, sizeof(url), "srtp://127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    execlp("ffmpeg", "ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i",
           "sine=frequency=1000:sample_rate=8000:d=1", "-c:a", "pcm_mulaw", "-f", "rtp",
           "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", b64_key, url,
           (char *)NULL);
    _exit(127);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct interop_stats {
    int rtp, rtp_ok, rtp_wrong_ok, rtcp, rtcp_ok, bad_header;
    int samples, crossings, prev;
    double energy;
};

static void take_rtp(struct interop_stats *st, struct rtpsec *rx, struct rtpsec *wrong,
                     uint8_t *buf, size_t len)
{
    uint8_t copy[2048];
    size_t clen = len;
    memcpy(copy, buf, len);
    st->rtp++;
    if (rtpsec_unprotect_rtp(wrong, copy, &clen) == 0)
        st->rtp_wrong_ok++;
    if (rtpsec_unprotect_rtp(rx, buf, &len) < 0)
        return;
    st->rtp_ok++;
    if (len < 12 || buf[0] != 0x80 || (buf[1] & 0x7F) != 0) {
        st->bad_header++;
        return;
    }
    for (size_t i = 12; i < len; i++) {
        int v = ulaw_decode(buf[i]);
        if (st->samples++ && (v < 0) != (st->prev < 0))
            st->crossings++;
        st->prev = v;
        st->energy += (double)v * v;
    }
}

static int run_interop(struct rtpsec *rx, struct rtpsec *wrong, struct rtpsec *rx_rtcp,
                       const char *b64, struct interop_stats *st)
{
    int fds[2], port, status = -1, exited = 0;
    uint8_t buf[2048];
    if (bind_pair(fds, &port) < 0)
        return -1;
    pid_t pid = spawn_ffmpeg(port, b64);
    if (pid < 0)
        return -1;
    double start = now_s(), exit_time = 0;
    while (now_s() - start < 2.8 && (!exited || now_s() - exit_time < 0.15)) {
        struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
        if (poll(p, 2, 50) > 0) {
            for (int i = 0; i < 2; i++) {
                if (!(p[i].revents & POLLIN))
                    continue;
                ssize_t n = recv(fds[i], buf, sizeof(buf), 0);
                if (n <= 0)
                    continue;
                size_t len = (size_t)n;
                if (i == 0) {
                    take_rtp(st, rx, wrong, buf, len);
                } else {
                    st->rtcp++;
                    st->rtcp_ok += rtpsec_unprotect_rtcp(rx_rtcp, buf, &len) == 0;
                }
            }
        }
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
            exited = 1;
            exit_time = now_s();
        }
    }
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    close(fds[0]);
    close(fds[1]);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int test_ffmpeg_interop(void)
{
    struct rtpsec *rx = NULL, *wrong = NULL, *rx_rtcp = NULL;
    struct interop_stats st = { 0 };
    uint8_t key[RTPSEC_MASTER_LEN], other[RTPSEC_MASTER_LEN];
    char text[RTPSEC_INLINE_SIZE];
    if (!have_program("ffmpeg")) {
        printf("    note: ffmpeg not found, SRTP interop skipped\n");
        return 0;
    }
    TEST_CHECK(rtpsec_key_random(key) == 0);
    memcpy(other, key, sizeof(other));
    other[20] ^= 0x80;                                 /* salt differs */
    TEST_CHECK(rtpsec_key_to_inline(key, text, sizeof(text)) == 0);
    TEST_CHECK(rtpsec_alloc(&rx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_INBOUND) == 0);
    TEST_CHECK(rtpsec_alloc(&rx_rtcp, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_INBOUND) == 0);
    TEST_CHECK(rtpsec_alloc(&wrong, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, other, RTPSEC_INBOUND) == 0);
    int ret = run_interop(rx, wrong, rx_rtcp, text + 7, &st);
    rtpsec_free(&rx);
    rtpsec_free(&rx_rtcp);
    rtpsec_free(&wrong);
    double freq = st.samples ? st.crossings / 2.0 * 8000.0 / st.samples : 0;
    double rms = st.samples ? sqrt(st.energy / st.samples) : 0;
    printf("    ffmpeg SRTP: %d RTP (%d authenticated, %d with the wrong key), %d RTCP (%d ok), "
           "%d samples, %.1f Hz, rms %.0f\n", st.rtp, st.rtp_ok, st.rtp_wrong_ok, st.rtcp,
           st.rtcp_ok, st.samples, freq, rms);
    TEST_CHECK(ret == 0);
    TEST_CHECK(st.rtp >= 5 && st.rtp_ok == st.rtp && st.rtp_wrong_ok == 0);
    TEST_CHECK(st.bad_header == 0);
    TEST_CHECK(st.rtcp_ok == st.rtcp);
    TEST_CHECK(st.samples >= 7000);
    TEST_CHECK(freq > 980 && freq < 1020);
    TEST_CHECK(rms > 1000);                            /* sine at 1/8 of full scale */
    return 0;
}

static const struct test_case rtpsec_cases[] = {
    { "round_trip_80", test_round_trip_80 },
    { "round_trip_32", test_round_trip_32 },
    { "tampered", test_tampered },
    { "wrong_key", test_wrong_key },
    { "replay", test_replay },
    { "misuse", test_misuse },
    { "suite_names", test_suite_names },
    { "key_inline", test_key_inline },
    { "ffmpeg_interop", test_ffmpeg_interop },
    { NULL, NULL },
};

const struct test_suite rtpsec_suite = { "rtpsec", rtpsec_cases };
