/* The loop-thread side of SIP calls: room lookup, participants from offers and
 * late-offer answers, SIP status codes for their errors, re-INVITE answers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <libavutil/mem.h>
#include "mixer/keybox.h"
#include "mixer/log.h"
#include "mixer/room.h"
#include "mixer/room_thread.h"
#include "signal/participant.h"
#include "signal/sdp.h"
#include "signal/server.h"
#include "signal/sip_room.h"

/* The SIP status for a participant_* error. */
static int sip_room_status(int err)
{
    if (err == AVERROR_INVALIDDATA || err == SDP_ERROR_NO_COMMON_CODEC || err == SDP_ERROR_NO_CRYPTO)
        return 488;
    if (err == AVERROR(ENOSPC))
        return 486;
    if (err == AVERROR(EADDRINUSE) || err == AVERROR(ENOMEM))
        return 503;
    return 500;
}

/* The room a call asks for: the target's, else the default room. */
static struct server_room *sip_room_find(struct server *s, struct sip_room_call *c)
{
    struct server_room *r = c->target[0] ? server_find_room(s, c->target) : NULL;

    if (!r && s->cfg.sip_default_room[0])
        r = server_find_room(s, s->cfg.sip_default_room);
    if (!r && s->cfg.sip_default_room[0])
        snprintf(c->reason, sizeof(c->reason), "no room \"%s\" and the default room %s does not exist",
                 c->target, s->cfg.sip_default_room);
    else if (!r)
        snprintf(c->reason, sizeof(c->reason), "no room \"%s\" (and no sip_default_room)", c->target);
    return r;
}

/* The room the call joined, if it still exists. */
static struct server_room *sip_room_of(struct server *s, const struct sip_room_call *c)
{
    struct server_room *r = c->room[0] ? server_find_room(s, c->room) : NULL;

    return r && r->serial == c->room_serial ? r : NULL;
}

static void sip_room_request(const struct sip_room_call *c, struct participant_request *req)
{
    memset(req, 0, sizeof(*req));
    req->offer = c->sdp;
    req->offer_len = c->sdp_len;
    req->name = c->name[0] ? c->name : NULL;
    req->prefs = &participant_prefs_legacy;
    req->is_phone = 1;
    req->waiting = c->keys;
}

/* Whether a call to room r must key in the PIN: r is the default room and a PIN
 * is set. */
static int sip_room_needs_pin(const struct server *s, const struct server_room *r)
{
    return s->cfg.sip_pin[0] && s->cfg.sip_default_room[0] && !strcmp(r->id, s->cfg.sip_default_room);
}

void sip_room_join(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    struct server_room *r = sip_room_find(s, c);
    struct participant_request req;
    struct participant_result res;
    int ret;

    c->status = 404;
    if (!r)
        return;
    snprintf(c->room, sizeof(c->room), "%s", r->id);
    c->room_serial = r->serial;
    if (r->participant_count >= SERVER_MAX_PARTICIPANTS) {
        c->status = 486;
        snprintf(c->reason, sizeof(c->reason), "room %s is full", r->id);
        return;
    }
    if (sip_room_needs_pin(s, r) && !c->keys && !(c->keys = keybox_alloc())) {
        c->status = 503;
        snprintf(c->reason, sizeof(c->reason), "no memory");
        return;
    }
    if (!c->sdp) {
        ret = participant_offer(s, r, &participant_prefs_legacy, &c->pending, c->local_sdp,
                                sizeof(c->local_sdp), c->reason, sizeof(c->reason));
    } else {
        sip_room_request(c, &req);
        memset(&res, 0, sizeof(res));
        ret = participant_create(s, r, &req, &res, c->reason, sizeof(c->reason));
        if (ret >= 0) {
            c->participant_id = res.id;
            snprintf(c->local_sdp, sizeof(c->local_sdp), "%s", res.answer);
        }
    }
    c->status = ret < 0 ? sip_room_status(ret) : 200;
}

void sip_room_complete(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    struct server_room *r = sip_room_of(s, c);
    struct participant_request req;
    struct participant_result res;
    int ret;

    if (!r) {
        participant_pending_free(&c->pending);
        c->status = 404;
        snprintf(c->reason, sizeof(c->reason), "room %s was deleted", c->room);
        return;
    }
    sip_room_request(c, &req);
    memset(&res, 0, sizeof(res));
    ret = participant_complete(s, r, &c->pending, &req, &res, c->reason, sizeof(c->reason));
    if (ret >= 0) {
        c->participant_id = res.id;
        snprintf(c->local_sdp, sizeof(c->local_sdp), "%s", res.answer);
    }
    c->status = ret < 0 ? sip_room_status(ret) : 200;
}

void sip_room_leave(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    struct server_room *r = c->participant_id ? sip_room_of(s, c) : NULL;

    participant_pending_free(&c->pending);
    if (r && participant_delete(s, r, c->participant_id) >= 0)
        log_info("room %s: participant %d left (SIP call ended)", r->id, c->participant_id);
    c->participant_id = 0;
    c->status = 200;
}

void sip_room_check(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    struct server_room *r = sip_room_of(s, c);
    int present = 0;

    for (int i = 0; r && i < r->participant_count; i++)
        present |= r->participants[i].id == c->participant_id;
    c->status = present ? 200 : 404;
}

/* ---- commands to a call's room ---- */

struct sip_room_cmd {
    int id;
    int value;
};

static void sip_room_cmd_dtmf(struct room *room, void *arg)
{
    const struct sip_room_cmd *c = arg;
    room_push_dtmf(room, c->id, (char)c->value);
}

static void sip_room_cmd_admit(struct room *room, void *arg)
{
    const struct sip_room_cmd *c = arg;
    room_admit(room, c->id);
}

static void sip_room_cmd_wrong_pin(struct room *room, void *arg)
{
    const struct sip_room_cmd *c = arg;
    room_prompt_wrong(room, c->id);
}

static void sip_room_cmd_hold(struct room *room, void *arg)
{
    const struct sip_room_cmd *c = arg;
    room_set_hold(room, c->id, c->value);
}

/* Queues fn(value) to the call's participant on its room thread. */
static void sip_room_post(struct server *s, struct sip_room_call *c, room_command_fn fn, int value)
{
    struct server_room *r = c->participant_id ? sip_room_of(s, c) : NULL;
    struct sip_room_cmd *cmd;

    c->status = 404;
    if (!r)
        return;
    c->status = 500;
    if (!(cmd = av_mallocz(sizeof(*cmd))))
        return;
    cmd->id = c->participant_id;
    cmd->value = value;
    if (room_thread_post(r->thread, fn, cmd, av_free) >= 0)
        c->status = 200;
}

void sip_room_dtmf(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    sip_room_post(s, c, sip_room_cmd_dtmf, c->key);
}

void sip_room_admit(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    sip_room_post(s, c, sip_room_cmd_admit, 0);
}

void sip_room_wrong_pin(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    sip_room_post(s, c, sip_room_cmd_wrong_pin, 0);
}

void sip_room_hold(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    sip_room_post(s, c, sip_room_cmd_hold, c->held);
}

void sip_room_video(struct server *s, void *arg)
{
    struct sip_room_call *c = arg;
    struct server_room *r = c->participant_id ? sip_room_of(s, c) : NULL;
    int ret = r ? participant_pause_video(s, r, c->participant_id, c->video_paused) : AVERROR(ENOENT);

    c->status = ret >= 0 ? 200 : ret == AVERROR(ENOENT) ? 404 : 500;
}

/* ---- SIP INFO DTMF ---- */

static char sip_room_key_of(const char *v, size_t n)
{
    static const char keys[] = "0123456789*#ABCD";

    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n == 1 && strchr(keys, v[0] >= 'a' && v[0] <= 'd' ? v[0] - 32 : v[0]) && v[0])
        return v[0] >= 'a' && v[0] <= 'd' ? (char)(v[0] - 32) : v[0];
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return keys[10 + v[1] - '0'];                /* RFC 4733 event codes 10-15 */
    return 0;
}

char sip_room_info_key(const char *type, const char *body, size_t len)
{
    const char *p = body, *end = body + len;

    if (!type || !body)
        return 0;
    if (!strcasecmp(type, "application/dtmf"))
        return sip_room_key_of(body, len);
    if (strcasecmp(type, "application/dtmf-relay"))
        return 0;
    while (p < end) {                                /* "Name=value" lines */
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *eq;
        size_t n = (size_t)((eol ? eol : end) - p);

        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        eq = memchr(p, '=', n);
        if (eq && eq - p >= 6 && !strncasecmp(p, "Signal", 6) && strspn(p + 6, " \t") >= (size_t)(eq - p - 6))
            return sip_room_key_of(eq + 1, n - (size_t)(eq + 1 - p));
        p = eol ? eol + 1 : end;
    }
    return 0;
}

/* ---- text from SIP headers ---- */

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when invalid. */
static size_t sip_room_utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
                 (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    uint32_t cp;

    if (!len || len > n)
        return 0;
    cp = len == 1 ? p[0] : p[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void sip_room_clean_text(const char *text, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    size_t n = strlen((const char *)p), len = 0;

    if (!size)
        return;
    while (n) {
        size_t c = sip_room_utf8_len(p, n);
        if (!c || (c == 1 && (*p < 0x20 || *p == 0x7f || (*p == ' ' && !len)))) {
            p++, n--;
            continue;
        }
        if (len + c >= size)
            break;
        memcpy(out + len, p, c);
        len += c;
        p += c, n -= c;
    }
    while (len && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
}

/* ---- re-INVITE answers ---- */

static int sip_room_sends(enum sdp_direction d)
{
    return d == SDP_SENDRECV || d == SDP_SENDONLY;
}

static int sip_room_receives(enum sdp_direction d)
{
    return d == SDP_SENDRECV || d == SDP_RECVONLY;
}

static enum sdp_direction sip_room_direction(int send, int recv)
{
    return send && recv ? SDP_SENDRECV : send ? SDP_SENDONLY : recv ? SDP_RECVONLY : SDP_INACTIVE;
}

static const struct sdp_format *sip_room_find_format(const struct sdp_media *m, const struct sdp_format *f)
{
    for (int i = 0; i < m->format_count; i++) {
        const struct sdp_format *o = &m->formats[i];
        if (f->encoding[0] ? !strcasecmp(o->encoding, f->encoding) && o->clock_rate == f->clock_rate
                           : o->payload_type == f->payload_type)
            return o;
    }
    return NULL;
}

/* One m= line of the re-answer: ours, restricted to what the offer o still has. */
static int sip_room_reanswer_media(struct sdp_media *m, const struct sdp_media *o, char *err, size_t err_size)
{
    int kept = 0, codecs = 0;
    char codec[32] = "?";

    for (int i = m->format_count - 1; i >= 0; i--)
        if (strcasecmp(m->formats[i].encoding, "telephone-event"))
            snprintf(codec, sizeof(codec), "%s", m->formats[i].encoding);
    if (strcmp(m->type, o->type)) {
        snprintf(err, err_size, "re-INVITE has %s where the call has %s", o->type, m->type);
        return AVERROR(ENOTSUP);
    }
    if (m->port == 0)
        return 0;
    if (o->port == 0) {
        m->port = 0;
        return 0;
    }
    for (int i = 0; i < m->format_count; i++) {
        const struct sdp_format *f = sip_room_find_format(o, &m->formats[i]);
        int dtmf = !strcasecmp(m->formats[i].encoding, "telephone-event");
        int dup = 0;
        for (int k = 0; f && k < kept; k++)
            dup |= m->formats[k].payload_type == f->payload_type;
        if (!f || dup)
            continue;
        m->formats[kept] = m->formats[i];
        m->formats[kept++].payload_type = f->payload_type;
        codecs += !dtmf;
    }
    if (!codecs) {
        snprintf(err, err_size, "re-INVITE without the call's %s codec %s: changing codecs is not supported yet",
                 m->type, codec);
        return AVERROR(ENOTSUP);
    }
    m->format_count = kept;
    m->direction = sip_room_direction(sip_room_sends(m->direction) && sip_room_receives(o->direction),
                                      sip_room_receives(m->direction) && sip_room_sends(o->direction));
    return 0;
}

int sip_room_sdp_sends(const char *sdp, const char *type)
{
    struct sdp_session *sess = NULL;
    char err[128];
    int sends = 0;

    if (sdp_session_alloc(&sess) < 0 || sdp_parse(sess, sdp, strlen(sdp), err, sizeof(err)) < 0) {
        sdp_session_free(&sess);
        return 0;
    }
    for (int i = 0; i < sess->media_count; i++) {
        const struct sdp_media *m = &sess->media[i];
        if (!strcmp(m->type, type) && m->port != 0) {
            sends = sip_room_sends(m->direction);
            break;
        }
    }
    sdp_session_free(&sess);
    return sends;
}

int sip_room_offer_holds(const char *offer, size_t offer_len)
{
    struct sdp_session *sdp = NULL;
    char err[128];
    int audio = 0, held = 1;

    if (sdp_session_alloc(&sdp) < 0 || sdp_parse(sdp, offer, offer_len, err, sizeof(err)) < 0) {
        sdp_session_free(&sdp);
        return 0;
    }
    for (int i = 0; i < sdp->media_count; i++) {
        const struct sdp_media *m = &sdp->media[i];
        if (strcmp(m->type, "audio") || m->port == 0)
            continue;
        audio = 1;
        held &= m->direction == SDP_SENDONLY || m->direction == SDP_INACTIVE || !strcmp(m->addr, "0.0.0.0");
    }
    sdp_session_free(&sdp);
    return audio && held;
}

int sip_room_reanswer(const char *local, const char *offer, size_t offer_len, uint64_t version,
                      char *out, size_t size, char *err, size_t err_size)
{
    struct sdp_session *ours = NULL, *theirs = NULL;
    int ret;

    if ((ret = sdp_session_alloc(&ours)) < 0 || (ret = sdp_session_alloc(&theirs)) < 0)
        goto fail;
    if ((ret = sdp_parse(ours, local, strlen(local), err, err_size)) < 0 ||
        (ret = sdp_parse(theirs, offer, offer_len, err, err_size)) < 0)
        goto fail;
    if (theirs->media_count != ours->media_count) {
        snprintf(err, err_size, "re-INVITE with %d m= lines, the call has %d: changing streams is not "
                 "supported yet", theirs->media_count, ours->media_count);
        ret = AVERROR(ENOTSUP);
        goto fail;
    }
    for (int i = 0; i < ours->media_count; i++)
        if ((ret = sip_room_reanswer_media(&ours->media[i], &theirs->media[i], err, err_size)) < 0)
            goto fail;
    ours->session_version = version;
    ret = sdp_write(ours, out, size);
    if (ret < 0)
        snprintf(err, err_size, "cannot write the answer: %s", av_err2str(ret));
fail:
    sdp_session_free(&ours);
    sdp_session_free(&theirs);
    return ret;
}
