/* Unit tests of sdpfrag: trickle ICE fragments as WHIP clients send them (RFC 9725
 * examples, a Chromium-style candidate), ICE restart fragments, malformed ones, and
 * the restart answer written and parsed back. */
#include <string.h>
#include <libavutil/error.h>

#include "signal/sdpfrag.h"
#include "test.h"

/* A trickle PATCH body like RFC 9725's example: credentials, one m= section, two
 * candidates with Chromium's extensions, end-of-candidates. */
static const char trickle[] =
    "a=ice-options:trickle ice2\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=mid:0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n"
    "a=candidate:3471623853 1 udp 1686052607 198.51.100.2 61765 typ srflx raddr 10.0.0.2 rport 61765 generation 0\r\n"
    "a=end-of-candidates\r\n";

static int test_trickle(void)
{
    struct sdpfrag f;
    char err[256];

    TEST_CHECK(sdpfrag_parse(&f, trickle, strlen(trickle), err, sizeof(err)) == 0);
    TEST_CHECK(!strcmp(f.ice_ufrag, "EsAw") && !strcmp(f.ice_pwd, "P2uYro0UCOQ4zxjKXaWCBui1"));
    TEST_CHECK(!strcmp(f.media, "audio 9 UDP/TLS/RTP/SAVPF 111") && !strcmp(f.mid, "0"));
    TEST_CHECK(f.candidate_count == 2 && f.end_of_candidates);
    TEST_CHECK(!strcmp(f.candidates[0].addr, "192.0.2.1") && f.candidates[0].port == 61764);
    TEST_CHECK(f.candidates[0].priority == 2122260223u && !strcmp(f.candidates[0].type, "host"));
    TEST_CHECK(!strcmp(f.candidates[1].type, "srflx") && !strcmp(f.candidates[1].raddr, "10.0.0.2"));
    return 0;
}

/* Session-level credentials and end-of-candidates, LF line ends, candidates in two
 * sections, and a fragment with only end-of-candidates. */
static int test_levels(void)
{
    static const char two[] =
        "a=ice-ufrag:abcd\na=ice-pwd:0123456789abcdefghijklmn\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:0\n"
        "a=candidate:1 1 udp 100 127.0.0.1 5000 typ host\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:1\n"
        "a=candidate:2 1 udp 90 127.0.0.1 5002 typ host\n";
    static const char eoc[] = "a=end-of-candidates\r\n";
    struct sdpfrag f;

    TEST_CHECK(sdpfrag_parse(&f, two, strlen(two), NULL, 0) == 0);
    TEST_CHECK(!strcmp(f.ice_ufrag, "abcd") && f.candidate_count == 2 && !f.end_of_candidates);
    TEST_CHECK(f.candidates[1].port == 5002 && !strcmp(f.mid, "0"));
    TEST_CHECK(sdpfrag_parse(&f, eoc, strlen(eoc), NULL, 0) == 0);
    TEST_CHECK(f.end_of_candidates && !f.ice_ufrag[0] && !f.candidate_count && !f.media[0]);
    return 0;
}

static int expect_error(const char *text, const char *want)
{
    struct sdpfrag f;
    char err[256] = "";
    int ret = sdpfrag_parse(&f, text, strlen(text), err, sizeof(err));

    if (ret >= 0 || !strstr(err, want)) {
        fprintf(stderr, "    %s -> %d \"%s\", expected an error with \"%s\"\n", text, ret, err, want);
        return 0;
    }
    return 1;
}

static int test_malformed(void)
{
    char big[SDPFRAG_MAX_SIZE + 2];
    int ok = 1;

    ok = ok && expect_error("", "no a=ice-ufrag, a=candidate or a=end-of-candidates");
    ok = ok && expect_error("a=ice-options:trickle\r\n", "no a=ice-ufrag");
    ok = ok && expect_error("hello\r\n", "sdpfrag line 1: not a \"x=value\" line");
    ok = ok && expect_error("a=ice-ufrag:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                            "a=candidate:1 1 udp 1 127.0.0.1 typ host\r\n", "sdpfrag line 3: a=candidate");
    ok = ok && expect_error("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:a\r\n"
                            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ice-ufrag:b\r\n", "two different a=ice-ufrag");
    ok = ok && expect_error("a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n", "a=ice-pwd without a=ice-ufrag");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ok = ok && expect_error(big, "larger than");
    TEST_CHECK(ok);
    return 0;
}

/* Our ICE restart answer: written, then parsed back to the same values. */
static int test_write(void)
{
    struct sdpfrag f = { .ice_ufrag = "Zx9q", .ice_pwd = "n3wPassw0rdn3wPassw0rd12",
                         .media = "audio 9 UDP/TLS/RTP/SAVPF 111", .mid = "0", .end_of_candidates = 1 };
    struct sdpfrag back;
    char buf[1024], small[40];
    int n;

    f.candidates[0] = (struct sdp_candidate){ .foundation = "1", .component = 1, .transport = "udp",
                                              .priority = 2130706431u, .addr = "127.0.0.1", .port = 20004,
                                              .type = "host" };
    f.candidate_count = 1;
    n = sdpfrag_write(&f, buf, sizeof(buf));
    TEST_CHECK(n > 0 && (size_t)n == strlen(buf));
    TEST_CHECK(!strcmp(buf, "a=ice-ufrag:Zx9q\r\na=ice-pwd:n3wPassw0rdn3wPassw0rd12\r\n"
                            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
                            "a=candidate:1 1 udp 2130706431 127.0.0.1 20004 typ host\r\n"
                            "a=end-of-candidates\r\n"));
    TEST_CHECK(sdpfrag_parse(&back, buf, (size_t)n, NULL, 0) == 0);
    TEST_CHECK(!strcmp(back.ice_ufrag, f.ice_ufrag) && !strcmp(back.ice_pwd, f.ice_pwd));
    TEST_CHECK(!strcmp(back.media, f.media) && !strcmp(back.mid, f.mid) && back.end_of_candidates);
    TEST_CHECK(back.candidate_count == 1 && back.candidates[0].port == 20004 &&
               back.candidates[0].priority == 2130706431u);
    TEST_CHECK(sdpfrag_write(&f, small, sizeof(small)) == AVERROR(ENOSPC) && !small[0]);
    snprintf(f.ice_pwd, sizeof(f.ice_pwd), "two words");
    TEST_CHECK(sdpfrag_write(&f, buf, sizeof(buf)) == AVERROR(EINVAL));
    snprintf(f.ice_pwd, sizeof(f.ice_pwd), "ok");
    snprintf(f.media, sizeof(f.media), "audio 9\r\na=evil");
    TEST_CHECK(sdpfrag_write(&f, buf, sizeof(buf)) == AVERROR(EINVAL));
    return 0;
}

static const struct test_case sdpfrag_cases[] = {
    { "trickle", test_trickle },
    { "levels", test_levels },
    { "malformed", test_malformed },
    { "write", test_write },
    { NULL, NULL },
};

const struct test_suite sdpfrag_suite = { "sdpfrag", sdpfrag_cases };
