/* sdp_write: builds an SDP (CRLF line ends) from a struct sdp_session, refusing fields
 * that would break the syntax. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "signal/sdp.h"

struct out {
    char *buf;
    size_t size, len;
    int err;
};

static void put_raw(struct out *o, const char *s, size_t n)
{
    if (o->err)
        return;
    if (o->len + n >= o->size) {
        o->err = AVERROR(ENOSPC);
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void put_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put_fmt(struct out *o, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        o->err = o->err ? o->err : AVERROR(EINVAL);
        return;
    }
    put_raw(o, tmp, (size_t)n);
}

enum field_kind { FIELD_TEXT, FIELD_TOKEN };

/* Appends a field of at most max bytes (it need not be NUL-terminated inside them).
 * Text may hold anything but a line break; a token is non-empty and has no space or tab
 * either (exactly what sdp_parse splits on). */
static void put_field(struct out *o, const char *s, size_t max, enum field_kind kind)
{
    size_t n = strnlen(s, max);
    const char *stop = kind == FIELD_TOKEN ? "\r\n \t" : "\r\n";
    int bad = kind == FIELD_TOKEN && n == 0;
    for (size_t i = 0; i < n && !bad; i++)
        bad = strchr(stop, s[i]) != NULL;
    if (bad)
        o->err = o->err ? o->err : AVERROR(EINVAL);
    put_raw(o, s, n);
}

#define FIELD(x) (x), sizeof(x)

/* "prefix" + field + CRLF, for single-value attributes. */
static void put_line(struct out *o, const char *prefix, const char *s, size_t max, enum field_kind kind)
{
    put_raw(o, prefix, strlen(prefix));
    put_field(o, s, max, kind);
    put_raw(o, "\r\n", 2);
}

static const char *ip_version(const char *addr, size_t max)
{
    return memchr(addr, ':', strnlen(addr, max)) ? "IP6" : "IP4";
}

static void put_session_head(struct out *o, const struct sdp_session *s)
{
    put_raw(o, "v=0\r\no=", 7);
    if (s->origin_user[0])
        put_field(o, FIELD(s->origin_user), FIELD_TOKEN);
    else
        put_raw(o, "-", 1);
    put_fmt(o, " %" PRIu64 " %" PRIu64 " IN ", s->session_id, s->session_version);
    if (s->origin_addr[0]) {
        put_fmt(o, "%s ", ip_version(FIELD(s->origin_addr)));
        put_field(o, FIELD(s->origin_addr), FIELD_TOKEN);
    } else {
        put_raw(o, "IP4 0.0.0.0", 11);
    }
    put_raw(o, "\r\n", 2);
    put_line(o, "s=", s->name[0] ? s->name : "-", sizeof(s->name), FIELD_TEXT);
    if (s->addr[0]) {
        put_fmt(o, "c=IN %s ", ip_version(FIELD(s->addr)));
        put_line(o, "", FIELD(s->addr), FIELD_TOKEN);
    }
    put_raw(o, "t=0 0\r\n", 7);
    if (s->bundle[0])
        put_line(o, "a=group:BUNDLE ", FIELD(s->bundle), FIELD_TEXT);
}

static void put_format(struct out *o, const struct sdp_format *f)
{
    int pt = f->payload_type;
    if (f->encoding[0]) {
        put_fmt(o, "a=rtpmap:%d ", pt);
        put_field(o, FIELD(f->encoding), FIELD_TOKEN);
        put_fmt(o, "/%d", f->clock_rate);
        if (f->channels > 1)
            put_fmt(o, "/%d", f->channels);
        put_raw(o, "\r\n", 2);
    }
    if (f->fmtp[0]) {
        put_fmt(o, "a=fmtp:%d ", pt);
        put_line(o, "", FIELD(f->fmtp), FIELD_TEXT);
    }
    if (f->fb_goog_remb)
        put_fmt(o, "a=rtcp-fb:%d goog-remb\r\n", pt);
    if (f->fb_transport_cc)
        put_fmt(o, "a=rtcp-fb:%d transport-cc\r\n", pt);
    if (f->fb_ccm_fir)
        put_fmt(o, "a=rtcp-fb:%d ccm fir\r\n", pt);
    if (f->fb_nack)
        put_fmt(o, "a=rtcp-fb:%d nack\r\n", pt);
    if (f->fb_nack_pli)
        put_fmt(o, "a=rtcp-fb:%d nack pli\r\n", pt);
}

static void put_candidate(struct out *o, const struct sdp_candidate *c)
{
    put_raw(o, "a=candidate:", 12);
    put_field(o, FIELD(c->foundation), FIELD_TOKEN);
    put_fmt(o, " %d ", c->component);
    put_field(o, FIELD(c->transport), FIELD_TOKEN);
    put_fmt(o, " %" PRIu32 " ", c->priority);
    put_field(o, FIELD(c->addr), FIELD_TOKEN);
    put_fmt(o, " %d typ ", c->port);
    put_field(o, FIELD(c->type), FIELD_TOKEN);
    if (c->raddr[0]) {
        put_raw(o, " raddr ", 7);
        put_field(o, FIELD(c->raddr), FIELD_TOKEN);
        put_fmt(o, " rport %d", c->rport);
    }
    put_raw(o, "\r\n", 2);
}

static void put_m_line(struct out *o, const struct sdp_media *m)
{
    if (m->port < 0 || m->port > 65535)
        o->err = o->err ? o->err : AVERROR(EINVAL);
    for (int i = 0; i < m->format_count && i < SDP_MAX_FORMATS; i++)
        if (m->formats[i].payload_type < 0 || m->formats[i].payload_type > 127)
            o->err = o->err ? o->err : AVERROR(EINVAL);
    put_raw(o, "m=", 2);
    put_field(o, FIELD(m->type), FIELD_TOKEN);
    put_fmt(o, " %d ", m->port);
    put_field(o, FIELD(m->proto), FIELD_TOKEN);
    for (int i = 0; i < m->format_count && i < SDP_MAX_FORMATS; i++)
        put_fmt(o, " %d", m->formats[i].payload_type);
    if (m->format_count <= 0) {
        put_raw(o, " ", 1);
        put_field(o, FIELD(m->other_formats), m->other_formats[0] ? FIELD_TEXT : FIELD_TOKEN);
    }
    put_raw(o, "\r\n", 2);
}

static void put_transport(struct out *o, const struct sdp_media *m)
{
    if (m->ice_ufrag[0])
        put_line(o, "a=ice-ufrag:", FIELD(m->ice_ufrag), FIELD_TOKEN);
    if (m->ice_pwd[0])
        put_line(o, "a=ice-pwd:", FIELD(m->ice_pwd), FIELD_TOKEN);
    if (m->fingerprint[0]) {
        put_raw(o, "a=fingerprint:", 14);
        put_field(o, FIELD(m->fingerprint_alg), FIELD_TOKEN);
        put_line(o, " ", FIELD(m->fingerprint), FIELD_TOKEN);
    }
    if (m->setup[0])
        put_line(o, "a=setup:", FIELD(m->setup), FIELD_TOKEN);
    for (int i = 0; i < m->candidate_count && i < SDP_MAX_CANDIDATES; i++)
        put_candidate(o, &m->candidates[i]);
    if (m->end_of_candidates)
        put_raw(o, "a=end-of-candidates\r\n", 21);
}

static void put_media(struct out *o, const struct sdp_session *s, const struct sdp_media *m)
{
    put_m_line(o, m);
    if (m->addr[0] && (!s->addr[0] || strncmp(m->addr, s->addr, sizeof(m->addr)))) {
        put_fmt(o, "c=IN %s ", ip_version(FIELD(m->addr)));
        put_line(o, "", FIELD(m->addr), FIELD_TOKEN);
    }
    if (m->rtcp_port > 0)
        put_fmt(o, "a=rtcp:%d\r\n", m->rtcp_port);
    if (m->rtcp_mux)
        put_raw(o, "a=rtcp-mux\r\n", 12);
    if (m->mid[0])
        put_line(o, "a=mid:", FIELD(m->mid), FIELD_TOKEN);
    put_fmt(o, "a=%s\r\n", sdp_direction_name(m->direction));
    for (int i = 0; i < m->format_count && i < SDP_MAX_FORMATS; i++)
        put_format(o, &m->formats[i]);
    for (int i = 0; i < m->crypto_count && i < SDP_MAX_CRYPTO; i++) {
        put_fmt(o, "a=crypto:%d ", m->crypto[i].tag);
        put_field(o, FIELD(m->crypto[i].suite), FIELD_TOKEN);
        put_line(o, " ", FIELD(m->crypto[i].key_params), FIELD_TOKEN);
    }
    for (int i = 0; i < m->extmap_count && i < SDP_MAX_EXTMAP; i++) {
        const struct sdp_extmap *e = &m->extmap[i];
        put_fmt(o, "a=extmap:%d", e->id);
        if (e->direction != SDP_SENDRECV)
            put_fmt(o, "/%s", sdp_direction_name(e->direction));
        put_line(o, " ", FIELD(e->uri), FIELD_TOKEN);
    }
    put_transport(o, m);
    if (m->cname[0]) {
        put_fmt(o, "a=ssrc:%" PRIu32 " cname:", m->ssrc);
        put_line(o, "", FIELD(m->cname), FIELD_TOKEN);
    }
    if (m->msid[0])
        put_line(o, "a=msid:", FIELD(m->msid), FIELD_TEXT);
}

int sdp_write(const struct sdp_session *s, char *buf, size_t size)
{
    struct out o = { .buf = buf, .size = size };
    if (!buf || size == 0)
        return AVERROR(ENOSPC);
    buf[0] = '\0';
    put_session_head(&o, s);
    for (int i = 0; i < s->media_count && i < SDP_MAX_MEDIA; i++)
        put_media(&o, s, &s->media[i]);
    if (o.err) {
        buf[0] = '\0';
        return o.err;
    }
    return (int)o.len;
}
