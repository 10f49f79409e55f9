/* sdp_parse: splits an SDP into lines, parses v=, o=, s=, c=, m= and hands a= lines to
 * sdp_attr.c; then fills static payload types and copies session values down. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/sdp_internal.h"

int sdp_session_alloc(struct sdp_session **out)
{
    struct sdp_session *s = calloc(1, sizeof(*s));
    if (!s)
        return AVERROR(ENOMEM);
    *out = s;
    return 0;
}

void sdp_session_free(struct sdp_session **p)
{
    if (!p)
        return;
    free(*p);
    *p = NULL;
}

/* ---- helpers shared with sdp_attr.c ---- */

int sdp_fail(struct sdp_parser *p, const char *fmt, ...)
{
    if (p->err && p->err_size) {
        int n = 0;
        if (p->line > 0 && p->what && *p->what)
            n = snprintf(p->err, p->err_size, "line %d: %s: ", p->line, p->what);
        else if (p->line > 0)
            n = snprintf(p->err, p->err_size, "line %d: ", p->line);
        if (n >= 0 && (size_t)n < p->err_size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return AVERROR_INVALIDDATA;
}

const char *sdp_skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int sdp_get_token(struct sdp_parser *p, const char **cur, char *out, size_t size, const char *name)
{
    const char *s = sdp_skip_space(*cur);
    size_t n = strcspn(s, " \t");
    if (n == 0)
        return sdp_fail(p, "missing %s", name);
    if (n >= size)
        return sdp_fail(p, "%s longer than %zu characters", name, size - 1);
    memcpy(out, s, n);
    out[n] = '\0';
    *cur = s + n;
    return 0;
}

int sdp_parse_uint(const char *tok, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*tok || strlen(tok) > 20)
        return -1;
    for (const char *c = tok; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        unsigned d = (unsigned)(*c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int sdp_get_uint(struct sdp_parser *p, const char **cur, uint64_t min, uint64_t max,
                 uint64_t *out, const char *name)
{
    char tok[32];
    int ret = sdp_get_token(p, cur, tok, sizeof(tok), name);
    if (ret < 0)
        return ret;
    if (sdp_parse_uint(tok, max, out) < 0 || *out < min)
        return sdp_fail(p, "bad %s \"%s\"", name, tok);
    return 0;
}

int sdp_copy_field(struct sdp_parser *p, char *field, size_t size, const char *text, const char *name)
{
    size_t n = strlen(text);
    if (n >= size)
        return sdp_fail(p, "%s longer than %zu characters", name, size - 1);
    memcpy(field, text, n + 1);
    return 0;
}

int sdp_valid_addr(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(".:-_", s[i]))
            return 0;
    return 1;
}

/* ---- session and media lines ---- */

static int parse_origin(struct sdp_parser *p, const char *v)
{
    char nettype[8], addrtype[8];
    uint64_t id, version;
    int ret;
    if ((ret = sdp_get_token(p, &v, p->s->origin_user, sizeof(p->s->origin_user), "user")) < 0 ||
        (ret = sdp_get_uint(p, &v, 0, UINT64_MAX, &id, "session id")) < 0 ||
        (ret = sdp_get_uint(p, &v, 0, UINT64_MAX, &version, "session version")) < 0 ||
        (ret = sdp_get_token(p, &v, nettype, sizeof(nettype), "network type")) < 0 ||
        (ret = sdp_get_token(p, &v, addrtype, sizeof(addrtype), "address type")) < 0 ||
        (ret = sdp_get_token(p, &v, p->s->origin_addr, sizeof(p->s->origin_addr), "address")) < 0)
        return ret;
    if (!sdp_valid_addr(p->s->origin_addr))
        return sdp_fail(p, "bad address \"%s\"", p->s->origin_addr);
    p->s->session_id = id;
    p->s->session_version = version;
    return 0;
}

/* c=IN IP4 addr[/ttl[/count]] */
static int parse_connection(struct sdp_parser *p, const char *v, char *addr, size_t size)
{
    char nettype[8], addrtype[8], tok[128];
    int ret;
    if ((ret = sdp_get_token(p, &v, nettype, sizeof(nettype), "network type")) < 0 ||
        (ret = sdp_get_token(p, &v, addrtype, sizeof(addrtype), "address type")) < 0 ||
        (ret = sdp_get_token(p, &v, tok, sizeof(tok), "address")) < 0)
        return ret;
    if (strcmp(nettype, "IN"))
        return sdp_fail(p, "network type \"%s\" is not IN", nettype);
    if (strcmp(addrtype, "IP4") && strcmp(addrtype, "IP6"))
        return sdp_fail(p, "address type \"%s\" is not IP4 or IP6", addrtype);
    tok[strcspn(tok, "/")] = '\0';
    if (!sdp_valid_addr(tok))
        return sdp_fail(p, "bad address \"%s\"", tok);
    return sdp_copy_field(p, addr, size, tok, "address");
}

static int add_rtp_format(struct sdp_parser *p, struct sdp_media *m, const char *tok)
{
    uint64_t pt;
    if (sdp_parse_uint(tok, 127, &pt) < 0)
        return sdp_fail(p, "bad payload type \"%s\"", tok);
    for (int i = 0; i < m->format_count; i++)
        if (m->formats[i].payload_type == (int)pt)
            return 0;
    if (m->format_count == SDP_MAX_FORMATS)
        return 0;                        /* ignored: more than we could ever use */
    struct sdp_format *f = &m->formats[m->format_count++];
    memset(f, 0, sizeof(*f));
    f->payload_type = (int)pt;
    return 0;
}

/* m=type port[/count] proto fmt... */
static int parse_media(struct sdp_parser *p, const char *v)
{
    char port[32], tok[32];
    uint64_t n;
    int ret;
    if (p->s->media_count == SDP_MAX_MEDIA)
        return sdp_fail(p, "more than %d media sections", SDP_MAX_MEDIA);
    struct sdp_media *m = &p->s->media[p->s->media_count++];
    memset(m, 0, sizeof(*m));
    p->m = m;
    if ((ret = sdp_get_token(p, &v, m->type, sizeof(m->type), "media type")) < 0 ||
        (ret = sdp_get_token(p, &v, port, sizeof(port), "port")) < 0 ||
        (ret = sdp_get_token(p, &v, m->proto, sizeof(m->proto), "protocol")) < 0)
        return ret;
    port[strcspn(port, "/")] = '\0';
    if (sdp_parse_uint(port, 65535, &n) < 0)
        return sdp_fail(p, "bad port \"%s\"", port);
    m->port = (int)n;
    v = sdp_skip_space(v);
    if (!strstr(m->proto, "RTP/")) {
        if (!*v)
            return sdp_fail(p, "no format");
        return sdp_copy_field(p, m->other_formats, sizeof(m->other_formats), v, "format list");
    }
    while (*(v = sdp_skip_space(v))) {
        if ((ret = sdp_get_token(p, &v, tok, sizeof(tok), "payload type")) < 0 ||
            (ret = add_rtp_format(p, m, tok)) < 0)
            return ret;
    }
    if (m->format_count == 0)
        return sdp_fail(p, "no payload type");
    return 0;
}

static int parse_attribute(struct sdp_parser *p, char *v)
{
    char *colon = strchr(v, ':');
    if (colon)
        *colon = '\0';
    snprintf(p->what_buf, sizeof(p->what_buf), "a=%.32s", v);
    p->what = p->what_buf;
    const char *value = colon ? colon + 1 : NULL;
    return p->m ? sdp_attr_media(p, v, value) : sdp_attr_session(p, v, value);
}

static int parse_line(struct sdp_parser *p, char *line)
{
    char type = line[0];
    char *v = line + 2;
    switch (type) {
    case 'o':
        return p->m ? 0 : parse_origin(p, v);
    case 's':
        if (!p->m)
            snprintf(p->s->name, sizeof(p->s->name), "%s", v);
        return 0;
    case 'c':
        if (p->m)
            return parse_connection(p, v, p->m->addr, sizeof(p->m->addr));
        return parse_connection(p, v, p->s->addr, sizeof(p->s->addr));
    case 'm':
        return parse_media(p, v);
    case 'a':
        return parse_attribute(p, v);
    default:
        return 0;                         /* t=, b=, i=, k=, ... ignored */
    }
}

/* ---- after the last line ---- */

static const struct {
    int pt;
    const char *name;
    int clock, channels;
} static_types[] = {
    { 0, "PCMU", 8000, 1 }, { 3, "GSM", 8000, 1 }, { 4, "G723", 8000, 1 },
    { 5, "DVI4", 8000, 1 }, { 6, "DVI4", 16000, 1 }, { 7, "LPC", 8000, 1 },
    { 8, "PCMA", 8000, 1 }, { 9, "G722", 8000, 1 }, { 10, "L16", 44100, 2 },
    { 11, "L16", 44100, 1 }, { 12, "QCELP", 8000, 1 }, { 13, "CN", 8000, 1 },
    { 14, "MPA", 90000, 0 }, { 15, "G728", 8000, 1 }, { 18, "G729", 8000, 1 },
    { 25, "CelB", 90000, 0 }, { 26, "JPEG", 90000, 0 }, { 28, "nv", 90000, 0 },
    { 31, "H261", 90000, 0 }, { 32, "MPV", 90000, 0 }, { 33, "MP2T", 90000, 0 },
    { 34, "H263", 90000, 0 },
};

static void fill_static_types(struct sdp_media *m)
{
    for (int i = 0; i < m->format_count; i++) {
        struct sdp_format *f = &m->formats[i];
        if (f->encoding[0])
            continue;
        for (size_t t = 0; t < sizeof(static_types) / sizeof(static_types[0]); t++) {
            if (static_types[t].pt != f->payload_type)
                continue;
            snprintf(f->encoding, sizeof(f->encoding), "%s", static_types[t].name);
            f->clock_rate = static_types[t].clock;
            f->channels = static_types[t].channels;
        }
    }
}

#define COPY_DOWN(field) \
    do { if (!m->field[0]) memcpy(m->field, s->field, sizeof(m->field)); } while (0)

static void finish(struct sdp_parser *p)
{
    struct sdp_session *s = p->s;
    for (int i = 0; i < s->media_count; i++) {
        struct sdp_media *m = &s->media[i];
        fill_static_types(m);
        COPY_DOWN(addr);
        COPY_DOWN(ice_ufrag);
        COPY_DOWN(ice_pwd);
        COPY_DOWN(fingerprint_alg);
        COPY_DOWN(fingerprint);
        COPY_DOWN(setup);
        if (!p->media_direction_set[i] && p->session_direction_set)
            m->direction = p->session_direction;
        if (p->session_end_of_candidates)
            m->end_of_candidates = 1;
    }
}

/* Checks and copies one line (without its line end) to buf; returns 0 or fails. */
static int take_line(struct sdp_parser *p, const char *text, size_t n, char *buf)
{
    p->what = "";
    if (n && text[n - 1] == '\r')
        n--;
    if (n > SDP_MAX_LINE)
        return sdp_fail(p, "longer than %d bytes", SDP_MAX_LINE);
    for (size_t i = 0; i < n; i++)
        if (text[i] == '\0' || text[i] == '\r')
            return sdp_fail(p, "contains a %s byte", text[i] ? "CR" : "NUL");
    memcpy(buf, text, n);
    buf[n] = '\0';
    if (n && (n < 2 || buf[1] != '=' || !islower((unsigned char)buf[0])))
        return sdp_fail(p, "not a \"x=value\" line");
    return 0;
}

int sdp_parse(struct sdp_session *out, const char *text, size_t len, char *err, size_t err_size)
{
    struct sdp_parser p = { .s = out, .err = err, .err_size = err_size };
    char *line = NULL;
    int ret = 0, seen_version = 0;

    memset(out, 0, sizeof(*out));
    if (err && err_size)
        err[0] = '\0';
    if (len > SDP_MAX_SIZE) {
        ret = sdp_fail(&p, "SDP larger than %d bytes", SDP_MAX_SIZE);
        goto fail;
    }
    line = malloc(SDP_MAX_LINE + 1);
    if (!line) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        p.line++;
        if ((ret = take_line(&p, text + pos, n, line)) < 0)
            goto fail;
        pos += n + (nl != NULL);
        if (!line[0])
            continue;
        if (!seen_version) {
            if (strcmp(line, "v=0")) {
                p.what = "";
                ret = sdp_fail(&p, "an SDP starts with v=0, not \"%.40s\"", line);
                goto fail;
            }
            seen_version = 1;
            continue;
        }
        snprintf(p.what_buf, sizeof(p.what_buf), "%c=", line[0]);
        p.what = p.what_buf;
        if ((ret = parse_line(&p, line)) < 0)
            goto fail;
    }
    if (!seen_version) {
        p.line = 0;
        ret = sdp_fail(&p, "SDP without a v=0 line");
        goto fail;
    }
    finish(&p);
    free(line);
    return 0;
fail:
    free(line);
    return ret;
}
