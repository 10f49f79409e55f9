/* SIP dial-out, loop-thread side: the /rooms/{id}/dial routes, our offer for each
 * call, and the list of dialled calls that the SIP thread's reports update. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "signal/http.h"
#include "signal/participant.h"
#include "signal/server.h"
#include "signal/sip.h"
#include "signal/sip_dial.h"
#include "signal/sip_room.h"

#define SIP_DIAL_KEPT 64                 /* calls listed (the oldest finished go first) */
#define SIP_DIAL_MAX_ACTIVE 16           /* calls not answered yet, server-wide */

struct sip_dial {
    int id;
    char room[64];
    uint64_t room_serial;
    char uri[256];
    char name[64];
    char account[32];                    /* "" : none */
    int video;
    const char *state;
    int status;
    char reason[256];
    int participant_id;
};

struct sip_dial_list {
    struct sip_dial calls[SIP_DIAL_KEPT];
    int count;
    int next_id;
    int64_t window_ms;                   /* the current second of the rate limit */
    int window_count;
};

int sip_dial_list_alloc(struct sip_dial_list **out)
{
    struct sip_dial_list *l = av_mallocz(sizeof(*l));

    if (!l)
        return AVERROR(ENOMEM);
    l->next_id = 1;
    *out = l;
    return 0;
}

void sip_dial_list_free(struct sip_dial_list **p)
{
    av_freep(p);
}

static int sip_dial_is_over(const struct sip_dial *d)
{
    return !strcmp(d->state, "failed") || !strcmp(d->state, "ended");
}

static struct sip_dial *sip_dial_find(struct sip_dial_list *l, int id)
{
    for (int i = 0; i < l->count; i++)
        if (l->calls[i].id == id)
            return &l->calls[i];
    return NULL;
}

static json_t *sip_dial_json(const struct sip_dial *d)
{
    json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:i, s:s, s:b}", "id", d->id, "uri", d->uri, "name", d->name,
                          "state", d->state, "status", d->status, "reason", d->reason, "video", d->video);

    if (j && d->account[0])
        json_object_set_new(j, "account", json_string(d->account));
    if (j)
        json_object_set_new(j, "participant", d->participant_id ? json_integer(d->participant_id) : json_null());
    return j;
}

json_t *sip_dial_room_json(struct server *s, const struct server_room *r)
{
    json_t *list = json_array();

    for (int i = 0; s->dials && list && i < s->dials->count; i++)
        if (s->dials->calls[i].room_serial == r->serial)
            json_array_append_new(list, sip_dial_json(&s->dials->calls[i]));
    return list;
}

void sip_dial_report(struct server *s, void *arg)
{
    struct sip_dial_report *rep = arg;
    struct sip_dial *d = s->dials ? sip_dial_find(s->dials, rep->id) : NULL;

    participant_pending_free(&rep->pending);
    if (!d || sip_dial_is_over(d))
        return;
    d->state = rep->state;
    d->status = rep->status;
    snprintf(d->reason, sizeof(d->reason), "%s", rep->reason);
    if (rep->participant_id)
        d->participant_id = rep->participant_id;
    log_info("room %s: dialled call %d to %s: %s (%d %s)", d->room, d->id, d->uri, d->state, d->status, d->reason);
}

/* ---- the request ---- */

/* Whether uri is "sip:[user@]host[:port][;params]" without spaces, quotes or
 * angle brackets. err gets why not. */
static int sip_dial_valid_uri(const char *uri, char *err, size_t err_size)
{
    const char *host;

    if (!uri || strlen(uri) >= sizeof(((struct sip_dial *)0)->uri)) {
        snprintf(err, err_size, "\"uri\" must be a string under 256 bytes");
        return 0;
    }
    if (!strncasecmp(uri, "sips:", 5)) {
        snprintf(err, err_size, "sips: URIs are not supported (no SIP over TLS)");
        return 0;
    }
    if (strncasecmp(uri, "sip:", 4)) {
        snprintf(err, err_size, "\"uri\" must be a sip: URI (sip:user@host[:port])");
        return 0;
    }
    for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("<>\"\\", *p)) {
            snprintf(err, err_size, "\"uri\" has a space, a control character, a quote or an angle bracket");
            return 0;
        }
    host = strchr(uri + 4, '@');
    host = host ? host + 1 : uri + 4;
    if (!*host || *host == ':' || *host == ';' || strchr(host, '@')) {
        snprintf(err, err_size, "\"uri\" has no host: sip:user@host[:port]");
        return 0;
    }
    return 1;
}

/* The participant's name: the request's, else the URI's user part, else its host. */
static void sip_dial_name(const char *name, const char *uri, char *out, size_t size)
{
    char user[256];
    const char *at = strchr(uri + 4, '@');
    size_t n;

    if (name && *name) {
        sip_room_clean_text(name, out, size);
        if (out[0])
            return;
    }
    n = at ? (size_t)(at - uri - 4) : strcspn(uri + 4, ":;");
    snprintf(user, sizeof(user), "%.*s", (int)n, uri + 4);
    sip_room_clean_text(user, out, size);
}

static int64_t sip_dial_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Room for one more call in the list (the oldest finished one goes), or NULL
 * when SIP_DIAL_MAX_ACTIVE calls are not answered yet or the list is full of
 * live calls. */
static struct sip_dial *sip_dial_slot(struct sip_dial_list *l, char *err, size_t err_size)
{
    int active = 0;

    for (int i = 0; i < l->count; i++)
        active += !strcmp(l->calls[i].state, "calling") || !strcmp(l->calls[i].state, "ringing");
    if (active >= SIP_DIAL_MAX_ACTIVE) {
        snprintf(err, err_size, "%d calls are being dialled already", active);
        return NULL;
    }
    if (l->count == SIP_DIAL_KEPT) {
        int i = 0;
        while (i < l->count && !sip_dial_is_over(&l->calls[i]))
            i++;
        if (i == l->count) {
            snprintf(err, err_size, "%d dialled calls are live", l->count);
            return NULL;
        }
        memmove(&l->calls[i], &l->calls[i + 1], (size_t)(l->count - i - 1) * sizeof(l->calls[0]));
        l->count--;
    }
    memset(&l->calls[l->count], 0, sizeof(l->calls[0]));
    return &l->calls[l->count];
}

/* From header of our INVITE: the account's, else "tessera" at our SIP address. */
static void sip_dial_from(const struct server *s, const struct config_sip_account *acc, char *out, size_t size)
{
    const char *addr = s->cfg.sip_address;

    if (acc && acc->from[0])
        snprintf(out, size, "%s", acc->from);
    else
        snprintf(out, size, strchr(addr, ':') ? "\"tessera\" <sip:tessera@[%s]:%d>" : "\"tessera\" <sip:tessera@%s:%d>",
                 addr, s->cfg.sip_port);
}

/* Checks the body; NULL after a 400. */
static const struct config_sip_account *sip_dial_parse(struct server *s, json_t *body, struct evhttp_request *req,
                                                       const char **uri, const char **name, int *video, int *bad)
{
    const char *account = json_string_value(json_object_get(body, "account"));
    json_t *jname = json_object_get(body, "name"), *jvideo = json_object_get(body, "video");
    json_t *jaccount = json_object_get(body, "account");
    const struct config_sip_account *acc;
    char err[256];

    *bad = 1;
    *uri = json_string_value(json_object_get(body, "uri"));
    *name = json_string_value(jname);
    if (!sip_dial_valid_uri(*uri, err, sizeof(err))) {
        http_reply_error(req, 400, "%s; expected {\"uri\": \"sip:user@host[:port]\", \"name\"?, \"account\"?, "
                         "\"video\"?: bool}", err);
        return NULL;
    }
    if ((jname && (!*name || strlen(*name) >= 64)) || (jvideo && !json_is_boolean(jvideo)) ||
        (jaccount && !account)) {
        http_reply_error(req, 400, "\"name\" must be a string under 64 bytes, \"video\" a boolean, "
                         "\"account\" a string");
        return NULL;
    }
    *video = json_is_true(jvideo);
    acc = config_find_sip_account(&s->cfg, account);
    if (account && !acc) {
        http_reply_error(req, 400, "no sip_accounts entry named \"%s\" in the config", account);
        return NULL;
    }
    *bad = 0;
    return acc;
}

static void sip_dial_create(struct server *s, struct server_room *r, struct evhttp_request *req)
{
    json_t *body = http_read_json(req);
    const struct config_sip_account *acc;
    struct sip_dial_order *o = NULL;
    struct sip_dial *d;
    const char *uri, *name;
    char err[512] = "", location[256];
    int video, bad, ret;
    int64_t now = sip_dial_now_ms();

    if (!body)
        return;
    acc = sip_dial_parse(s, body, req, &uri, &name, &video, &bad);
    if (bad)
        goto done;
    if (now - s->dials->window_ms >= 1000) {
        s->dials->window_ms = now;
        s->dials->window_count = 0;
    }
    if (s->dials->window_count >= s->cfg.sip_dial_rate) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
        http_reply_error(req, 429, "more than sip_dial_rate (%d) calls dialled in one second", s->cfg.sip_dial_rate);
        goto done;
    }
    if (!(d = sip_dial_slot(s->dials, err, sizeof(err)))) {
        http_reply_error(req, 503, "%s", err);
        goto done;
    }
    if (!(o = av_mallocz(sizeof(*o)))) {
        http_reply_error(req, 500, "out of memory");
        goto done;
    }
    ret = participant_offer_media(s, r, &participant_prefs_legacy, video, &o->pending, o->offer, sizeof(o->offer),
                                  err, sizeof(err));
    if (ret < 0) {
        http_reply_error(req, ret == AVERROR(ENOSPC) || ret == AVERROR(EADDRINUSE) ? 503 : 500, "%s",
                         err[0] ? err : av_err2str(ret));
        goto done;
    }
    d->id = s->dials->next_id++;
    snprintf(d->room, sizeof(d->room), "%s", r->id);
    d->room_serial = r->serial;
    snprintf(d->uri, sizeof(d->uri), "%s", uri);
    sip_dial_name(name, uri, d->name, sizeof(d->name));
    snprintf(d->account, sizeof(d->account), "%s", acc ? acc->name : "");
    d->video = video;
    d->state = "calling";
    o->id = d->id;
    snprintf(o->uri, sizeof(o->uri), "%s", d->uri);
    snprintf(o->name, sizeof(o->name), "%s", d->name);
    snprintf(o->room, sizeof(o->room), "%s", r->id);
    o->room_serial = r->serial;
    sip_dial_from(s, acc, o->from, sizeof(o->from));
    if (acc) {
        snprintf(o->auth_user, sizeof(o->auth_user), "%s", acc->username);
        snprintf(o->auth_password, sizeof(o->auth_password), "%s", acc->password);
        snprintf(o->auth_realm, sizeof(o->auth_realm), "%s", acc->realm);
    }
    o->timeout_s = s->cfg.sip_dial_timeout_s;
    ret = sip_dial(s->sip, o);
    o = NULL;
    if (ret < 0) {
        http_reply_error(req, 503, "the SIP thread has too many calls to place; try again");
        goto done;
    }
    s->dials->count++;
    s->dials->window_count++;
    log_info("room %s: dialling %s as \"%s\" (call %d%s%s)", r->id, d->uri, d->name, d->id,
             acc ? ", account " : "", acc ? acc->name : "");
    snprintf(location, sizeof(location), "/rooms/%s/dial/%d", r->id, d->id);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
    http_reply_json(req, 202, sip_dial_json(d));
done:
    if (o)
        participant_pending_free(&o->pending);
    av_free(o);
    json_decref(body);
}

static void sip_dial_delete(struct server *s, struct server_room *r, struct evhttp_request *req, const char *cid)
{
    char *end;
    long id = strtol(cid, &end, 10);
    struct sip_dial *d = *end || id <= 0 || id > 1 << 30 ? NULL : sip_dial_find(s->dials, (int)id);

    if (!d || d->room_serial != r->serial) {
        http_reply_error(req, 404, "no dialled call %s in room %s", cid, r->id);
        return;
    }
    if (!sip_dial_is_over(d) && sip_dial_hang_up(s->sip, d->id) < 0) {
        http_reply_error(req, 503, "the SIP thread has too many requests; try again");
        return;
    }
    http_reply_text(req, 204, "application/json", "", 0);
}

void api_dial(struct server *s, struct server_room *r, struct evhttp_request *req, char seg[][128], int n)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);

    if (!s->sip) {
        http_reply_error(req, 503, "SIP is off: set \"sip_port\" in the config to dial out");
        return;
    }
    if (!s->dials && sip_dial_list_alloc(&s->dials) < 0) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    if (n == 3 && method == EVHTTP_REQ_POST) {
        sip_dial_create(s, r, req);
    } else if (n == 3 && method == EVHTTP_REQ_GET) {
        http_reply_json(req, 200, json_pack("{s:o}", "calls", sip_dial_room_json(s, r)));
    } else if (n == 4 && method == EVHTTP_REQ_DELETE) {
        sip_dial_delete(s, r, req, seg[3]);
    } else if (n == 4 && method == EVHTTP_REQ_GET) {
        struct sip_dial *d = sip_dial_find(s->dials, atoi(seg[3]));
        if (!d || d->room_serial != r->serial)
            http_reply_error(req, 404, "no dialled call %s in room %s", seg[3], r->id);
        else
            http_reply_json(req, 200, sip_dial_json(d));
    } else {
        http_reply_error(req, 405, "dial: POST or GET /rooms/ID/dial, GET or DELETE /rooms/ID/dial/CALLID");
    }
}
