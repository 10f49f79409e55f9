/* sdp_attr: the a= attributes of SDP at session and media level, one small parser each. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "signal/sdp_internal.h"

static const char *const direction_names[] = {
    [SDP_SENDRECV] = "sendrecv", [SDP_SENDONLY] = "sendonly",
    [SDP_RECVONLY] = "recvonly", [SDP_INACTIVE] = "inactive",
};

int sdp_direction_from_name(const char *name, enum sdp_direction *out)
{
    for (int i = 0; i < 4; i++) {
        if (!strcmp(name, direction_names[i])) {
            *out = (enum sdp_direction)i;
            return 0;
        }
    }
    return -1;
}

const char *sdp_direction_name(enum sdp_direction d)
{
    return (unsigned)d < 4 ? direction_names[d] : "sendrecv";
}

enum sdp_direction sdp_direction_reverse(enum sdp_direction d)
{
    switch (d) {
    case SDP_SENDONLY:
        return SDP_RECVONLY;
    case SDP_RECVONLY:
        return SDP_SENDONLY;
    case SDP_INACTIVE:
        return SDP_INACTIVE;
    default:
        return SDP_SENDRECV;
    }
}

static int need_value(struct sdp_parser *p, const char *value)
{
    if (!value || !*sdp_skip_space(value))
        return sdp_fail(p, "missing value");
    return 0;
}

/* A single-token value (mid, ice-ufrag, setup): no spaces, fits the field. */
static int token_value(struct sdp_parser *p, const char *value, char *field, size_t size)
{
    int ret = need_value(p, value);
    if (ret < 0)
        return ret;
    value = sdp_skip_space(value);
    if ((ret = sdp_get_token(p, &value, field, size, "value")) < 0)
        return ret;
    if (*sdp_skip_space(value))
        return sdp_fail(p, "unexpected text after \"%s\"", field);
    return 0;
}

/* ---- session and media alike ---- */

static int attr_fingerprint(struct sdp_parser *p, const char *v, char *alg, size_t alg_size,
                            char *fp, size_t fp_size)
{
    int ret = need_value(p, v);
    if (ret < 0 || (ret = sdp_get_token(p, &v, alg, alg_size, "hash function")) < 0 ||
        (ret = sdp_get_token(p, &v, fp, fp_size, "fingerprint")) < 0)
        return ret;
    for (const char *c = fp; *c; c++)
        if (!strchr("0123456789abcdefABCDEF:", *c))
            return sdp_fail(p, "fingerprint is not hex pairs");
    return 0;
}

/* The fields that may stand at session or media level (same names in both structs). */
struct level_fields {
    char *ufrag, *pwd, *alg, *fp, *setup;
    size_t ufrag_size, pwd_size, alg_size, fp_size, setup_size;
};

#define LEVEL_FIELDS(o) { (o)->ice_ufrag, (o)->ice_pwd, (o)->fingerprint_alg, (o)->fingerprint, \
    (o)->setup, sizeof((o)->ice_ufrag), sizeof((o)->ice_pwd), sizeof((o)->fingerprint_alg), \
    sizeof((o)->fingerprint), sizeof((o)->setup) }

/* Attributes that may stand at either level; returns 1 when `name` was not one. */
static int attr_common(struct sdp_parser *p, const char *name, const char *v,
                       const struct level_fields *f, enum sdp_direction *dir, int *eoc)
{
    if (!strcmp(name, "ice-ufrag"))
        return token_value(p, v, f->ufrag, f->ufrag_size);
    if (!strcmp(name, "ice-pwd"))
        return token_value(p, v, f->pwd, f->pwd_size);
    if (!strcmp(name, "fingerprint"))
        return attr_fingerprint(p, v, f->alg, f->alg_size, f->fp, f->fp_size);
    if (!strcmp(name, "setup"))
        return token_value(p, v, f->setup, f->setup_size);
    if (!strcmp(name, "end-of-candidates")) {
        *eoc = 1;
        return 0;
    }
    return sdp_direction_from_name(name, dir) == 0 ? 0 : 1;
}

int sdp_attr_session(struct sdp_parser *p, const char *name, const char *value)
{
    struct sdp_session *s = p->s;
    if (!strcmp(name, "group")) {
        int ret = need_value(p, value);
        if (ret < 0)
            return ret;
        value = sdp_skip_space(value);
        if (strncmp(value, "BUNDLE", 6) || (value[6] && value[6] != ' '))
            return 0;                     /* LS, FID, ...: ignored */
        return sdp_copy_field(p, s->bundle, sizeof(s->bundle), sdp_skip_space(value + 6),
                              "BUNDLE group");
    }
    const struct level_fields f = LEVEL_FIELDS(s);
    int ret = attr_common(p, name, value, &f, &p->session_direction,
                          &p->session_end_of_candidates);
    if (ret == 0 && sdp_direction_from_name(name, &p->session_direction) == 0)
        p->session_direction_set = 1;
    return ret < 0 ? ret : 0;
}

/* ---- media level ---- */

static struct sdp_format *find_format(struct sdp_media *m, int pt)
{
    for (int i = 0; i < m->format_count; i++)
        if (m->formats[i].payload_type == pt)
            return &m->formats[i];
    return NULL;
}

/* Reads "PT" (or "*" when star is non-NULL) before the rest of an attribute value. */
static int get_pt(struct sdp_parser *p, const char **v, int *pt, int *star)
{
    uint64_t n;
    int ret = need_value(p, *v);
    if (ret < 0)
        return ret;
    *v = sdp_skip_space(*v);
    if (star && **v == '*' && ((*v)[1] == ' ' || (*v)[1] == '\t')) {
        *star = 1;
        (*v)++;
        return 0;
    }
    if ((ret = sdp_get_uint(p, v, 0, 127, &n, "payload type")) < 0)
        return ret;
    *pt = (int)n;
    return 0;
}

/* a=rtpmap:PT name/clock[/channels] */
static int attr_rtpmap(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    char tok[96], *rate, *chan;
    uint64_t clock, channels = 0;
    int pt, ret;
    if ((ret = get_pt(p, &v, &pt, NULL)) < 0 ||
        (ret = sdp_get_token(p, &v, tok, sizeof(tok), "encoding")) < 0)
        return ret;
    rate = strchr(tok, '/');
    if (!rate || !rate[1])
        return sdp_fail(p, "missing clock rate");
    *rate++ = '\0';
    chan = strchr(rate, '/');
    if (chan)
        *chan++ = '\0';
    if (!tok[0] || strlen(tok) >= sizeof(m->formats[0].encoding))
        return sdp_fail(p, "bad encoding name");
    if (sdp_parse_uint(rate, 10000000, &clock) < 0 || clock == 0)
        return sdp_fail(p, "bad clock rate \"%s\"", rate);
    if (chan && (sdp_parse_uint(chan, 255, &channels) < 0 || channels == 0))
        return sdp_fail(p, "bad channel count \"%s\"", chan);
    struct sdp_format *f = find_format(m, pt);
    if (!f)
        return 0;                          /* not on the m= line (or past our limit) */
    memset(f->encoding, 0, sizeof(f->encoding));
    memcpy(f->encoding, tok, strlen(tok));
    f->clock_rate = (int)clock;
    f->channels = chan ? (int)channels : !strcmp(m->type, "audio");
    return 0;
}

static int attr_fmtp(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    int pt, ret = get_pt(p, &v, &pt, NULL);
    if (ret < 0)
        return ret;
    struct sdp_format *f = find_format(m, pt);
    char tmp[sizeof(f->fmtp)] = "";
    if ((ret = sdp_copy_field(p, tmp, sizeof(tmp), sdp_skip_space(v), "parameters")) < 0)
        return ret;
    if (f)
        memcpy(f->fmtp, tmp, sizeof(tmp));
    return 0;
}

static void set_feedback(struct sdp_format *f, const char *type, const char *param)
{
    if (!strcmp(type, "nack") && !param[0])
        f->fb_nack = 1;
    else if (!strcmp(type, "nack") && !strcmp(param, "pli"))
        f->fb_nack_pli = 1;
    else if (!strcmp(type, "ccm") && !strcmp(param, "fir"))
        f->fb_ccm_fir = 1;
    else if (!strcmp(type, "goog-remb"))
        f->fb_goog_remb = 1;
    else if (!strcmp(type, "transport-cc"))
        f->fb_transport_cc = 1;
}

/* a=rtcp-fb:PT|* type [param] */
static int attr_rtcp_fb(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    char type[32], param[32] = "";
    int pt = -1, star = 0, ret;
    if ((ret = get_pt(p, &v, &pt, &star)) < 0 ||
        (ret = sdp_get_token(p, &v, type, sizeof(type), "feedback type")) < 0)
        return ret;
    if (*sdp_skip_space(v) && (ret = sdp_get_token(p, &v, param, sizeof(param), "parameter")) < 0)
        return ret;
    for (int i = 0; i < m->format_count; i++)
        if (star || m->formats[i].payload_type == pt)
            set_feedback(&m->formats[i], type, param);
    return 0;
}

/* a=crypto:tag suite inline:key[|..] [session params] */
static int attr_crypto(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    struct sdp_crypto c = { 0 };
    uint64_t tag;
    int ret = need_value(p, v);
    if (ret < 0 || (ret = sdp_get_uint(p, &v, 0, 999999999, &tag, "tag")) < 0 ||
        (ret = sdp_get_token(p, &v, c.suite, sizeof(c.suite), "suite")) < 0 ||
        (ret = sdp_get_token(p, &v, c.key_params, sizeof(c.key_params), "key parameters")) < 0)
        return ret;
    if (strncmp(c.key_params, "inline:", 7) || !c.key_params[7])
        return sdp_fail(p, "key parameters do not start with inline:");
    c.tag = (int)tag;
    if (m->crypto_count < SDP_MAX_CRYPTO)
        m->crypto[m->crypto_count++] = c;
    return 0;
}

/* a=extmap:id[/direction] uri [attributes] */
static int attr_extmap(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    struct sdp_extmap e = { .direction = SDP_SENDRECV };
    char id[32];
    uint64_t n;
    int ret = need_value(p, v);
    if (ret < 0 || (ret = sdp_get_token(p, &v, id, sizeof(id), "id")) < 0)
        return ret;
    char *slash = strchr(id, '/');
    if (slash) {
        *slash++ = '\0';
        if (sdp_direction_from_name(slash, &e.direction) < 0)
            return sdp_fail(p, "bad direction \"%s\"", slash);
    }
    if (sdp_parse_uint(id, 255, &n) < 0 || n == 0)
        return sdp_fail(p, "bad id \"%s\"", id);
    e.id = (int)n;
    if ((ret = sdp_get_token(p, &v, e.uri, sizeof(e.uri), "URI")) < 0)
        return ret;
    if (m->extmap_count < SDP_MAX_EXTMAP)
        m->extmap[m->extmap_count++] = e;
    return 0;
}

/* a=candidate:foundation component transport priority addr port typ type [raddr a rport p] ... */
static int attr_candidate(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    struct sdp_candidate c = { 0 };
    char key[32], val[64];
    uint64_t component, priority, port;
    int ret = need_value(p, v);
    if (ret < 0 || (ret = sdp_get_token(p, &v, c.foundation, sizeof(c.foundation), "foundation")) < 0 ||
        (ret = sdp_get_uint(p, &v, 1, 256, &component, "component")) < 0 ||
        (ret = sdp_get_token(p, &v, c.transport, sizeof(c.transport), "transport")) < 0 ||
        (ret = sdp_get_uint(p, &v, 0, UINT32_MAX, &priority, "priority")) < 0 ||
        (ret = sdp_get_token(p, &v, c.addr, sizeof(c.addr), "address")) < 0 ||
        (ret = sdp_get_uint(p, &v, 0, 65535, &port, "port")) < 0 ||
        (ret = sdp_get_token(p, &v, key, sizeof(key), "typ")) < 0 ||
        (ret = sdp_get_token(p, &v, c.type, sizeof(c.type), "candidate type")) < 0)
        return ret;
    if (strcmp(key, "typ"))
        return sdp_fail(p, "expected \"typ\", found \"%s\"", key);
    if (!sdp_valid_addr(c.addr))
        return sdp_fail(p, "bad address \"%s\"", c.addr);
    c.component = (int)component;
    c.priority = (uint32_t)priority;
    c.port = (int)port;
    while (*sdp_skip_space(v)) {          /* extension pairs: keep raddr/rport */
        if ((ret = sdp_get_token(p, &v, key, sizeof(key), "extension name")) < 0 ||
            (ret = sdp_get_token(p, &v, val, sizeof(val), "extension value")) < 0)
            return ret;
        if (!strcmp(key, "raddr") && sdp_valid_addr(val))
            snprintf(c.raddr, sizeof(c.raddr), "%s", val);
        else if (!strcmp(key, "rport") && sdp_parse_uint(val, 65535, &port) == 0)
            c.rport = (int)port;
    }
    if (m->candidate_count < SDP_MAX_CANDIDATES)
        m->candidates[m->candidate_count++] = c;
    return 0;
}

/* a=ssrc:N attribute[:value]: the first SSRC, its cname (and msid, for older peers). */
static int attr_ssrc(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    char attr[160];
    uint64_t ssrc;
    int ret = need_value(p, v);
    if (ret < 0 || (ret = sdp_get_uint(p, &v, 0, UINT32_MAX, &ssrc, "SSRC")) < 0 ||
        (ret = sdp_get_token(p, &v, attr, sizeof(attr), "attribute")) < 0)
        return ret;
    if (!m->ssrc && !m->cname[0])
        m->ssrc = (uint32_t)ssrc;
    if (m->ssrc != ssrc)
        return 0;
    if (!strncmp(attr, "cname:", 6) && !m->cname[0])
        return sdp_copy_field(p, m->cname, sizeof(m->cname), attr + 6, "cname");
    if (!strncmp(attr, "msid:", 5) && !m->msid[0]) {
        char msid[sizeof(m->msid)] = "";
        int n = snprintf(msid, sizeof(msid), "%s%s", attr + 5, v);
        if (n < 0 || (size_t)n >= sizeof(msid))
            return sdp_fail(p, "msid longer than %zu characters", sizeof(msid) - 1);
        const char *text = sdp_skip_space(msid);    /* as a=msid: no leading space */
        memset(m->msid, 0, sizeof(m->msid));
        memcpy(m->msid, text, strlen(text));
    }
    return 0;
}

static int attr_rtcp(struct sdp_parser *p, struct sdp_media *m, const char *v)
{
    uint64_t port;
    int ret = need_value(p, v);
    if (ret < 0 || (ret = sdp_get_uint(p, &v, 1, 65535, &port, "port")) < 0)
        return ret;
    m->rtcp_port = (int)port;
    return 0;
}

static int attr_text(struct sdp_parser *p, const char *v, char *field, size_t size)
{
    int ret = need_value(p, v);
    return ret < 0 ? ret : sdp_copy_field(p, field, size, sdp_skip_space(v), "value");
}

int sdp_attr_media(struct sdp_parser *p, const char *name, const char *v)
{
    struct sdp_media *m = p->m;
    enum sdp_direction dir = m->direction;
    const struct level_fields f = LEVEL_FIELDS(m);
    int ret = attr_common(p, name, v, &f, &dir, &m->end_of_candidates);
    if (ret <= 0) {
        if (ret == 0 && sdp_direction_from_name(name, &dir) == 0) {
            m->direction = dir;
            p->media_direction_set[m - p->s->media] = 1;
        }
        return ret;
    }
    if (!strcmp(name, "rtpmap"))
        return attr_rtpmap(p, m, v);
    if (!strcmp(name, "fmtp"))
        return attr_fmtp(p, m, v);
    if (!strcmp(name, "rtcp-fb"))
        return attr_rtcp_fb(p, m, v);
    if (!strcmp(name, "rtcp"))
        return attr_rtcp(p, m, v);
    if (!strcmp(name, "rtcp-mux")) {
        m->rtcp_mux = 1;
        return 0;
    }
    if (!strcmp(name, "bundle-only")) {
        m->bundle_only = 1;
        return 0;
    }
    if (!strcmp(name, "mid"))
        return token_value(p, v, m->mid, sizeof(m->mid));
    if (!strcmp(name, "msid"))
        return attr_text(p, v, m->msid, sizeof(m->msid));
    if (!strcmp(name, "ssrc"))
        return attr_ssrc(p, m, v);
    if (!strcmp(name, "crypto"))
        return attr_crypto(p, m, v);
    if (!strcmp(name, "extmap"))
        return attr_extmap(p, m, v);
    if (!strcmp(name, "candidate"))
        return attr_candidate(p, m, v);
    return 0;
}
