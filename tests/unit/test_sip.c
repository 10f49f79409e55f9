/* Unit tests of the SIP glue that needs no stack: re-INVITE answers (hold, resume,
 * codec kept under the offer's payload type, refusals), hold detection, whether our
 * answer sends video, INFO DTMF bodies, caller-name cleaning, the keybox PIN keys
 * travel through, and loading a PIN prompt file. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "mixer/keybox.h"
#include "mixer/prompt.h"
#include "signal/sdp.h"
#include "signal/sip_room.h"
#include "test.h"

/* What participant_create answers a PCMU + telephone-event phone. */
static const char our_answer[] =
    "v=0\r\n"
    "o=tessera 1 1 IN IP4 127.0.0.1\r\n"
    "s=tessera r1\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 30000 RTP/AVP 0 101\r\n"
    "a=sendrecv\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n";

static const char *reoffer(char *buf, size_t size, const char *direction, const char *pts, const char *extra)
{
    snprintf(buf, size,
             "v=0\r\no=phone 9 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 40000 RTP/AVP %s\r\n%sa=%s\r\n", pts, extra, direction);
    return buf;
}

static int reanswer(const char *offer, uint64_t version, struct sdp_session *out, char *err, size_t err_size)
{
    char text[4096];
    int ret = sip_room_reanswer(our_answer, offer, strlen(offer), version, text, sizeof(text), err, err_size);

    if (ret < 0)
        return ret;
    return sdp_parse(out, text, strlen(text), err, err_size);
}

static int test_reanswer_hold_resume(void)
{
    struct sdp_session *s = NULL;
    char offer[1024], err[256];

    TEST_CHECK(sdp_session_alloc(&s) == 0);
    reoffer(offer, sizeof(offer), "sendonly", "0 101", "a=rtpmap:101 telephone-event/8000\r\n");
    TEST_CHECK(reanswer(offer, 2, s, err, sizeof(err)) == 0);
    TEST_CHECK(s->session_version == 2 && s->session_id == 1);
    TEST_CHECK(s->media_count == 1 && s->media[0].port == 30000);
    TEST_CHECK(s->media[0].direction == SDP_RECVONLY);
    TEST_CHECK(s->media[0].format_count == 2 && s->media[0].formats[0].payload_type == 0);
    reoffer(offer, sizeof(offer), "inactive", "0", "");
    TEST_CHECK(reanswer(offer, 3, s, err, sizeof(err)) == 0);
    TEST_CHECK(s->media[0].direction == SDP_INACTIVE && s->media[0].format_count == 1);
    reoffer(offer, sizeof(offer), "recvonly", "0", "");
    TEST_CHECK(reanswer(offer, 4, s, err, sizeof(err)) == 0 && s->media[0].direction == SDP_SENDONLY);
    reoffer(offer, sizeof(offer), "sendrecv", "8 0", "");
    TEST_CHECK(reanswer(offer, 5, s, err, sizeof(err)) == 0 && s->media[0].direction == SDP_SENDRECV);
    TEST_CHECK(s->media[0].format_count == 1 && !strcmp(s->media[0].formats[0].encoding, "PCMU"));
    sdp_session_free(&s);
    return 0;
}

/* The offer's payload type wins; a stream the offer disables gets port 0. */
static int test_reanswer_payload_types(void)
{
    static const char late[] =
        "v=0\r\no=tessera 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 30000 RTP/AVP 9 0 96\r\na=rtpmap:96 opus/48000/2\r\na=sendrecv\r\n"
        "m=video 30002 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
        "a=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=0\r\na=sendrecv\r\n";
    static const char offer[] =
        "v=0\r\no=phone 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
        "m=video 0 RTP/AVP 100\r\na=rtpmap:100 H264/90000\r\n";
    struct sdp_session *s = NULL;
    char text[4096], err[256];

    TEST_CHECK(sdp_session_alloc(&s) == 0);
    TEST_CHECK(sip_room_reanswer(late, offer, strlen(offer), 2, text, sizeof(text), err, sizeof(err)) > 0);
    TEST_CHECK(sdp_parse(s, text, strlen(text), err, sizeof(err)) == 0);
    TEST_CHECK(s->media_count == 2 && s->media[0].format_count == 1);
    TEST_CHECK(s->media[0].formats[0].payload_type == 111 && !strcmp(s->media[0].formats[0].encoding, "opus"));
    TEST_CHECK(s->media[1].port == 0);
    sdp_session_free(&s);
    return 0;
}

static int test_reanswer_refused(void)
{
    char offer[1024], text[4096], err[256] = "";

    reoffer(offer, sizeof(offer), "sendrecv", "3 101", "a=rtpmap:101 telephone-event/8000\r\n");
    TEST_CHECK(sip_room_reanswer(our_answer, offer, strlen(offer), 2, text, sizeof(text), err, sizeof(err)) < 0);
    TEST_CHECK(strstr(err, "PCMU") != NULL);
    snprintf(offer, sizeof(offer), "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 1 RTP/AVP 0\r\nm=video 2 RTP/AVP 96\r\n");
    TEST_CHECK(sip_room_reanswer(our_answer, offer, strlen(offer), 2, text, sizeof(text), err, sizeof(err)) < 0);
    TEST_CHECK(strstr(err, "m= lines") != NULL);
    TEST_CHECK(sip_room_reanswer(our_answer, "m=audio x", 9, 2, text, sizeof(text), err, sizeof(err)) < 0);
    reoffer(offer, sizeof(offer), "sendrecv", "0", "");
    TEST_CHECK(sip_room_reanswer(our_answer, offer, strlen(offer), 2, text, 32, err, sizeof(err)) < 0);
    return 0;
}

static int test_clean_text(void)
{
    char out[16];

    sip_room_clean_text("  Alice  ", out, sizeof(out));
    TEST_CHECK(!strcmp(out, "Alice"));
    sip_room_clean_text("Zo\xc3\xa9 \x01\x7f", out, sizeof(out));
    TEST_CHECK(!strcmp(out, "Zo\xc3\xa9"));
    sip_room_clean_text("a\xff\xc3(b\xed\xa0\x80", out, sizeof(out));      /* invalid, surrogate */
    TEST_CHECK(!strcmp(out, "a(b"));
    sip_room_clean_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", out, sizeof(out));
    TEST_CHECK(strlen(out) == 14);                         /* cut between characters */
    sip_room_clean_text(NULL, out, sizeof(out));
    TEST_CHECK(!out[0]);
    return 0;
}

static int test_offer_holds(void)
{
    char offer[512];

    reoffer(offer, sizeof(offer), "sendonly", "0", "");
    TEST_CHECK(sip_room_offer_holds(offer, strlen(offer)) == 1);
    reoffer(offer, sizeof(offer), "inactive", "0", "");
    TEST_CHECK(sip_room_offer_holds(offer, strlen(offer)) == 1);
    reoffer(offer, sizeof(offer), "sendrecv", "0", "");
    TEST_CHECK(sip_room_offer_holds(offer, strlen(offer)) == 0);
    reoffer(offer, sizeof(offer), "recvonly", "0", "");
    TEST_CHECK(sip_room_offer_holds(offer, strlen(offer)) == 0);
    snprintf(offer, sizeof(offer), "v=0\r\no=p 1 2 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
             "m=audio 40000 RTP/AVP 0\r\n");
    TEST_CHECK(sip_room_offer_holds(offer, strlen(offer)) == 1);               /* RFC 2543 hold */
    TEST_CHECK(sip_room_offer_holds("m=audio x", 9) == 0);
    return 0;
}

static int test_info_key(void)
{
    static const char relay[] = "Signal=5\r\nDuration=160\r\n";

    TEST_CHECK(sip_room_info_key("application/dtmf-relay", relay, strlen(relay)) == '5');
    TEST_CHECK(sip_room_info_key("Application/DTMF-Relay", "Duration=100\nSignal= *\n", 24) == '*');
    TEST_CHECK(sip_room_info_key("application/dtmf-relay", "Signal=11\r\n", 11) == '#');
    TEST_CHECK(sip_room_info_key("application/dtmf-relay", "Signal=x\r\n", 10) == 0);
    TEST_CHECK(sip_room_info_key("application/dtmf-relay", "Duration=160", 12) == 0);
    TEST_CHECK(sip_room_info_key("application/dtmf", "6", 1) == '6');
    TEST_CHECK(sip_room_info_key("application/dtmf", "d\r\n", 3) == 'D');
    TEST_CHECK(sip_room_info_key("application/dtmf", "", 0) == 0);
    TEST_CHECK(sip_room_info_key("application/dtmf", "66", 2) == 0);
    TEST_CHECK(sip_room_info_key("text/plain", "5", 1) == 0);
    TEST_CHECK(sip_room_info_key(NULL, "5", 1) == 0);
    return 0;
}

static int test_keybox(void)
{
    struct keybox *b = keybox_alloc(), *ref;
    char out[8];

    TEST_CHECK(b != NULL);
    ref = keybox_ref(b);
    for (const char *k = "1234#"; *k; k++)
        keybox_push(b, *k);
    TEST_CHECK(keybox_take(ref, out, 4) == 3 && !strcmp(out, "123"));
    TEST_CHECK(keybox_take(ref, out, sizeof(out)) == 2 && !strcmp(out, "4#"));
    TEST_CHECK(keybox_take(ref, out, sizeof(out)) == 0 && !out[0]);
    for (int i = 0; i < 40; i++)
        keybox_push(b, (char)('0' + i % 10));
    keybox_unref(&b);
    TEST_CHECK(b == NULL);
    TEST_CHECK(keybox_take(ref, out, 2) == 1 && out[0] == '8');               /* the oldest dropped */
    keybox_unref(&ref);
    keybox_unref(&ref);
    return 0;
}

static int test_sdp_sends(void)
{
    static const char two[] =
        "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 30000 RTP/AVP 0\r\na=sendrecv\r\n"
        "m=video 30002 RTP/AVP 96\r\na=%s\r\na=rtpmap:96 H264/90000\r\n";
    char sdp[512];

    snprintf(sdp, sizeof(sdp), two, "sendrecv");
    TEST_CHECK(sip_room_sdp_sends(sdp, "video") == 1 && sip_room_sdp_sends(sdp, "audio") == 1);
    snprintf(sdp, sizeof(sdp), two, "sendonly");
    TEST_CHECK(sip_room_sdp_sends(sdp, "video") == 1);
    snprintf(sdp, sizeof(sdp), two, "recvonly");
    TEST_CHECK(sip_room_sdp_sends(sdp, "video") == 0 && sip_room_sdp_sends(sdp, "audio") == 1);
    snprintf(sdp, sizeof(sdp), two, "inactive");
    TEST_CHECK(sip_room_sdp_sends(sdp, "video") == 0);
    TEST_CHECK(sip_room_sdp_sends(our_answer, "video") == 0);      /* no video line */
    TEST_CHECK(sip_room_sdp_sends("m=audio x", "audio") == 0);     /* malformed */
    return 0;
}

/* Writes a 16-bit mono WAV of n samples at rate (a 1 kHz tone) to path. */
static int write_wav(const char *path, int rate, int n)
{
    FILE *f = fopen(path, "wb");
    uint8_t h[44] = "RIFF....WAVEfmt \x10\0\0\0\x01\0\x01\0........\x02\0\x10\0data....";
    const uint32_t data = (uint32_t)n * 2, vals[4] = { 36 + data, (uint32_t)rate, (uint32_t)rate * 2, data };
    const int at[4] = { 4, 24, 28, 40 };

    if (!f)
        return -1;
    for (int k = 0; k < 4; k++)
        for (int b = 0; b < 4; b++)
            h[at[k] + b] = (uint8_t)(vals[k] >> (8 * b));
    fwrite(h, 1, sizeof(h), f);
    for (int i = 0; i < n; i++) {
        int16_t s = (int16_t)(10000 * sin(2 * M_PI * 1000.0 * i / rate));
        uint8_t le[2] = { (uint8_t)(s & 0xff), (uint8_t)((uint16_t)s >> 8) };
        fwrite(le, 1, 2, f);
    }
    return fclose(f);
}

static int test_prompt_load(void)
{
    char path[] = "/tmp/tessera_prompt_XXXXXX";
    int fd = mkstemp(path);
    struct prompt *p = NULL;
    float peak = 0;

    TEST_CHECK(fd >= 0);
    close(fd);
    TEST_CHECK(write_wav(path, 16000, 8000) == 0);                  /* 0.5 s at 16 kHz */
    TEST_CHECK(prompt_load(&p, path, 48000) == 0 && p);
    TEST_CHECK(p->rate == 48000 && abs(p->count - 24000) < 200);
    for (int i = 0; i < p->count; i++)
        peak = fabsf(p->samples[i]) > peak ? fabsf(p->samples[i]) : peak;
    TEST_CHECK(peak > 0.25f && peak < 0.35f);                       /* 10000 / 32768 */
    prompt_free(&p);
    TEST_CHECK(p == NULL);
    prompt_free(&p);
    TEST_CHECK(write_wav(path, 8000, 8000 * (PROMPT_MAX_SECONDS + 1)) == 0);
    TEST_CHECK(prompt_load(&p, path, 48000) < 0 && p == NULL);      /* too long */
    fd = open(path, O_WRONLY | O_TRUNC);
    TEST_CHECK(fd >= 0 && write(fd, "not audio at all", 16) == 16);
    close(fd);
    TEST_CHECK(prompt_load(&p, path, 48000) < 0 && p == NULL);
    unlink(path);
    TEST_CHECK(prompt_load(&p, path, 48000) < 0 && p == NULL);      /* missing */
    return 0;
}

static const struct test_case sip_cases[] = {
    { "sdp_sends", test_sdp_sends },
    { "prompt_load", test_prompt_load },
    { "offer_holds", test_offer_holds },
    { "info_key", test_info_key },
    { "keybox", test_keybox },
    { "reanswer_hold_resume", test_reanswer_hold_resume },
    { "reanswer_payload_types", test_reanswer_payload_types },
    { "reanswer_refused", test_reanswer_refused },
    { "clean_text", test_clean_text },
    { NULL, NULL },
};

const struct test_suite sip_suite = { "sip", sip_cases };
