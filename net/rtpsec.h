/* rtpsec: SRTP/SRTCP (RFC 3711) over libsrtp2 with SDES keys (RFC 4568): one session per
 * direction of one stream. A packet that fails authentication or replay checks is
 * reported so the caller drops and counts it; it is never decoded. */
#ifndef TESSERA_RTPSEC_H
#define TESSERA_RTPSEC_H

#include <stddef.h>
#include <stdint.h>
#include <libavutil/error.h>

#define RTPSEC_MASTER_LEN 30           /* 16-byte key + 14-byte salt */
#define RTPSEC_MAX_TRAILER 148         /* bytes protect may add (libsrtp2's bound) */

/* Error codes. A packet failing authentication or the replay check, and a malformed
 * key, give AVERROR_INVALIDDATA; an a=crypto key with a Master Key Identifier gives
 * RTPSEC_ERROR_MKI (MKI is not supported: every packet would carry MKI bytes);
 * an unknown suite AVERROR(ENOTSUP); out of memory AVERROR(ENOMEM); a buffer too
 * small for the trailer AVERROR(ENOSPC); any other libsrtp2 failure AVERROR_EXTERNAL. */
#define RTPSEC_ERROR_MKI FFERRTAG('M', 'K', 'I', '!')

enum rtpsec_suite {
    RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80 = 0,
    RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32,
};

enum rtpsec_direction { RTPSEC_INBOUND, RTPSEC_OUTBOUND };

struct rtpsec;

/* Initialises libsrtp2 once per process (thread-safe). */
int rtpsec_global_init(void);

/* Parses an SDP suite name ("AES_CM_128_HMAC_SHA1_80"); negative when unsupported. */
int rtpsec_suite_from_name(const char *name, enum rtpsec_suite *out);
const char *rtpsec_suite_name(enum rtpsec_suite suite);

/* Decodes the base64 key of an a=crypto "inline:KEY[|lifetime][|MKI]" parameter
 * into 30 bytes. Returns 0 or a negative code for a malformed or wrong-size key.
 * The lifetime is checked for syntax and ignored; an MKI ("1:4") gives
 * RTPSEC_ERROR_MKI. key is written only on success. */
int rtpsec_key_from_inline(const char *inline_param, uint8_t key[RTPSEC_MASTER_LEN]);

/* Writes "inline:" + base64 of key into buf (47 characters and the NUL). Returns 0, or
 * AVERROR(ENOSPC) when buf is too small. */
#define RTPSEC_INLINE_SIZE 48
int rtpsec_key_to_inline(const uint8_t key[RTPSEC_MASTER_LEN], char *buf, size_t size);

/* Fills key with random bytes (OpenSSL RAND_bytes). */
int rtpsec_key_random(uint8_t key[RTPSEC_MASTER_LEN]);

/* One session for any SSRC in one direction. *out written on success only. */
int rtpsec_alloc(struct rtpsec **out, enum rtpsec_suite suite,
                      const uint8_t key[RTPSEC_MASTER_LEN], enum rtpsec_direction dir);
void rtpsec_free(struct rtpsec **p);

/* In place. protect: buf has room for *len + RTPSEC_MAX_TRAILER bytes; *len grows.
 * unprotect: *len shrinks. Returns 0, or a negative code (authentication failure,
 * replay, malformed) — the caller drops and counts the packet. */
int rtpsec_protect_rtp(struct rtpsec *s, uint8_t *buf, size_t *len, size_t cap);
int rtpsec_unprotect_rtp(struct rtpsec *s, uint8_t *buf, size_t *len);
int rtpsec_protect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len, size_t cap);
int rtpsec_unprotect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len);

#endif
