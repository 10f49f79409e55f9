/* sdpfrag: trickle ICE SDP fragments (RFC 8840) read with the SDP parser (a
 * fragment is an SDP body without its session lines) and written for ICE
 * restart answers. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>
#include "signal/sdpfrag.h"

static int sdpfrag_fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int sdpfrag_fail(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;

    if (err && err_size) {
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return AVERROR_INVALIDDATA;
}

/* sdp_parse numbers the "v=0" line put in front: give the fragment's own line. */
static void sdpfrag_renumber(char *err, size_t err_size)
{
    char rest[512];
    int line, used = 0;

    if (!err || sscanf(err, "line %d:%n", &line, &used) != 1 || !used)
        return;
    snprintf(rest, sizeof(rest), "%s", err + used);
    snprintf(err, err_size, "sdpfrag line %d:%s", line - 1, rest);
}

/* 1 when a line of text is exactly "a=end-of-candidates" (session level included,
 * which sdp_parse only copies down to m= sections). */
static int sdpfrag_has_end(const char *text, size_t len)
{
    static const char eoc[] = "a=end-of-candidates";
    const size_t n = sizeof(eoc) - 1;

    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        size_t trimmed = l && text[pos + l - 1] == '\r' ? l - 1 : l;
        if (trimmed == n && !memcmp(text + pos, eoc, n))
            return 1;
        pos += l + 1;
    }
    return 0;
}

/* "type port proto formats" of a parsed m= line. */
static void sdpfrag_media_line(const struct sdp_media *m, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%s %d %s", m->type, m->port, m->proto);

    for (int i = 0; i < m->format_count && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, " %d", m->formats[i].payload_type);
    if (!m->format_count && m->other_formats[0] && n < size)
        snprintf(out + n, size - n, " %s", m->other_formats);
}

/* One ICE credential (pwd: a=ice-pwd, else a=ice-ufrag): the session's, else the
 * sections' (which must agree). */
static int sdpfrag_credential(const struct sdp_session *s, int pwd, char *out, size_t size, char *err,
                              size_t err_size)
{
    const char *first = pwd ? s->ice_pwd : s->ice_ufrag;

    for (int i = 0; i < s->media_count; i++) {
        const char *v = pwd ? s->media[i].ice_pwd : s->media[i].ice_ufrag;
        if (!first[0])
            first = v;
        else if (v[0] && strcmp(v, first))
            return sdpfrag_fail(err, err_size, "the sdpfrag has two different a=%s (%s, %s)",
                                pwd ? "ice-pwd" : "ice-ufrag", first, v);
    }
    snprintf(out, size, "%s", first);
    return 0;
}

int sdpfrag_parse(struct sdpfrag *out, const char *text, size_t len, char *err, size_t err_size)
{
    static const char head[] = "v=0\r\n";
    struct sdp_session *s = NULL;
    char *buf = NULL;
    int ret;

    memset(out, 0, sizeof(*out));
    if (err && err_size)
        err[0] = '\0';
    if (len > SDPFRAG_MAX_SIZE)
        return sdpfrag_fail(err, err_size, "sdpfrag larger than %d bytes", SDPFRAG_MAX_SIZE);
    if ((ret = sdp_session_alloc(&s)) < 0 || !(buf = malloc(sizeof(head) + len))) {
        ret = AVERROR(ENOMEM);
        goto done;
    }
    memcpy(buf, head, sizeof(head) - 1);
    memcpy(buf + sizeof(head) - 1, text, len);
    ret = sdp_parse(s, buf, sizeof(head) - 1 + len, err, err_size);
    if (ret < 0) {
        sdpfrag_renumber(err, err_size);
        goto done;
    }
    if ((ret = sdpfrag_credential(s, 0, out->ice_ufrag, sizeof(out->ice_ufrag), err, err_size)) < 0 ||
        (ret = sdpfrag_credential(s, 1, out->ice_pwd, sizeof(out->ice_pwd), err, err_size)) < 0)
        goto done;
    for (int i = 0; i < s->media_count; i++)
        for (int c = 0; c < s->media[i].candidate_count && out->candidate_count < SDP_MAX_CANDIDATES; c++)
            out->candidates[out->candidate_count++] = s->media[i].candidates[c];
    if (s->media_count) {
        sdpfrag_media_line(&s->media[0], out->media, sizeof(out->media));
        snprintf(out->mid, sizeof(out->mid), "%s", s->media[0].mid);
    }
    out->end_of_candidates = sdpfrag_has_end(text, len);
    if (out->ice_pwd[0] && !out->ice_ufrag[0])
        ret = sdpfrag_fail(err, err_size, "the sdpfrag has an a=ice-pwd without a=ice-ufrag");
    else if (!out->ice_ufrag[0] && !out->candidate_count && !out->end_of_candidates)
        ret = sdpfrag_fail(err, err_size, "the sdpfrag has no a=ice-ufrag, a=candidate or a=end-of-candidates");
done:
    free(buf);
    sdp_session_free(&s);
    return ret;
}

/* 1 when s is a non-empty token without space, tab, CR, LF. */
static int sdpfrag_token_ok(const char *s)
{
    return s[0] && !s[strcspn(s, " \t\r\n")];
}

static int sdpfrag_candidate_ok(const struct sdp_candidate *c)
{
    return sdpfrag_token_ok(c->foundation) && sdpfrag_token_ok(c->transport) && sdpfrag_token_ok(c->addr) &&
           sdpfrag_token_ok(c->type) && (!c->raddr[0] || sdpfrag_token_ok(c->raddr)) && c->component > 0 &&
           c->port >= 0 && c->port <= 65535;
}

/* Appends to buf at *n; returns 0 or AVERROR(ENOSPC). */
static int sdpfrag_put(char *buf, size_t size, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int sdpfrag_put(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (*n >= size)
        return AVERROR(ENOSPC);
    va_start(ap, fmt);
    w = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= size - *n)
        return AVERROR(ENOSPC);
    *n += (size_t)w;
    return 0;
}

int sdpfrag_write(const struct sdpfrag *f, char *buf, size_t size)
{
    size_t n = 0;
    int ret = 0;

    if (!size)
        return AVERROR(ENOSPC);
    buf[0] = '\0';
    if (!sdpfrag_token_ok(f->ice_ufrag) || !sdpfrag_token_ok(f->ice_pwd) || (f->mid[0] && !sdpfrag_token_ok(f->mid)) ||
        f->media[strcspn(f->media, "\r\n")] || f->candidate_count < 0 || f->candidate_count > SDP_MAX_CANDIDATES)
        return AVERROR(EINVAL);
    for (int i = 0; i < f->candidate_count; i++)
        if (!sdpfrag_candidate_ok(&f->candidates[i]))
            return AVERROR(EINVAL);
    ret = sdpfrag_put(buf, size, &n, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", f->ice_ufrag, f->ice_pwd);
    if (ret >= 0 && f->media[0])
        ret = sdpfrag_put(buf, size, &n, "m=%s\r\n", f->media);
    if (ret >= 0 && f->mid[0])
        ret = sdpfrag_put(buf, size, &n, "a=mid:%s\r\n", f->mid);
    for (int i = 0; i < f->candidate_count && ret >= 0; i++) {
        const struct sdp_candidate *c = &f->candidates[i];
        ret = sdpfrag_put(buf, size, &n, "a=candidate:%s %d %s %" PRIu32 " %s %d typ %s", c->foundation,
                          c->component, c->transport, c->priority, c->addr, c->port, c->type);
        if (ret >= 0 && c->raddr[0])
            ret = sdpfrag_put(buf, size, &n, " raddr %s rport %d", c->raddr, c->rport);
        if (ret >= 0)
            ret = sdpfrag_put(buf, size, &n, "\r\n");
    }
    if (ret >= 0 && f->end_of_candidates)
        ret = sdpfrag_put(buf, size, &n, "a=end-of-candidates\r\n");
    if (ret < 0) {
        buf[0] = '\0';
        return ret;
    }
    return (int)n;
}
