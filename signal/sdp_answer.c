/* sdp_answer: offer/answer for one m= section (RFC 3264): codec choice by a preference
 * list, H.264 packetization mode and profile checks (RFC 6184), SDES crypto choice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/rtpsec.h"
#include "signal/sdp.h"

int sdp_fmtp_param(const char *fmtp, const char *name, char *value, size_t size)
{
    size_t name_len = strlen(name);
    const char *p = fmtp;
    while (*p) {
        p += strspn(p, " \t;");
        size_t n = strcspn(p, ";");
        const char *eq = memchr(p, '=', n);
        size_t key_len = eq ? (size_t)(eq - p) : n;
        while (key_len && (p[key_len - 1] == ' ' || p[key_len - 1] == '\t'))
            key_len--;
        if (key_len == name_len && !strncasecmp(p, name, name_len)) {
            const char *v = eq ? eq + 1 : p + n;
            v += strspn(v, " \t");
            size_t vlen = (size_t)(p + n - v);
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= size)
                return AVERROR(ENOSPC);
            memcpy(value, v, vlen);
            value[vlen] = '\0';
            return 1;
        }
        p += n;
    }
    return 0;
}

/* ---- H.264 (RFC 6184) ---- */

/* What profile-level-id (default 420010) says of our constrained-baseline stream:
 * 2 constrained baseline (42 with constraint_set1, 4D with set0, 58 with set0+1),
 * 1 plain baseline (decodes it too), 0 another profile or garbage. */
static int h264_profile_class(const char *fmtp)
{
    char plid[16];
    int ret = sdp_fmtp_param(fmtp, "profile-level-id", plid, sizeof(plid));
    if (ret == 0)
        return 1;
    if (ret < 0 || strlen(plid) != 6 || strspn(plid, "0123456789abcdefABCDEF") != 6)
        return 0;
    long v = strtol(plid, NULL, 16);
    int profile = (int)(v >> 16), iop = (int)(v >> 8) & 0xff;
    if (profile == 0x42)
        return (iop & 0x40) ? 2 : 1;
    if (profile == 0x4d)
        return (iop & 0x80) ? 2 : 0;
    if (profile == 0x58)
        return (iop & 0xc0) == 0xc0 ? 2 : 0;
    return 0;
}

/* packetization-mode: 0 when absent; -1 when unusable (interleaved or garbage). */
static int h264_mode(const char *fmtp)
{
    char mode[8];
    int ret = sdp_fmtp_param(fmtp, "packetization-mode", mode, sizeof(mode));
    if (ret == 0)
        return 0;
    if (ret < 0 || (strcmp(mode, "0") && strcmp(mode, "1")))
        return -1;
    return mode[0] - '0';
}

/* Mode 1 before mode 0, then constrained baseline before baseline; 0: unusable. */
static int h264_rank(const struct sdp_format *f)
{
    int mode = h264_mode(f->fmtp), profile = h264_profile_class(f->fmtp);
    if (mode < 0 || profile == 0)
        return 0;
    return mode * 2 + profile;
}

static void h264_answer_fmtp(const struct sdp_format *offered, struct sdp_format *f)
{
    char plid[16], asym[8];
    int mode = h264_mode(offered->fmtp);
    int has_plid = sdp_fmtp_param(offered->fmtp, "profile-level-id", plid, sizeof(plid)) == 1;
    int has_asym = sdp_fmtp_param(offered->fmtp, "level-asymmetry-allowed", asym, sizeof(asym)) == 1 &&
                   !strcmp(asym, "1");
    snprintf(f->fmtp, sizeof(f->fmtp), "%spacketization-mode=%d%s%s",
             has_asym ? "level-asymmetry-allowed=1;" : "", mode,
             has_plid ? ";profile-level-id=" : "", has_plid ? plid : "");
}

/* ---- codec choice ---- */

/* Splits "ENCODING/CLOCK[/channels]". Returns 0 or -1. */
static int parse_preference(const char *pref, char *enc, size_t size, int *clock)
{
    const char *slash = pref ? strchr(pref, '/') : NULL;
    if (!slash || slash == pref || (size_t)(slash - pref) >= size)
        return -1;
    char *end;
    long c = strtol(slash + 1, &end, 10);
    if (c <= 0 || c > 10000000 || (*end && *end != '/'))
        return -1;
    memcpy(enc, pref, (size_t)(slash - pref));
    enc[slash - pref] = '\0';
    *clock = (int)c;
    return 0;
}

/* The offer's best format for one preference, or NULL. */
static const struct sdp_format *match(const struct sdp_media *offer, const char *enc, int clock)
{
    const struct sdp_format *best = NULL;
    int best_rank = 0, h264 = !strcasecmp(enc, "H264");
    for (int i = 0; i < offer->format_count && i < SDP_MAX_FORMATS; i++) {
        const struct sdp_format *f = &offer->formats[i];
        if (strcasecmp(f->encoding, enc) || f->clock_rate != clock)
            continue;
        int rank = h264 ? h264_rank(f) : 1;
        if (rank > best_rank) {
            best = f;
            best_rank = rank;
        }
    }
    return best;
}

/* Appends "a, b, c" to buf (size), skipping repeats; a trailing "..." when cut. */
static void list_append(char *buf, size_t size, const char *item)
{
    size_t len = strnlen(buf, size), n = strlen(item);
    for (const char *p = buf; (p = strstr(p, item)); p += n)
        if ((p == buf || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return;
    if (len + n + 6 >= size) {
        if (len + 4 < size && (len < 3 || strcmp(buf + len - 3, "...")))
            strcat(buf, len ? " ..." : "...");
        return;
    }
    if (len)
        strcat(buf, ", ");
    strcat(buf, item);
}

static int no_codec_error(const struct sdp_media *offer, const char *const *preference,
                          int preference_count, char *err, size_t err_size)
{
    char have[512] = "", want[512] = "", item[64];
    for (int i = 0; i < offer->format_count && i < SDP_MAX_FORMATS; i++) {
        const struct sdp_format *f = &offer->formats[i];
        if (f->encoding[0])
            snprintf(item, sizeof(item), "%.31s/%d", f->encoding, f->clock_rate);
        else
            snprintf(item, sizeof(item), "PT %d", f->payload_type);
        list_append(have, sizeof(have), item);
    }
    for (int i = 0; i < preference_count; i++)
        list_append(want, sizeof(want), preference[i]);
    if (err && err_size)
        snprintf(err, err_size, "no common codec: offer has %s; we support %s",
                 have[0] ? have : "no RTP format", want[0] ? want : "nothing");
    return SDP_ERROR_NO_COMMON_CODEC;
}

int sdp_answer_media(const struct sdp_media *offer, const char *const *preference,
                     int preference_count, struct sdp_media *answer, char *err, size_t err_size)
{
    const struct sdp_format *chosen = NULL;
    char enc[32];
    int clock = 0;

    memset(answer, 0, sizeof(*answer));
    if (err && err_size)
        err[0] = '\0';
    for (int i = 0; i < preference_count && !chosen; i++) {
        if (parse_preference(preference[i], enc, sizeof(enc), &clock) < 0) {
            if (err && err_size)
                snprintf(err, err_size, "bad codec preference \"%s\" (want ENCODING/CLOCK)",
                         preference[i] ? preference[i] : "(null)");
            return AVERROR(EINVAL);
        }
        chosen = match(offer, enc, clock);
    }
    if (!chosen)
        return no_codec_error(offer, preference, preference_count, err, err_size);

    memcpy(answer->type, offer->type, sizeof(answer->type));
    memcpy(answer->proto, offer->proto, sizeof(answer->proto));
    memcpy(answer->mid, offer->mid, sizeof(answer->mid));
    answer->rtcp_mux = offer->rtcp_mux;
    answer->direction = sdp_direction_reverse(offer->direction);
    answer->formats[0] = *chosen;
    if (!strcasecmp(chosen->encoding, "H264"))
        h264_answer_fmtp(chosen, &answer->formats[0]);
    answer->format_count = 1;
    if (strcmp(offer->type, "audio"))
        return 0;
    const struct sdp_format *dtmf = match(offer, "telephone-event", chosen->clock_rate);
    if (dtmf && dtmf != chosen)
        answer->formats[answer->format_count++] = *dtmf;
    return 0;
}

/* ---- SDES ---- */

int sdp_pick_crypto(const struct sdp_media *offer, struct sdp_crypto *chosen)
{
    static const enum rtpsec_suite order[] = {
        RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_32,
    };
    uint8_t key[RTPSEC_MASTER_LEN];
    for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
        for (int i = 0; i < offer->crypto_count && i < SDP_MAX_CRYPTO; i++) {
            const struct sdp_crypto *c = &offer->crypto[i];
            enum rtpsec_suite suite;
            if (strnlen(c->suite, sizeof(c->suite)) == sizeof(c->suite) ||
                strnlen(c->key_params, sizeof(c->key_params)) == sizeof(c->key_params))
                continue;
            if (rtpsec_suite_from_name(c->suite, &suite) < 0 || suite != order[o])
                continue;
            if (rtpsec_key_from_inline(c->key_params, key) < 0)
                continue;
            *chosen = *c;
            memset(key, 0, sizeof(key));
            return 0;
        }
    }
    return SDP_ERROR_NO_CRYPTO;
}
