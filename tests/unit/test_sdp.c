/* Unit tests of sdp: real SDPs from ffmpeg, Chromium and Firefox, write/parse round trips,
 * offer/answer codec and crypto choice, and malformed input. */
#include <stdlib.h>
#include <string.h>

#include "net/rtpsec.h"
#include "signal/sdp.h"
#include "test.h"

/* ffmpeg 5.1 -sdp_file, H.264 (libx264, +global_header) + Opus, as written (CRLF). */
static const char ffmpeg_h264_opus[] =
    "v=0\r\n"
    "o=- 0 0 IN IP4 127.0.0.1\r\n"
    "s=No Name\r\n"
    "t=0 0\r\n"
    "a=tool:libavformat LIBAVFORMAT_VERSION\r\n"
    "m=video 40000 RTP/AVP 96\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LADdoFB+wEQAAAAwBAAAAMo8UKqA==,aM4PyA==; profile-level-id=42C00D\r\n"
    "m=audio 40002 RTP/AVP 111\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

/* ffmpeg 5.1 -sdp_file, h263p (ffmpeg names it H263-2000) + g722 (static PT 9), LF only. */
static const char ffmpeg_h263_g722[] =
    "v=0\n"
    "o=- 0 0 IN IP4 127.0.0.1\n"
    "s=No Name\n"
    "t=0 0\n"
    "a=tool:libavformat LIBAVFORMAT_VERSION\n"
    "m=video 40000 RTP/AVP 96\n"
    "c=IN IP4 127.0.0.1\n"
    "b=AS:200\n"
    "a=rtpmap:96 H263-2000/90000\n"
    "a=framesize:96 352-288\n"
    "m=audio 40002 RTP/AVP 9\n"
    "c=IN IP4 127.0.0.1\n"
    "b=AS:128\n";

/* ffmpeg 5.1 SRTP sender (-srtp_out_suite ... srtp://), plus a second crypto line. */
static const char ffmpeg_srtp[] =
    "v=0\r\n"
    "o=- 0 0 IN IP4 127.0.0.1\r\n"
    "s=No Name\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "a=tool:libavformat LIBAVFORMAT_VERSION\r\n"
    "m=audio 40004 RTP/SAVP 0\r\n"
    "b=AS:64\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";

#define FP "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"
#define MSID "a=msid:b6c1a5f2-3c4d-4e5f-8a9b-0c1d2e3f4a5b "
#define FB(pt) "a=rtcp-fb:" pt " goog-remb\r\na=rtcp-fb:" pt " transport-cc\r\na=rtcp-fb:" pt \
    " ccm fir\r\na=rtcp-fb:" pt " nack\r\na=rtcp-fb:" pt " nack pli\r\n"
#define H264(pt, mode, plid) "a=rtpmap:" pt " H264/90000\r\n" FB(pt) "a=fmtp:" pt \
    " level-asymmetry-allowed=1;packetization-mode=" mode ";profile-level-id=" plid "\r\n"
#define RTX(pt, apt) "a=rtpmap:" pt " rtx/90000\r\na=fmtp:" pt " apt=" apt "\r\n"

/* A Chromium offer (Unified Plan, M120-like), audio + video, BUNDLE, trickle ICE. */
static const char chrome_offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS b6c1a5f2-3c4d-4e5f-8a9b-0c1d2e3f4a5b\r\n"
    "m=audio 46243 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 127.0.0.1 46243 typ host generation 0 network-id 1\r\n"
    "a=candidate:842163049 1 udp 1686052607 203.0.113.7 46243 typ srflx raddr 127.0.0.1 rport 46243 generation 0 network-id 1\r\n"
    "a=ice-ufrag:Bx2L\r\n"
    "a=ice-pwd:h5nF6pC8Wn0y3Hq2ZDVd7p1R\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 " FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    MSID "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:3735928559 cname:9ki1wMQ6eKE7hLBb\r\n"
    "a=ssrc:3735928559 msid:b6c1a5f2-3c4d-4e5f-8a9b-0c1d2e3f4a5b 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\r\n"
    "m=video 46243 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46 98 99 100 101 112 113 116 117 118\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 127.0.0.1 46243 typ host generation 0 network-id 1\r\n"
    "a=ice-ufrag:Bx2L\r\n"
    "a=ice-pwd:h5nF6pC8Wn0y3Hq2ZDVd7p1R\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 " FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
    "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type\r\n"
    "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r\n"
    "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=sendrecv\r\n"
    MSID "7a6b5c4d-3e2f-1a0b-9c8d-7e6f5a4b3c2d\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n" FB("96") RTX("97", "96")
    H264("102", "1", "42001f") RTX("103", "102")
    H264("104", "0", "42001f") RTX("105", "104")
    H264("106", "1", "42e01f") RTX("107", "106")
    H264("108", "0", "42e01f") RTX("109", "108")
    H264("127", "1", "4d001f") RTX("125", "127")
    H264("39", "0", "4d001f") RTX("40", "39")
    "a=rtpmap:45 AV1/90000\r\n" FB("45") "a=fmtp:45 level-idx=5;profile=0;tier=0\r\n" RTX("46", "45")
    "a=rtpmap:98 VP9/90000\r\n" FB("98") "a=fmtp:98 profile-id=0\r\n" RTX("99", "98")
    "a=rtpmap:100 VP9/90000\r\n" FB("100") "a=fmtp:100 profile-id=2\r\n" RTX("101", "100")
    H264("112", "1", "64001f") RTX("113", "112")
    "a=rtpmap:116 red/90000\r\n" RTX("117", "116")
    "a=rtpmap:118 ulpfec/90000\r\n"
    "a=ssrc-group:FID 2231627014 632943048\r\n"
    "a=ssrc:2231627014 cname:9ki1wMQ6eKE7hLBb\r\n"
    "a=ssrc:2231627014 msid:b6c1a5f2-3c4d-4e5f-8a9b-0c1d2e3f4a5b 7a6b5c4d-3e2f-1a0b-9c8d-7e6f5a4b3c2d\r\n"
    "a=ssrc:632943048 cname:9ki1wMQ6eKE7hLBb\r\n";

/* A Firefox ESR 153 offer (max-bundle, sendonly camera + microphone) as it POSTs it to
 * WHIP: fingerprint and a=sendrecv at session level, the video section bundle-only
 * with port 0, candidates only in the first section. */
static const char firefox_offer[] =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 2291780566843616430 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "a=fingerprint:sha-256 " FP "\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=ice-options:trickle\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=audio 41057 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
    "c=IN IP4 198.18.0.1\r\n"
    "a=candidate:0 1 UDP 2122252543 198.18.0.1 41057 typ host\r\n"
    "a=sendonly\r\n"
    "a=end-of-candidates\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n"
    "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ice-pwd:38b40a983c83b5a1a2532cada28e0eb1\r\n"
    "a=ice-ufrag:ac9de122\r\n"
    "a=mid:0\r\n"
    "a=msid:{4fbd36ba-c57a-4b63-920c-af00e26a8514} {f27291e1-84b4-4aac-8a04-8b96b5925636}\r\n"
    "a=rtcp-fb:109 transport-cc\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "a=rtpmap:9 G722/8000/1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=setup:actpass\r\n"
    "a=ssrc:3571778996 cname:{0a1c1c6b-c264-4a9a-8b9a-7b3bc80c0efc}\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 120 124 121 125 99 100 123 122 119\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=bundle-only\r\n"
    "a=sendonly\r\n"
    "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=fmtp:120 max-fs=12288;max-fr=60\r\n"
    "a=fmtp:124 apt=120\r\n"
    "a=fmtp:121 max-fs=12288;max-fr=60\r\n"
    "a=fmtp:125 apt=121\r\n"
    "a=fmtp:100 apt=99\r\n"
    "a=fmtp:119 apt=122\r\n"
    "a=ice-pwd:38b40a983c83b5a1a2532cada28e0eb1\r\n"
    "a=ice-ufrag:ac9de122\r\n"
    "a=mid:1\r\n"
    "a=msid:{4fbd36ba-c57a-4b63-920c-af00e26a8514} {9f8812e9-68ea-4603-8b2d-dc87e910fd1a}\r\n"
    FB("120") FB("121") FB("99")
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:120 VP8/90000\r\n"
    "a=rtpmap:124 rtx/90000\r\n"
    "a=rtpmap:121 VP9/90000\r\n"
    "a=rtpmap:125 rtx/90000\r\n"
    "a=rtpmap:99 AV1/90000\r\n"
    "a=rtpmap:100 rtx/90000\r\n"
    "a=rtpmap:123 ulpfec/90000\r\n"
    "a=rtpmap:122 red/90000\r\n"
    "a=rtpmap:119 rtx/90000\r\n"
    "a=setup:actpass\r\n"
    "a=ssrc:1562730766 cname:{0a1c1c6b-c264-4a9a-8b9a-7b3bc80c0efc}\r\n"
    "a=ssrc:1092047788 cname:{0a1c1c6b-c264-4a9a-8b9a-7b3bc80c0efc}\r\n"
    "a=ssrc-group:FID 1562730766 1092047788\r\n";

static const char *const legacy_first[] = {
    "G722/8000", "PCMU/8000", "PCMA/8000", "opus/48000",
    "H264/90000", "H263-1998/90000", "VP8/90000",
};
#define LEGACY_COUNT ((int)(sizeof(legacy_first) / sizeof(legacy_first[0])))

static struct sdp_session *parse_ok(const char *text)
{
    struct sdp_session *s = NULL;
    char err[256];
    if (sdp_session_alloc(&s) < 0)
        return NULL;
    if (sdp_parse(s, text, strlen(text), err, sizeof(err)) < 0) {
        fprintf(stderr, "    parse failed: %s\n", err);
        sdp_session_free(&s);
    }
    return s;
}

static const struct sdp_format *format(const struct sdp_media *m, int pt)
{
    for (int i = 0; i < m->format_count; i++)
        if (m->formats[i].payload_type == pt)
            return &m->formats[i];
    return NULL;
}

static int test_ffmpeg_h264_opus(void)
{
    struct sdp_session *s = parse_ok(ffmpeg_h264_opus);
    TEST_CHECK(s && s->media_count == 2);
    TEST_CHECK(!strcmp(s->name, "No Name") && !strcmp(s->origin_addr, "127.0.0.1"));
    const struct sdp_media *v = &s->media[0], *a = &s->media[1];
    TEST_CHECK(!strcmp(v->type, "video") && v->port == 40000 && !strcmp(v->proto, "RTP/AVP"));
    TEST_CHECK(!strcmp(v->addr, "127.0.0.1") && v->direction == SDP_SENDRECV && !v->rtcp_mux);
    TEST_CHECK(v->format_count == 1 && v->formats[0].payload_type == 96);
    TEST_CHECK(!strcmp(v->formats[0].encoding, "H264") && v->formats[0].clock_rate == 90000);
    char val[128];
    TEST_CHECK(sdp_fmtp_param(v->formats[0].fmtp, "packetization-mode", val, sizeof(val)) == 1);
    TEST_CHECK(!strcmp(val, "1"));
    TEST_CHECK(sdp_fmtp_param(v->formats[0].fmtp, "Profile-Level-Id", val, sizeof(val)) == 1);
    TEST_CHECK(!strcmp(val, "42C00D"));
    TEST_CHECK(sdp_fmtp_param(v->formats[0].fmtp, "sprop-parameter-sets", val, sizeof(val)) == 1);
    TEST_CHECK(!strcmp(val, "Z0LADdoFB+wEQAAAAwBAAAAMo8UKqA==,aM4PyA=="));
    TEST_CHECK(sdp_fmtp_param(v->formats[0].fmtp, "sprop-parameter-sets", val, 8) == AVERROR(ENOSPC));
    TEST_CHECK(sdp_fmtp_param(v->formats[0].fmtp, "packetization", val, sizeof(val)) == 0);
    TEST_CHECK(a->port == 40002 && a->format_count == 1 && !strcmp(a->formats[0].encoding, "opus"));
    TEST_CHECK(a->formats[0].clock_rate == 48000 && a->formats[0].channels == 2);

    /* We receive it: H.264 mode 1 (profile 42C00D is constrained baseline) and Opus. */
    struct sdp_media ans;
    char err[256];
    TEST_CHECK(sdp_answer_media(v, legacy_first, LEGACY_COUNT, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.formats[0].payload_type == 96);
    TEST_CHECK(!strcmp(ans.formats[0].fmtp, "packetization-mode=1;profile-level-id=42C00D"));
    TEST_CHECK(ans.direction == SDP_SENDRECV);
    TEST_CHECK(sdp_answer_media(a, legacy_first, LEGACY_COUNT, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.format_count == 1 && ans.formats[0].payload_type == 111);
    sdp_session_free(&s);
    TEST_CHECK(s == NULL);
    return 0;
}

static int test_ffmpeg_h263_g722(void)
{
    struct sdp_session *s = parse_ok(ffmpeg_h263_g722);
    TEST_CHECK(s && s->media_count == 2);
    const struct sdp_media *v = &s->media[0], *a = &s->media[1];
    TEST_CHECK(!strcmp(v->formats[0].encoding, "H263-2000") && v->formats[0].clock_rate == 90000);
    /* Static payload type 9 without rtpmap: RFC 3551 says G722/8000. */
    TEST_CHECK(a->format_count == 1 && a->formats[0].payload_type == 9);
    TEST_CHECK(!strcmp(a->formats[0].encoding, "G722") && a->formats[0].clock_rate == 8000);
    TEST_CHECK(a->formats[0].channels == 1 && !strcmp(a->addr, "127.0.0.1"));

    struct sdp_media ans;
    char err[256];
    const char *const h263[] = { "H263-1998/90000", "H263-2000/90000" };
    TEST_CHECK(sdp_answer_media(v, h263, 2, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.formats[0].payload_type == 96 && !strcmp(ans.formats[0].encoding, "H263-2000"));
    TEST_CHECK(sdp_answer_media(a, legacy_first, LEGACY_COUNT, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.format_count == 1 && ans.formats[0].payload_type == 9);
    sdp_session_free(&s);
    return 0;
}

static int test_ffmpeg_srtp(void)
{
    struct sdp_session *s = parse_ok(ffmpeg_srtp);
    struct sdp_crypto c;
    uint8_t key[RTPSEC_MASTER_LEN];
    TEST_CHECK(s && s->media_count == 1);
    struct sdp_media *m = &s->media[0];
    TEST_CHECK(!strcmp(m->addr, "127.0.0.1") && !strcmp(m->formats[0].encoding, "PCMU"));
    TEST_CHECK(m->crypto_count == 2 && m->crypto[1].tag == 1);
    TEST_CHECK(!strcmp(m->crypto[1].suite, "AES_CM_128_HMAC_SHA1_80"));
    TEST_CHECK(sdp_pick_crypto(m, &c) == 0 && c.tag == 1);       /* _80 before _32 */
    TEST_CHECK(rtpsec_key_from_inline(c.key_params, key) == 0 && key[0] == 0x3d);
    /* Only the _32 line left; then an MKI key only; then nothing. */
    m->crypto[1] = m->crypto[0];
    TEST_CHECK(sdp_pick_crypto(m, &c) == 0 && c.tag == 2);
    snprintf(m->crypto[0].key_params, sizeof(m->crypto[0].key_params), "%s",
             "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:4");
    m->crypto_count = 1;
    TEST_CHECK(sdp_pick_crypto(m, &c) == SDP_ERROR_NO_CRYPTO);
    m->crypto_count = 0;
    TEST_CHECK(sdp_pick_crypto(m, &c) == SDP_ERROR_NO_CRYPTO);
    sdp_session_free(&s);
    return 0;
}

static int test_chrome_offer(void)
{
    struct sdp_session *s = parse_ok(chrome_offer);
    TEST_CHECK(s && s->media_count == 2);
    TEST_CHECK(s->session_id == 4611731400430051336ULL && s->session_version == 2);
    TEST_CHECK(!strcmp(s->bundle, "0 1"));
    const struct sdp_media *a = &s->media[0], *v = &s->media[1];
    TEST_CHECK(!strcmp(a->proto, "UDP/TLS/RTP/SAVPF") && a->rtcp_mux && a->rtcp_port == 9);
    TEST_CHECK(!strcmp(a->mid, "0") && !strcmp(v->mid, "1"));
    TEST_CHECK(!strcmp(a->ice_ufrag, "Bx2L") && !strcmp(a->ice_pwd, "h5nF6pC8Wn0y3Hq2ZDVd7p1R"));
    TEST_CHECK(!strcmp(a->fingerprint_alg, "sha-256") && !strcmp(a->fingerprint, FP));
    TEST_CHECK(!strcmp(a->setup, "actpass") && !a->end_of_candidates);
    TEST_CHECK(a->candidate_count == 2 && v->candidate_count == 1);
    const struct sdp_candidate *c = &a->candidates[1];
    TEST_CHECK(!strcmp(c->foundation, "842163049") && c->component == 1 && !strcmp(c->transport, "udp"));
    TEST_CHECK(c->priority == 1686052607u && !strcmp(c->addr, "203.0.113.7") && c->port == 46243);
    TEST_CHECK(!strcmp(c->type, "srflx") && !strcmp(c->raddr, "127.0.0.1") && c->rport == 46243);
    TEST_CHECK(a->extmap_count == 4 && a->extmap[0].id == 1);
    TEST_CHECK(!strcmp(a->extmap[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"));
    TEST_CHECK(v->extmap_count == 11 && v->extmap[10].id == 11);
    TEST_CHECK(!strcmp(a->msid, "b6c1a5f2-3c4d-4e5f-8a9b-0c1d2e3f4a5b 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
    TEST_CHECK(a->ssrc == 3735928559u && !strcmp(a->cname, "9ki1wMQ6eKE7hLBb"));
    TEST_CHECK(v->ssrc == 2231627014u);
    TEST_CHECK(a->format_count == 8 && v->format_count == 25);
    const struct sdp_format *opus = format(a, 111);
    TEST_CHECK(opus && !strcmp(opus->encoding, "opus") && opus->channels == 2);
    TEST_CHECK(!strcmp(opus->fmtp, "minptime=10;useinbandfec=1") && opus->fb_transport_cc);
    TEST_CHECK(!opus->fb_nack && format(a, 0)->channels == 1);
    const struct sdp_format *vp8 = format(v, 96), *h = format(v, 106), *rtx = format(v, 107);
    TEST_CHECK(vp8 && vp8->fb_nack && vp8->fb_nack_pli && vp8->fb_ccm_fir && vp8->fb_goog_remb);
    TEST_CHECK(vp8->fb_transport_cc && vp8->channels == 0);
    TEST_CHECK(h && !strcmp(h->encoding, "H264") && strstr(h->fmtp, "42e01f"));
    TEST_CHECK(rtx && !strcmp(rtx->encoding, "rtx") && !strcmp(rtx->fmtp, "apt=106") && !rtx->fb_nack);
    TEST_CHECK(!strcmp(format(v, 118)->encoding, "ulpfec"));
    sdp_session_free(&s);
    return 0;
}

/* parse -> write -> parse gives the same structure, and writing it again the same text. */
static int round_trip(const char *text)
{
    struct sdp_session *a = parse_ok(text), *b = NULL;
    char *out1 = malloc(SDP_MAX_SIZE), *out2 = malloc(SDP_MAX_SIZE), err[256];
    int ok = 0;
    if (!a || !out1 || !out2 || sdp_session_alloc(&b) < 0)
        goto done;
    int n1 = sdp_write(a, out1, SDP_MAX_SIZE);
    if (n1 <= 0 || sdp_parse(b, out1, (size_t)n1, err, sizeof(err)) < 0) {
        fprintf(stderr, "    round trip: %d %s\n%s", n1, err, out1);
        goto done;
    }
    int n2 = sdp_write(b, out2, SDP_MAX_SIZE);
    ok = n2 == n1 && !memcmp(out1, out2, (size_t)n1) && !memcmp(a, b, sizeof(*a)) &&
         (size_t)n1 == strlen(out1) && sdp_write(a, out1, (size_t)n1) == AVERROR(ENOSPC) &&
         sdp_write(a, out1, (size_t)n1 + 1) == n1;
done:
    sdp_session_free(&a);
    sdp_session_free(&b);
    free(out1);
    free(out2);
    return ok;
}

static int test_round_trip(void)
{
    TEST_CHECK(round_trip(chrome_offer));
    TEST_CHECK(round_trip(ffmpeg_h264_opus));
    TEST_CHECK(round_trip(ffmpeg_h263_g722));
    TEST_CHECK(round_trip(ffmpeg_srtp));
    TEST_CHECK(round_trip("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                          "c=IN IP6 ::1\r\na=recvonly\r\na=extmap:3/sendonly urn:x\r\n"));
    return 0;
}

static int test_write_built(void)
{
    struct sdp_session *s = NULL;
    char buf[2048];
    TEST_CHECK(sdp_session_alloc(&s) == 0);
    snprintf(s->origin_addr, sizeof(s->origin_addr), "192.0.2.1");
    snprintf(s->addr, sizeof(s->addr), "192.0.2.1");
    s->session_id = 42;
    s->media_count = 1;
    struct sdp_media *m = &s->media[0];
    snprintf(m->type, sizeof(m->type), "audio");
    snprintf(m->proto, sizeof(m->proto), "RTP/AVP");
    m->port = 30000;
    m->format_count = 1;
    m->formats[0].payload_type = 9;
    snprintf(m->formats[0].encoding, sizeof(m->formats[0].encoding), "G722");
    m->formats[0].clock_rate = 8000;
    m->direction = SDP_RECVONLY;
    int n = sdp_write(s, buf, sizeof(buf));
    TEST_CHECK(n > 0 && (size_t)n == strlen(buf));
    TEST_CHECK(!strcmp(buf, "v=0\r\no=- 42 0 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
                            "t=0 0\r\nm=audio 30000 RTP/AVP 9\r\na=recvonly\r\n"
                            "a=rtpmap:9 G722/8000\r\n"));
    TEST_CHECK(sdp_write(s, buf, 40) == AVERROR(ENOSPC) && buf[0] == '\0');
    snprintf(m->mid, sizeof(m->mid), "a b");                      /* a space in a token */
    TEST_CHECK(sdp_write(s, buf, sizeof(buf)) == AVERROR(EINVAL));
    snprintf(m->mid, sizeof(m->mid), "0");
    snprintf(m->formats[0].fmtp, sizeof(m->formats[0].fmtp), "x=1\r\na=evil");
    TEST_CHECK(sdp_write(s, buf, sizeof(buf)) == AVERROR(EINVAL));
    m->formats[0].fmtp[0] = '\0';
    memset(m->cname, 'x', sizeof(m->cname));                      /* not NUL-terminated */
    TEST_CHECK(sdp_write(s, buf, sizeof(buf)) > 0 && strstr(buf, "cname:xxxxxxxx"));
    sdp_session_free(&s);
    return 0;
}

/* Replaces the audio m= section of an offer with one made of `formats` lines. */
static int answer_audio(const char *m_line, const char *attrs, struct sdp_media *ans,
                        char *err, size_t err_size)
{
    char text[1024];
    struct sdp_session *s = NULL;
    snprintf(text, sizeof(text), "v=0\r\nc=IN IP4 192.0.2.9\r\n%s\r\n%s", m_line, attrs);
    if (sdp_session_alloc(&s) < 0 || sdp_parse(s, text, strlen(text), err, err_size) < 0) {
        sdp_session_free(&s);
        return -1000;
    }
    int ret = sdp_answer_media(&s->media[0], legacy_first, LEGACY_COUNT, ans, err, err_size);
    sdp_session_free(&s);
    return ret;
}

static int test_answer_audio(void)
{
    struct sdp_session *s = parse_ok(chrome_offer);
    struct sdp_media ans;
    char err[512];
    TEST_CHECK(s);
    TEST_CHECK(sdp_answer_media(&s->media[0], legacy_first, LEGACY_COUNT, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.format_count == 2 && ans.formats[0].payload_type == 9);
    TEST_CHECK(ans.formats[1].payload_type == 126 && !strcmp(ans.formats[1].encoding, "telephone-event"));
    TEST_CHECK(!strcmp(ans.mid, "0") && ans.rtcp_mux && !strcmp(ans.proto, "UDP/TLS/RTP/SAVPF"));
    TEST_CHECK(ans.port == 0 && ans.ice_ufrag[0] == '\0' && ans.candidate_count == 0);
    const char *const opus_first[] = { "opus/48000", "G722/8000" };
    TEST_CHECK(sdp_answer_media(&s->media[0], opus_first, 2, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.formats[0].payload_type == 111 && !strcmp(ans.formats[0].fmtp, "minptime=10;useinbandfec=1"));
    TEST_CHECK(ans.format_count == 2 && ans.formats[1].payload_type == 110);   /* at 48 kHz */
    sdp_session_free(&s);

    TEST_CHECK(answer_audio("m=audio 4000 RTP/AVP 8 0", "", &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.format_count == 1 && ans.formats[0].payload_type == 0);
    TEST_CHECK(!strcmp(ans.formats[0].encoding, "PCMU") && ans.formats[0].clock_rate == 8000);
    TEST_CHECK(answer_audio("m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000\r\n"
                            "a=fmtp:101 0-16\r\n", &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.format_count == 2 && ans.formats[0].payload_type == 8);
    TEST_CHECK(ans.formats[1].payload_type == 101 && !strcmp(ans.formats[1].fmtp, "0-16"));
    return 0;
}

static int test_answer_h264(void)
{
    struct sdp_session *s = parse_ok(chrome_offer);
    struct sdp_media ans;
    char err[512];
    const char *const h264_first[] = { "H264/90000", "VP8/90000" };
    TEST_CHECK(s);
    TEST_CHECK(sdp_answer_media(&s->media[1], h264_first, 2, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.format_count == 1 && ans.formats[0].payload_type == 106);
    TEST_CHECK(!strcmp(ans.formats[0].fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"));
    TEST_CHECK(ans.formats[0].fb_nack_pli && ans.formats[0].fb_ccm_fir);
    const char *const vp8_first[] = { "VP8/90000", "H264/90000" };
    TEST_CHECK(sdp_answer_media(&s->media[1], vp8_first, 2, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.formats[0].payload_type == 96 && ans.format_count == 1);
    sdp_session_free(&s);

    /* Mode 0 first in the offer: mode 1 still wins. Mode 0 alone: taken and recorded. */
    TEST_CHECK(answer_audio("m=video 4000 RTP/AVP 97 98",
                            "a=rtpmap:97 H264/90000\r\na=fmtp:97 profile-level-id=42e01f\r\n"
                            "a=rtpmap:98 H264/90000\r\na=fmtp:98 profile-level-id=42e01f;packetization-mode=1\r\n",
                            &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.formats[0].payload_type == 98);
    TEST_CHECK(answer_audio("m=video 4000 RTP/AVP 97", "a=rtpmap:97 H264/90000\r\n",
                            &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.formats[0].payload_type == 97 && !strcmp(ans.formats[0].fmtp, "packetization-mode=0"));
    /* High profile or interleaved mode only: H.264 is refused, VP8 taken instead. */
    TEST_CHECK(answer_audio("m=video 4000 RTP/AVP 97 98 99",
                            "a=rtpmap:97 H264/90000\r\na=fmtp:97 profile-level-id=640c1f;packetization-mode=1\r\n"
                            "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=2\r\n"
                            "a=rtpmap:99 VP8/90000\r\n", &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.formats[0].payload_type == 99);
    return 0;
}

static int test_answer_no_codec(void)
{
    struct sdp_session *s = parse_ok(chrome_offer);
    struct sdp_media ans;
    char err[512];
    const char *const amr[] = { "AMR/8000", "H261/90000" };
    TEST_CHECK(s);
    TEST_CHECK(sdp_answer_media(&s->media[0], amr, 2, &ans, err, sizeof(err)) == SDP_ERROR_NO_COMMON_CODEC);
    TEST_CHECK(!strcmp(err, "no common codec: offer has opus/48000, red/48000, G722/8000, PCMU/8000, "
                            "PCMA/8000, CN/8000, telephone-event/48000, telephone-event/8000; "
                            "we support AMR/8000, H261/90000"));
    TEST_CHECK(sdp_answer_media(&s->media[1], amr, 2, &ans, err, 60) == SDP_ERROR_NO_COMMON_CODEC);
    TEST_CHECK(strlen(err) == 59);
    TEST_CHECK(sdp_answer_media(&s->media[1], amr, 2, &ans, err, sizeof(err)) == SDP_ERROR_NO_COMMON_CODEC);
    TEST_CHECK(strstr(err, "offer has VP8/90000, rtx/90000, H264/90000, AV1/90000, VP9/90000, red/90000, ulpfec/90000;"));
    const char *const bad[] = { "G722" };
    TEST_CHECK(sdp_answer_media(&s->media[0], bad, 1, &ans, err, sizeof(err)) == AVERROR(EINVAL));
    TEST_CHECK(strstr(err, "G722"));
    sdp_session_free(&s);
    return 0;
}

static int test_direction(void)
{
    static const struct { const char *attr; enum sdp_direction offer, answer; } cases[] = {
        { "a=sendonly\r\n", SDP_SENDONLY, SDP_RECVONLY }, { "a=recvonly\r\n", SDP_RECVONLY, SDP_SENDONLY },
        { "a=inactive\r\n", SDP_INACTIVE, SDP_INACTIVE }, { "a=sendrecv\r\n", SDP_SENDRECV, SDP_SENDRECV },
        { "", SDP_SENDRECV, SDP_SENDRECV },
    };
    struct sdp_media ans;
    char err[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_CHECK(answer_audio("m=audio 4000 RTP/AVP 0", cases[i].attr, &ans, err, sizeof(err)) == 0);
        TEST_CHECK(ans.direction == cases[i].answer && !ans.rtcp_mux);
        TEST_CHECK(sdp_direction_reverse(cases[i].offer) == cases[i].answer);
    }
    /* A session-level direction applies to media without their own. */
    struct sdp_session *s = parse_ok("v=0\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\n"
                                     "m=video 2 RTP/AVP 34\r\na=inactive\r\n");
    TEST_CHECK(s && s->media[0].direction == SDP_SENDONLY && s->media[1].direction == SDP_INACTIVE);
    TEST_CHECK(!strcmp(s->media[1].formats[0].encoding, "H263"));
    sdp_session_free(&s);
    TEST_CHECK(!strcmp(sdp_direction_name(SDP_RECVONLY), "recvonly"));
    return 0;
}

/* Session-level ICE/DTLS copied down; limits on repeated lines; unknown lines ignored. */
static int test_levels_and_limits(void)
{
    char text[8192];
    int n = snprintf(text, sizeof(text), "v=0\nz=unknown\na=ice-ufrag:sess\na=fingerprint:sha-1 AB:CD\n"
                     "a=setup:passive\na=end-of-candidates\na=rtpmap:0 junk\nm=audio 1 RTP/AVP");
    for (int pt = 0; pt < 40; pt++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, " %d", 96 + pt % 32);
    for (int pt = 0; pt < 40; pt++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, " %d", pt);
    n += snprintf(text + n, sizeof(text) - (size_t)n, "\na=ice-ufrag:media\na=foo:bar\nb=AS:1\n");
    for (int i = 0; i < 20; i++)
        n += snprintf(text + n, sizeof(text) - (size_t)n,
                      "a=candidate:%d 1 udp 1 10.0.0.%d 9 typ host\na=extmap:%d urn:e%d\n"
                      "a=crypto:%d AES_CM_128_HMAC_SHA1_80 inline:x\n", i, i, i + 1, i, i);
    struct sdp_session *s = parse_ok(text);
    TEST_CHECK(s && s->media_count == 1);
    const struct sdp_media *m = &s->media[0];
    TEST_CHECK(m->format_count == SDP_MAX_FORMATS && m->formats[0].payload_type == 96);
    TEST_CHECK(m->candidate_count == SDP_MAX_CANDIDATES && m->extmap_count == SDP_MAX_EXTMAP);
    TEST_CHECK(m->crypto_count == SDP_MAX_CRYPTO);
    TEST_CHECK(!strcmp(m->ice_ufrag, "media") && !strcmp(s->ice_ufrag, "sess"));
    TEST_CHECK(!strcmp(m->fingerprint, "AB:CD") && !strcmp(m->setup, "passive") && m->end_of_candidates);
    sdp_session_free(&s);
    /* Fuzzer finding: msid from a=ssrc with an empty first word gained a leading space. */
    s = parse_ok("v=0\nm=audio 1 RTP/AVP 0\na=ssrc:5 msid: x y\na=ssrc:5 cname:c\n");
    TEST_CHECK(s && !strcmp(s->media[0].msid, "x y") && s->media[0].ssrc == 5);
    TEST_CHECK(!strcmp(s->media[0].cname, "c"));
    sdp_session_free(&s);
    return 0;
}

static int expect_error(const char *text, size_t len, const char *needle)
{
    struct sdp_session *s = NULL;
    char err[256] = "";
    int ret = sdp_session_alloc(&s) < 0 ? 0 : sdp_parse(s, text, len, err, sizeof(err));
    sdp_session_free(&s);
    if (ret != AVERROR_INVALIDDATA || !strstr(err, needle)) {
        fprintf(stderr, "    expected \"%s\", got %d \"%s\"\n", needle, ret, err);
        return 0;
    }
    return 1;
}

#define BAD(text, needle) TEST_CHECK(expect_error(text, sizeof(text) - 1, needle))

static int test_malformed(void)
{
    BAD("", "without a v=0");
    BAD("o=- 0 0 IN IP4 1.2.3.4\r\nv=0\r\n", "line 1: an SDP starts with v=0");
    BAD("v=0\r\nm=audio 70000 RTP/AVP 0\r\n", "line 2: m=: bad port \"70000\"");
    BAD("v=0\r\nm=audio x RTP/AVP 0\r\n", "line 2: m=: bad port");
    BAD("v=0\r\nm=audio 5\r\n", "line 2: m=: missing protocol");
    BAD("v=0\r\nm=audio 5 RTP/AVP 0 200\r\n", "bad payload type \"200\"");
    BAD("v=0\r\ns=x\r\nm=video 5 RTP/AVP 96\r\na=rtpmap:96 H264\r\n", "line 4: a=rtpmap: missing clock rate");
    BAD("v=0\nm=video 5 RTP/AVP 96\na=rtpmap:96 H264/abc\n", "line 3: a=rtpmap: bad clock rate");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=crypto:x AES_CM_128_HMAC_SHA1_80 inline:abc\n", "line 3: a=crypto: bad tag");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 garbage\n", "line 3: a=crypto: key parameters");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=crypto:1\n", "line 3: a=crypto: missing suite");
    BAD("v=0\nc=IN IP4 1.2.3.4;rm\n", "line 2: c=: bad address");
    BAD("v=0\nc=IN IPX 1.2.3.4\n", "line 2: c=: address type");
    BAD("v=0\no=- 1 x IN IP4 a\n", "line 2: o=: bad session version");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=candidate:1 1 udp 5 1.2.3.4 9 host\n", "a=candidate: missing candidate type");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=mid:0123456789012345678901234567890123456789\n", "line 3: a=mid: value longer than 31");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=fingerprint:sha-256 zz:yy\n", "a=fingerprint: fingerprint is not hex");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=extmap:0 urn:x\n", "line 3: a=extmap: bad id");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=ssrc:99999999999 cname:x\n", "a=ssrc: bad SSRC");
    BAD("v=0\nm=audio 5 RTP/AVP 0\nbogus\n", "line 3: not a \"x=value\" line");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=mid:a\0b\n", "line 3: contains a NUL byte");
    BAD("v=0\nm=audio 5 RTP/AVP 0\na=mid:a\rb\n", "line 3: contains a CR byte");
    BAD("v=0\n"
        "m=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\n"
        "m=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\n"
        "m=audio 1 RTP/AVP 0\n", "line 10: m=: more than 8 media");

    /* 100 KB, and a 10 KB line. */
    char *big = malloc(100 * 1024 + 1);
    TEST_CHECK(big);
    memset(big, 'a', 100 * 1024);
    memcpy(big, "v=0\ns=x\nb=", 10);
    int ok = expect_error(big, 100 * 1024, "SDP larger than 65536 bytes");
    big[10 * 1024] = '\n';
    ok = ok && expect_error(big, 10 * 1024 + 1, "line 3: longer than 4096 bytes");
    /* A line of exactly SDP_MAX_LINE bytes (plus CRLF) is fine. */
    struct sdp_session *s = NULL;
    memcpy(big, "v=0\nb=", 6);
    memcpy(big + 4 + SDP_MAX_LINE, "\r\n", 2);
    ok = ok && sdp_session_alloc(&s) == 0 && sdp_parse(s, big, 4 + SDP_MAX_LINE + 2, NULL, 0) == 0;
    sdp_session_free(&s);
    free(big);
    TEST_CHECK(ok);
    return 0;
}

/* Firefox: session-level fingerprint and direction copied down, the media's own
 * direction wins, the port-0 video section is marked bundle-only, VP8 chosen. */
static int test_firefox_offer(void)
{
    struct sdp_session *s = parse_ok(firefox_offer);
    TEST_CHECK(s && s->media_count == 2 && !strcmp(s->bundle, "0 1"));
    const struct sdp_media *a = &s->media[0], *v = &s->media[1];
    TEST_CHECK(a->port == 41057 && !a->bundle_only && a->direction == SDP_SENDONLY && a->rtcp_mux);
    TEST_CHECK(a->candidate_count == 1 && !strcmp(a->candidates[0].addr, "198.18.0.1"));
    TEST_CHECK(a->end_of_candidates && !strcmp(a->fingerprint, FP) && !strcmp(a->setup, "actpass"));
    TEST_CHECK(v->port == 0 && v->bundle_only && v->direction == SDP_SENDONLY && !strcmp(v->mid, "1"));
    TEST_CHECK(!strcmp(v->fingerprint_alg, "sha-256") && !strcmp(v->fingerprint, FP));
    TEST_CHECK(!strcmp(v->ice_ufrag, "ac9de122") && v->candidate_count == 0 && v->ssrc == 1562730766);
    TEST_CHECK(!strcmp(v->msid, "{4fbd36ba-c57a-4b63-920c-af00e26a8514} {9f8812e9-68ea-4603-8b2d-dc87e910fd1a}"));
    const char *const h264_first[] = { "H264/90000", "VP8/90000" };
    struct sdp_media ans;
    char err[256];
    TEST_CHECK(sdp_answer_media(v, h264_first, 2, &ans, err, sizeof(err)) == 0);
    TEST_CHECK(ans.format_count == 1 && ans.formats[0].payload_type == 120);
    TEST_CHECK(!strcmp(ans.formats[0].encoding, "VP8") && ans.direction == SDP_RECVONLY);
    sdp_session_free(&s);
    return 0;
}

static const struct test_case sdp_cases[] = {
    { "ffmpeg_h264_opus", test_ffmpeg_h264_opus },
    { "ffmpeg_h263_g722", test_ffmpeg_h263_g722 },
    { "ffmpeg_srtp", test_ffmpeg_srtp },
    { "chrome_offer", test_chrome_offer },
    { "firefox_offer", test_firefox_offer },
    { "round_trip", test_round_trip },
    { "write_built", test_write_built },
    { "answer_audio", test_answer_audio },
    { "answer_h264", test_answer_h264 },
    { "answer_no_codec", test_answer_no_codec },
    { "direction", test_direction },
    { "levels_and_limits", test_levels_and_limits },
    { "malformed", test_malformed },
    { NULL, NULL },
};

const struct test_suite sdp_suite = { "sdp", sdp_cases };
