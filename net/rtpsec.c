/* rtpsec: SRTP/SRTCP sessions over libsrtp2, SDES key parameters and their base64. */
#include "net/rtpsec.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#define RTP_MIN_LEN 12
#define RTCP_MIN_LEN 8
#define REPLAY_WINDOW 1024
#define MKI_MAX_LEN 128

struct rtpsec {
    srtp_t session;
    enum rtpsec_suite suite;
    enum rtpsec_direction dir;
};

static const char *const suite_names[] = {
    [RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
    [RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void global_init_once(void)
{
    init_result = srtp_init() == srtp_err_status_ok ? 0 : AVERROR_EXTERNAL;
}

int rtpsec_global_init(void)
{
    pthread_once(&init_once, global_init_once);
    return init_result;
}

int rtpsec_suite_from_name(const char *name, enum rtpsec_suite *out)
{
    for (size_t i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++) {
        if (name && !strcmp(name, suite_names[i])) {
            *out = (enum rtpsec_suite)i;
            return 0;
        }
    }
    return AVERROR(ENOTSUP);
}

const char *rtpsec_suite_name(enum rtpsec_suite suite)
{
    if ((unsigned)suite >= sizeof(suite_names) / sizeof(suite_names[0]))
        return "unknown";
    return suite_names[suite];
}

/* ---- base64 (RFC 4648, standard alphabet, padded) ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict decoder: len a multiple of 4, '=' only as the last one or two characters.
 * Returns the decoded length, or a negative code (malformed, or over cap). */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (len == 0 || len % 4)
        return AVERROR_INVALIDDATA;
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            if (in[i + j] == '=' && last && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            v[j] = b64_value(in[i + j]);
            if (v[j] < 0 || pad)
                return AVERROR_INVALIDDATA;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t bytes = 3 - (size_t)pad;
        if (n + bytes > cap)
            return AVERROR_INVALIDDATA;
        for (size_t j = 0; j < bytes; j++)
            out[n++] = (uint8_t)(w >> (16 - 8 * j));
    }
    return (int)n;
}

static void b64_encode(const uint8_t *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i += 3) {
        size_t rest = len - i;
        uint32_t w = (uint32_t)in[i] << 16;
        if (rest > 1)
            w |= (uint32_t)in[i + 1] << 8;
        if (rest > 2)
            w |= in[i + 2];
        *out++ = b64_alphabet[w >> 18 & 63];
        *out++ = b64_alphabet[w >> 12 & 63];
        *out++ = rest > 1 ? b64_alphabet[w >> 6 & 63] : '=';
        *out++ = rest > 2 ? b64_alphabet[w & 63] : '=';
    }
    *out = '\0';
}

/* ---- SDES key parameters (RFC 4568 section 9.2) ---- */

static int all_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* One "|"-separated field after the key: a lifetime ("2^20", "1048576") or an MKI
 * ("1:4"). Returns 0 for a lifetime, RTPSEC_ERROR_MKI for a well-formed MKI, or
 * AVERROR_INVALIDDATA. */
static int check_key_field(const char *s, size_t len, int *seen_mki)
{
    const char *colon = memchr(s, ':', len);
    if (colon) {
        size_t vlen = (size_t)(colon - s), llen = len - vlen - 1;
        if (!all_digits(s, vlen) || vlen > 10 || !all_digits(colon + 1, llen) || llen > 3)
            return AVERROR_INVALIDDATA;
        int mki_len = atoi(colon + 1);
        if (mki_len < 1 || mki_len > MKI_MAX_LEN)
            return AVERROR_INVALIDDATA;
        *seen_mki = 1;
        return 0;
    }
    if (*seen_mki)
        return AVERROR_INVALIDDATA;          /* the lifetime comes before the MKI */
    if (len > 2 && s[0] == '2' && s[1] == '^')
        return all_digits(s + 2, len - 2) && len - 2 <= 2 ? 0 : AVERROR_INVALIDDATA;
    return all_digits(s, len) && len <= 20 ? 0 : AVERROR_INVALIDDATA;
}

int rtpsec_key_from_inline(const char *inline_param, uint8_t key[RTPSEC_MASTER_LEN])
{
    static const char prefix[] = "inline:";
    uint8_t tmp[RTPSEC_MASTER_LEN + 3];
    int seen_mki = 0, fields = 0;

    if (!inline_param || strncmp(inline_param, prefix, sizeof(prefix) - 1))
        return AVERROR_INVALIDDATA;
    const char *k = inline_param + sizeof(prefix) - 1;
    size_t klen = strcspn(k, "|");
    int n = b64_decode(k, klen, tmp, sizeof(tmp));
    if (n != RTPSEC_MASTER_LEN)
        return AVERROR_INVALIDDATA;

    const char *p = k + klen;
    while (*p == '|') {
        const char *f = p + 1;
        size_t flen = strcspn(f, "|");
        if (++fields > 2 || check_key_field(f, flen, &seen_mki) < 0)
            return AVERROR_INVALIDDATA;
        p = f + flen;
    }
    if (seen_mki)
        return RTPSEC_ERROR_MKI;
    memcpy(key, tmp, RTPSEC_MASTER_LEN);
    return 0;
}

int rtpsec_key_to_inline(const uint8_t key[RTPSEC_MASTER_LEN], char *buf, size_t size)
{
    if (size < RTPSEC_INLINE_SIZE)
        return AVERROR(ENOSPC);
    memcpy(buf, "inline:", 7);
    b64_encode(key, RTPSEC_MASTER_LEN, buf + 7);
    return 0;
}

int rtpsec_key_random(uint8_t key[RTPSEC_MASTER_LEN])
{
    return RAND_bytes(key, RTPSEC_MASTER_LEN) == 1 ? 0 : AVERROR_EXTERNAL;
}

/* ---- sessions ---- */

/* Authentication and replay failures are bad input: AVERROR_INVALIDDATA. */
static int map_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_bad_mki:
    case srtp_err_status_parse_err:
    case srtp_err_status_cipher_fail:
    case srtp_err_status_pkt_idx_old:
    case srtp_err_status_pkt_idx_adv:
        return AVERROR_INVALIDDATA;
    case srtp_err_status_alloc_fail:
        return AVERROR(ENOMEM);
    case srtp_err_status_bad_param:
        return AVERROR(EINVAL);
    case srtp_err_status_key_expired:
        return AVERROR(EKEYEXPIRED);
    default:
        return AVERROR_EXTERNAL;
    }
}

int rtpsec_alloc(struct rtpsec **out, enum rtpsec_suite suite,
                      const uint8_t key[RTPSEC_MASTER_LEN], enum rtpsec_direction dir)
{
    struct rtpsec *s = NULL;
    srtp_policy_t policy;
    uint8_t key_copy[RTPSEC_MASTER_LEN];
    int ret = rtpsec_global_init();
    if (ret < 0)
        goto fail;
    if (suite != RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80 && suite != RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32) {
        ret = AVERROR(ENOTSUP);
        goto fail;
    }
    if (dir != RTPSEC_INBOUND && dir != RTPSEC_OUTBOUND) {
        ret = AVERROR(EINVAL);
        goto fail;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    memset(&policy, 0, sizeof(policy));
    /* RFC 4568: SRTCP keeps the 80-bit tag even for the _32 suite. */
    if (suite == RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
    else
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
    srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    policy.ssrc.type = dir == RTPSEC_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
    memcpy(key_copy, key, RTPSEC_MASTER_LEN);
    policy.key = key_copy;
    policy.window_size = REPLAY_WINDOW;
    policy.allow_repeat_tx = dir == RTPSEC_OUTBOUND;
    policy.next = NULL;
    ret = map_status(srtp_create(&s->session, &policy));
    memset(key_copy, 0, sizeof(key_copy));
    if (ret < 0) {
        s->session = NULL;
        goto fail;
    }
    s->suite = suite;
    s->dir = dir;
    *out = s;
    return 0;
fail:
    free(s);
    return ret;
}

void rtpsec_free(struct rtpsec **p)
{
    if (!p || !*p)
        return;
    if ((*p)->session)
        srtp_dealloc((*p)->session);
    free(*p);
    *p = NULL;
}

/* Common checks of protect: direction, minimum length, room for the trailer. */
static int check_protect(struct rtpsec *s, size_t len, size_t cap, size_t min_len, int rtcp)
{
    uint32_t trailer = 0;
    srtp_err_status_t st;
    if (s->dir != RTPSEC_OUTBOUND)
        return AVERROR(EINVAL);
    if (len < min_len)
        return AVERROR_INVALIDDATA;
    st = rtcp ? srtp_get_protect_rtcp_trailer_length(s->session, 0, 0, &trailer)
              : srtp_get_protect_trailer_length(s->session, 0, 0, &trailer);
    if (st != srtp_err_status_ok)
        return map_status(st);
    if (cap < len || cap - len < trailer || len > (size_t)INT_MAX - trailer)
        return AVERROR(ENOSPC);
    return 0;
}

static int check_unprotect(struct rtpsec *s, size_t len, size_t min_len)
{
    if (s->dir != RTPSEC_INBOUND)
        return AVERROR(EINVAL);
    if (len < min_len || len > INT_MAX)
        return AVERROR_INVALIDDATA;
    return 0;
}

int rtpsec_protect_rtp(struct rtpsec *s, uint8_t *buf, size_t *len, size_t cap)
{
    int ret = check_protect(s, *len, cap, RTP_MIN_LEN, 0);
    if (ret < 0)
        return ret;
    int n = (int)*len;
    ret = map_status(srtp_protect(s->session, buf, &n));
    if (ret < 0)
        return ret;
    *len = (size_t)n;
    return 0;
}

int rtpsec_unprotect_rtp(struct rtpsec *s, uint8_t *buf, size_t *len)
{
    int ret = check_unprotect(s, *len, RTP_MIN_LEN);
    if (ret < 0)
        return ret;
    int n = (int)*len;
    ret = map_status(srtp_unprotect(s->session, buf, &n));
    if (ret < 0)
        return ret;
    *len = (size_t)n;
    return 0;
}

int rtpsec_protect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len, size_t cap)
{
    int ret = check_protect(s, *len, cap, RTCP_MIN_LEN, 1);
    if (ret < 0)
        return ret;
    int n = (int)*len;
    ret = map_status(srtp_protect_rtcp(s->session, buf, &n));
    if (ret < 0)
        return ret;
    *len = (size_t)n;
    return 0;
}

int rtpsec_unprotect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len)
{
    int ret = check_unprotect(s, *len, RTCP_MIN_LEN);
    if (ret < 0)
        return ret;
    int n = (int)*len;
    ret = map_status(srtp_unprotect_rtcp(s->session, buf, &n));
    if (ret < 0)
        return ret;
    *len = (size_t)n;
    return 0;
}
