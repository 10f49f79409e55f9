/* sdp: Session Description Protocol (RFC 8866) parse and build, and the offer/answer
 * helpers (RFC 3264) that pick a codec and an SDES crypto line for one m= section.
 * Covers what SIP phones, ffmpeg and WebRTC browsers put in their SDP: rtpmap/fmtp,
 * rtcp-fb, rtcp-mux, mid/msid/ssrc, crypto (RFC 4568), extmap (RFC 8285), ICE
 * (RFC 8839) and DTLS fingerprint/setup (RFC 8122), BUNDLE (RFC 9143). */
#ifndef TESSERA_SDP_H
#define TESSERA_SDP_H

#include <stddef.h>
#include <stdint.h>
#include <libavutil/error.h>

#define SDP_MAX_SIZE (64 * 1024)     /* a larger description is refused */
#define SDP_MAX_LINE 4096            /* a longer line is refused */
#define SDP_MAX_FORMATS 32           /* per m=; further payload types are ignored */
#define SDP_MAX_MEDIA 8              /* more m= sections: refused (an answer needs them all) */
#define SDP_MAX_CRYPTO 4             /* further a=crypto lines are ignored */
#define SDP_MAX_EXTMAP 16            /* further a=extmap lines are ignored */
#define SDP_MAX_CANDIDATES 16        /* further a=candidate lines are ignored */

/* sdp_answer_media: nothing in the offer matches the preference list. */
#define SDP_ERROR_NO_COMMON_CODEC FFERRTAG('S', 'D', 'P', 'C')
/* sdp_pick_crypto: no a=crypto line with a supported suite and a usable key. */
#define SDP_ERROR_NO_CRYPTO FFERRTAG('S', 'D', 'P', 'K')

/* RFC 6464 client-to-mixer audio level header extension. */
#define SDP_EXTMAP_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

enum sdp_direction { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

/* One payload type of an m= line. */
struct sdp_format {
    int payload_type;                /* 0..127 */
    char encoding[32];               /* "H264", "opus"; empty: dynamic type without rtpmap */
    int clock_rate;                  /* Hz */
    int channels;                    /* as stated; 1 for audio when not stated, else 0 */
    char fmtp[512];                  /* a=fmtp parameters, verbatim */
    int fb_nack, fb_nack_pli, fb_ccm_fir, fb_goog_remb, fb_transport_cc;   /* a=rtcp-fb */
};

struct sdp_crypto {
    int tag;
    char suite[64];                  /* "AES_CM_128_HMAC_SHA1_80" */
    char key_params[256];            /* "inline:KEY[|lifetime][|MKI]" */
};

struct sdp_extmap {
    int id;                          /* 1..255 */
    enum sdp_direction direction;    /* SDP_SENDRECV when not stated */
    char uri[256];
};

struct sdp_candidate {
    char foundation[33];
    int component;                   /* 1 RTP, 2 RTCP */
    char transport[8];               /* "udp", "tcp" */
    uint32_t priority;
    char addr[64];
    int port;
    char type[16];                   /* "host", "srflx", "prflx", "relay" */
    char raddr[64];                  /* related address, or empty */
    int rport;
};

struct sdp_media {
    char type[16];                   /* "audio", "video", "application" */
    int port;                        /* 0: the section is rejected/disabled */
    char proto[32];                  /* "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF" */
    char other_formats[128];         /* formats of a non-RTP m= line, verbatim */
    char addr[64];                   /* c= of the media, else the session's */
    int rtcp_port;                   /* a=rtcp, 0 when absent */
    int rtcp_mux;
    enum sdp_direction direction;
    char mid[32];
    char msid[128];                  /* "stream track" */
    uint32_t ssrc;                   /* first a=ssrc, 0 when none */
    char cname[64];                  /* its cname; sdp_write writes a=ssrc only with one */
    struct sdp_format formats[SDP_MAX_FORMATS];
    int format_count;
    struct sdp_crypto crypto[SDP_MAX_CRYPTO];
    int crypto_count;
    struct sdp_extmap extmap[SDP_MAX_EXTMAP];
    int extmap_count;
    struct sdp_candidate candidates[SDP_MAX_CANDIDATES];
    int candidate_count;
    char ice_ufrag[64], ice_pwd[128];
    char fingerprint_alg[16];        /* "sha-256" */
    char fingerprint[192];           /* "AB:CD:..." */
    char setup[16];                  /* "actpass", "active", "passive", "holdconn" */
    int end_of_candidates;
    int bundle_only;                 /* a=bundle-only (RFC 9143): port 0, yet in use when bundled */
};

/* About 220 KiB (a struct sdp_media is 28 KiB): allocate it with sdp_session_alloc(),
 * not on the stack. */
struct sdp_session {
    char origin_user[64];            /* o= */
    uint64_t session_id, session_version;
    char origin_addr[64];
    char name[128];                  /* s= (truncated when longer) */
    char addr[64];                   /* session-level c=, or empty */
    char bundle[128];                /* a=group:BUNDLE mids, space-separated */
    /* Session-level values as given; sdp_parse also copies each one down to every
     * media section that lacks its own, and sdp_write writes them per media only. */
    char ice_ufrag[64], ice_pwd[128];
    char fingerprint_alg[16], fingerprint[192];
    char setup[16];
    struct sdp_media media[SDP_MAX_MEDIA];
    int media_count;
};

/* Allocates a zeroed session; *out written on success only. Returns 0 or AVERROR(ENOMEM). */
int sdp_session_alloc(struct sdp_session **out);
/* Frees *p and sets it to NULL; NULL-safe. */
void sdp_session_free(struct sdp_session **p);

/* Parses text (len bytes, CRLF or LF line ends, borrowed) into *out (overwritten, also
 * on failure). Unknown lines and attributes are ignored; a malformed known line, a
 * value too long for its field, more than SDP_MAX_MEDIA sections, input over
 * SDP_MAX_SIZE or a line over SDP_MAX_LINE give AVERROR_INVALIDDATA and a message
 * naming the line ("line 7: a=rtpmap: missing clock rate") in err (may be NULL). */
int sdp_parse(struct sdp_session *out, const char *text, size_t len, char *err, size_t err_size);

/* Writes s as SDP with CRLF line ends and a terminating NUL. Returns the length (without
 * the NUL), AVERROR(ENOSPC) when it does not fit in size, or AVERROR(EINVAL) when a field
 * would break the syntax (a line break anywhere, a space or tab in a token, an empty
 * token, a port or payload type out of range). Fields need not be NUL-terminated. */
int sdp_write(const struct sdp_session *s, char *buf, size_t size);

/* The direction an answerer states for an offered one (sendonly <-> recvonly). */
enum sdp_direction sdp_direction_reverse(enum sdp_direction d);
/* "sendrecv", "sendonly", "recvonly", "inactive". */
const char *sdp_direction_name(enum sdp_direction d);

/* Finds one parameter of an fmtp string ("a=1; b=2", case-insensitive names). Returns 1
 * and copies its value to value (size bytes) when present, 0 when absent, or
 * AVERROR(ENOSPC) when the value does not fit. */
int sdp_fmtp_param(const char *fmtp, const char *name, char *value, size_t size);

/* Negotiates one m= section: preference holds "ENCODING/CLOCK" strings, best first
 * ("G722/8000", "opus/48000", "H264/90000"). Picks the first preference the offer has,
 * keeping the offer's payload type, fmtp and rtcp-fb. H264: packetization-mode=1
 * with a constrained-baseline-compatible profile-level-id is preferred, mode 0
 * accepted when it is all there is, other profiles and mode 2 refused; the answer's
 * fmtp records the chosen mode. Audio also keeps telephone-event at the chosen
 * codec's clock rate when offered. The answer mirrors the direction, copies type,
 * proto, mid and rtcp_mux; transport fields (port, addr, ICE, DTLS, candidates,
 * ssrc, crypto, extmap) are left empty for the caller. *answer is overwritten.
 * Returns 0, SDP_ERROR_NO_COMMON_CODEC with "no common codec: offer has X, Y; we
 * support A, B" in err, or AVERROR(EINVAL) for a malformed preference entry. */
int sdp_answer_media(const struct sdp_media *offer, const char *const *preference,
                     int preference_count, struct sdp_media *answer, char *err, size_t err_size);

/* Picks the offer's a=crypto line to answer: AES_CM_128_HMAC_SHA1_80 before _32, lines
 * whose key does not parse (or uses an MKI) skipped. Copies it to *chosen (whose
 * key_params the caller then replaces with its own key, keeping tag and suite).
 * Returns 0 or SDP_ERROR_NO_CRYPTO. */
int sdp_pick_crypto(const struct sdp_media *offer, struct sdp_crypto *chosen);

#endif
