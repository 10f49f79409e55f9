/* WHIP routes: the browser's offer -> a participant on a WebRTC transport, and
 * the transport's failures -> the participant's removal.
 *
 * Threads: the routes, whip_start and whip_stop run on the loop thread. Transport
 * events (net/webrtc.h) arrive on the ICE thread; a closed transport's removal
 * runs on the loop thread through loop_call_run, which the ICE thread waits on
 * (the loop thread never waits on the ICE thread: it only posts to it). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libavutil/avstring.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "codecs/codec.h"
#include "mixer/log.h"
#include "net/dtls.h"
#include "net/ice.h"
#include "net/rtp_endpoint.h"
#include "net/webrtc.h"
#include "signal/http.h"
#include "signal/loop_call.h"
#include "signal/participant_priv.h"
#include "signal/sdp.h"
#include "signal/server.h"
#include "signal/whip.h"
#include "signal/whip_priv.h"

#define WHIP_QUEUE_SLOTS 640             /* video and audio share the bundled endpoint */

/* What browsers send that tessera decodes. */
static const char *const whip_prefs_audio[] = { "opus/48000", "G722/8000", "PCMU/8000", "PCMA/8000" };
static const char *const whip_prefs_video[] = { "H264/90000", "VP8/90000" };
static const struct participant_prefs whip_prefs = { whip_prefs_audio, 4, whip_prefs_video, 2 };

int whip_start(struct server *s)
{
    int ret;

    for (int i = 0; i < s->cfg.ice_address_count; i++) {
        unsigned char addr[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, s->cfg.ice_addresses[i], addr) != 1 &&
            inet_pton(AF_INET6, s->cfg.ice_addresses[i], addr) != 1) {
            log_error("config: ice_addresses: \"%s\" is not an IP address", s->cfg.ice_addresses[i]);
            return AVERROR(EINVAL);
        }
    }
    if (s->cfg.dtls_cert[0]) {
        char err[1536] = "";
        ret = dtls_cert_load(&s->dtls_cert, s->cfg.dtls_cert, s->cfg.dtls_key, err, sizeof(err));
        if (ret < 0) {
            log_error("config: %s", err[0] ? err : av_err2str(ret));
            return ret;
        }
        log_info("WebRTC: DTLS certificate %s (sha-256 %s)", s->cfg.dtls_cert, dtls_cert_fingerprint(s->dtls_cert));
    } else if ((ret = dtls_cert_generate(&s->dtls_cert)) < 0) {
        log_error("WebRTC: cannot generate the DTLS certificate: %s", av_err2str(ret));
        return ret;
    }
    ret = ice_thread_start(&s->ice);
    if (ret < 0) {
        log_error("WebRTC: cannot start the ICE thread: %s", av_err2str(ret));
        dtls_cert_free(&s->dtls_cert);
    }
    return ret;
}

void whip_transport_close(void *transport)
{
    struct webrtc_peer *peer = transport;

    webrtc_peer_close(&peer);
}

/* Closes a participant's or an output's transport when it is a WebRTC one. */
static void whip_close_owned(void **transport, server_transport_close_fn *close)
{
    if (*close == whip_transport_close) {
        whip_transport_close(*transport);
        *transport = NULL;
        *close = NULL;
    }
}

void whip_stop(struct server *s)
{
    for (int i = 0; i < s->room_count; i++) {
        struct server_room *r = s->rooms[i];
        for (int j = 0; r && j < r->participant_count; j++)
            whip_close_owned(&r->participants[j].transport, &r->participants[j].transport_close);
        for (int j = 0; r && j < r->output_count; j++)
            whip_close_owned(&r->outputs[j].transport, &r->outputs[j].transport_close);
    }
    ice_thread_stop(&s->ice);
    dtls_cert_free(&s->dtls_cert);
}

/* Loop thread (through loop_call_run): the transport closed, remove its participant. */
static void whip_remove_on_loop(struct server *s, void *arg)
{
    const struct whip_link *l = arg;
    struct server_room *r = server_find_room(s, l->room);

    if (r && participant_delete(s, r, l->id) >= 0)
        log_info("room %s: %s left (participant %d)", l->room, l->name, l->id);
}

void whip_on_event(void *opaque, enum webrtc_event event, const char *detail)
{
    struct whip_link *l = opaque;

    switch (event) {
    case WEBRTC_EVENT_CONNECTED:
        log_info("room %s: %s (%s %d): ICE connected", l->room, l->name, l->what, l->id);
        break;
    case WEBRTC_EVENT_SECURE:
        log_info("room %s: %s (%s %d): DTLS-SRTP established (%s)", l->room, l->name, l->what, l->id, detail);
        break;
    case WEBRTC_EVENT_ENDED:
    case WEBRTC_EVENT_FAILED:
        if (event == WEBRTC_EVENT_ENDED)
            log_info("room %s: %s (%s %d): %s", l->room, l->name, l->what, l->id, detail);
        else
            log_warn("room %s: %s (%s %d): %s; removing it", l->room, l->name, l->what, l->id, detail);
        loop_call_run(l->server->calls, l->remove, l);
        break;
    }
}

/* 1 when mid is one of the space-separated mids of a BUNDLE group. */
static int whip_bundled(const char *group, const char *mid)
{
    size_t n = strlen(mid);

    for (const char *p = group; n && (p = strstr(p, mid)); p += n)
        if ((p == group || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
            return 1;
    return 0;
}

/* An audio or video section over SRTP that is in use: a port, or port 0 with
 * a=bundle-only inside the BUNDLE group (RFC 9143 §7.3: Firefox's max-bundle offers). */
static int whip_is_webrtc_media(const struct sdp_session *s, const struct sdp_media *m)
{
    int used = m->port > 0 || (m->bundle_only && whip_bundled(s->bundle, m->mid));

    return used && strstr(m->proto, "RTP/SAVP") && (!strcmp(m->type, "audio") || !strcmp(m->type, "video"));
}

/* Codec choice per m= line: the first audio and the first video line we can
 * decode are taken, every other line is rejected. */
static int whip_negotiate(struct whip_offer *o, const struct participant_prefs *prefs, char *err,
                          size_t err_size)
{
    int first_error = 0;

    for (int i = 0; i < o->offer->media_count; i++) {
        const struct sdp_media *m = &o->offer->media[i];
        int is_audio = !strcmp(m->type, "audio");
        struct participant_stream **slot = is_audio ? &o->audio : &o->video;
        int ret;

        o->answer->media_count++;
        if (!whip_is_webrtc_media(o->offer, m) || *slot) {
            participant_reject_media(m, &o->answer->media[i]);
            continue;
        }
        ret = participant_choose_codec(m, &o->answer->media[i], prefs, &o->streams[i], err, err_size);
        if (ret < 0) {
            if (!first_error)
                first_error = ret;
            participant_reject_media(m, &o->answer->media[i]);
            continue;
        }
        *slot = &o->streams[i];
        if (!o->transport)
            o->transport = m;
    }
    if (o->audio || o->video)
        return 0;
    if (!first_error)
        snprintf(err, err_size, "no audio or video m= line over UDP/TLS/RTP/SAVPF");
    return first_error ? first_error : SDP_ERROR_NO_COMMON_CODEC;
}

/* One transport for everything: ICE credentials, a fingerprint, a setup role we
 * can take, rtcp-mux, and audio and video in one BUNDLE group. */
static int whip_check_transport(const struct whip_offer *o, char *err, size_t err_size)
{
    const struct sdp_media *t = o->transport;
    const struct participant_stream *both[2] = { o->audio, o->video };

    if (!t->ice_ufrag[0] || !t->ice_pwd[0])
        snprintf(err, err_size, "the offer has no a=ice-ufrag/a=ice-pwd");
    else if (!t->fingerprint[0])
        snprintf(err, err_size, "the offer has no a=fingerprint");
    else if (strcmp(t->setup, "actpass") && strcmp(t->setup, "active"))
        snprintf(err, err_size, "a=setup:%s is not supported (tessera is the DTLS server: offer actpass or active)",
                 t->setup[0] ? t->setup : "(none)");
    else
        err[0] = '\0';
    for (int i = 0; i < 2 && !err[0]; i++) {
        const struct sdp_media *m = both[i] ? &o->offer->media[both[i] - o->streams] : NULL;
        if (m && !m->rtcp_mux)
            snprintf(err, err_size, "%s: a=rtcp-mux is required", m->type);
        else if (m && o->audio && o->video && !whip_bundled(o->offer->bundle, m->mid))
            snprintf(err, err_size, "audio and video must share one a=group:BUNDLE (mid %s is not in it)",
                     m->mid[0] ? m->mid : "(none)");
    }
    return err[0] ? AVERROR_INVALIDDATA : 0;
}

int whip_offer_parse(struct whip_offer *o, const char *text, size_t len, const struct participant_prefs *prefs,
                     char *err, size_t err_size)
{
    int ret;

    if ((ret = sdp_session_alloc(&o->offer)) < 0 || (ret = sdp_session_alloc(&o->answer)) < 0 ||
        (ret = sdp_parse(o->offer, text, len, err, err_size)) < 0 ||
        (ret = whip_negotiate(o, prefs, err, err_size)) < 0)
        return ret;
    return whip_check_transport(o, err, err_size);
}

int whip_ice_candidates(const struct sdp_candidate *in, int count, struct ice_candidate *out, int max)
{
    int n = 0;

    for (int i = 0; i < count && n < max; i++) {
        const struct sdp_candidate *c = &in[i];
        if (c->component != 1 || strcasecmp(c->transport, "udp"))
            continue;
        memset(&out[n], 0, sizeof(out[n]));
        snprintf(out[n].foundation, sizeof(out[n].foundation), "%s", c->foundation);
        snprintf(out[n].addr, sizeof(out[n].addr), "%s", c->addr);
        snprintf(out[n].type, sizeof(out[n].type), "%s", c->type);
        out[n].priority = c->priority;
        out[n].port = c->port;
        n++;
    }
    return n;
}

int whip_peer_open(struct server *s, struct whip_offer *o, char *err, size_t err_size)
{
    const struct sdp_media *t = o->transport;
    struct ice_candidate remote[SDP_MAX_CANDIDATES];
    const char *addresses[CONFIG_MAX_ICE_ADDRESSES];
    struct webrtc_peer_config cfg = { 0 };
    int n;

    n = whip_ice_candidates(t->candidates, t->candidate_count, remote, SDP_MAX_CANDIDATES);
    for (int i = 0; i < s->cfg.ice_address_count; i++)
        addresses[i] = s->cfg.ice_addresses[i];
    cfg.ice_thread = s->ice;
    cfg.cert = s->dtls_cert;
    cfg.ice.addresses = addresses;
    cfg.ice.address_count = s->cfg.ice_address_count;
    cfg.ice.port_min = s->cfg.rtp_port_min;
    cfg.ice.port_max = s->cfg.rtp_port_max;
    cfg.ice.remote_ufrag = t->ice_ufrag;
    cfg.ice.remote_pwd = t->ice_pwd;
    cfg.ice.remote_candidates = remote;
    cfg.ice.remote_candidate_count = n;
    cfg.fingerprint_alg = t->fingerprint_alg;
    cfg.fingerprint = t->fingerprint;
    cfg.timeout_s = s->cfg.ice_timeout_s;
    cfg.queue_slots = WHIP_QUEUE_SLOTS;
    return webrtc_peer_alloc(&o->peer, &cfg, err, err_size);
}

static int whip_open_transport(struct server *s, struct whip_offer *o, char *err, size_t err_size)
{
    int ret = whip_peer_open(s, o, err, err_size);

    if (ret < 0)
        return ret;
    /* Publish only: the browser sends, tessera decrypts in the transport. */
    for (int i = 0; i < 2; i++) {
        struct participant_stream *st = i ? o->video : o->audio;
        if (!st)
            continue;
        st->ep = rtp_endpoint_ref(webrtc_peer_endpoint(o->peer));
        st->used = 1;
        st->sends = 1;
        st->receives = 0;
        st->srtp = 0;
    }
    return 0;
}

int whip_fill_answer(struct server *s, struct whip_offer *o, enum sdp_direction direction)
{
    struct ice_candidate local[ICE_MAX_CANDIDATES];
    char ufrag[64], pwd[128];
    int count = webrtc_peer_local_candidates(o->peer, local, ICE_MAX_CANDIDATES);
    int ret = webrtc_peer_local_credentials(o->peer, ufrag, sizeof(ufrag), pwd, sizeof(pwd));

    if (ret < 0 || count <= 0)
        return ret < 0 ? ret : AVERROR(EADDRNOTAVAIL);
    for (int i = 0; i < 2; i++) {
        struct participant_stream *st = i ? o->video : o->audio;
        struct sdp_media *a = st ? &o->answer->media[st - o->streams] : NULL;
        if (!a)
            continue;
        a->port = local[0].port;
        snprintf(a->addr, sizeof(a->addr), "%s", local[0].addr);
        a->rtcp_mux = 1;
        a->direction = direction;
        snprintf(a->ice_ufrag, sizeof(a->ice_ufrag), "%s", ufrag);
        snprintf(a->ice_pwd, sizeof(a->ice_pwd), "%s", pwd);
        snprintf(a->fingerprint_alg, sizeof(a->fingerprint_alg), "sha-256");
        snprintf(a->fingerprint, sizeof(a->fingerprint), "%s", dtls_cert_fingerprint(s->dtls_cert));
        snprintf(a->setup, sizeof(a->setup), "passive");
        for (int c = 0; c < count && c < SDP_MAX_CANDIDATES; c++) {
            struct sdp_candidate *sc = &a->candidates[a->candidate_count++];
            memset(sc, 0, sizeof(*sc));
            av_strlcpy(sc->foundation, local[c].foundation, sizeof(sc->foundation));
            sc->component = 1;
            snprintf(sc->transport, sizeof(sc->transport), "udp");
            sc->priority = local[c].priority;
            snprintf(sc->addr, sizeof(sc->addr), "%s", local[c].addr);
            sc->port = local[c].port;
            snprintf(sc->type, sizeof(sc->type), "host");
        }
        a->end_of_candidates = 1;
        /* Feedback tessera acts on, when the offer has it: from a publisher NACK
         * and PLI; from a viewer (we send) also FIR (a keyframe, as PLI) and REMB
         * (the adaptive profile, mixer/adapt.c). No transport-cc. */
        for (int f = 0; f < a->format_count; f++) {
            a->formats[f].fb_transport_cc = 0;
            if (direction != SDP_SENDONLY)
                a->formats[f].fb_goog_remb = a->formats[f].fb_ccm_fir = 0;
        }
        if (o->answer->bundle[0])
            strncat(o->answer->bundle, " ", sizeof(o->answer->bundle) - strlen(o->answer->bundle) - 1);
        strncat(o->answer->bundle, a->mid, sizeof(o->answer->bundle) - strlen(o->answer->bundle) - 1);
    }
    return 0;
}

void whip_offer_free(struct whip_offer *o)
{
    participant_streams_release(o->streams);
    webrtc_peer_close(&o->peer);
    sdp_session_free(&o->offer);
    sdp_session_free(&o->answer);
}

/* The offer -> a participant with a started transport and our answer in res. */
int whip_link_start(struct server *s, struct webrtc_peer *peer, const struct server_room *r, const char *name,
                    const char *what, int id, void (*remove)(struct server *s, void *link))
{
    struct whip_link *link = av_mallocz(sizeof(*link));
    int ret;

    if (!link)
        return AVERROR(ENOMEM);
    link->server = s;
    link->id = id;
    link->what = what;
    link->remove = remove;
    snprintf(link->room, sizeof(link->room), "%s", r->id);
    snprintf(link->name, sizeof(link->name), "%s", name);
    ret = webrtc_peer_start(peer, whip_on_event, link, av_free);
    if (ret < 0)
        av_free(link);
    return ret;
}

static int whip_publish(struct server *s, struct server_room *r, const char *text, size_t len,
                        struct evkeyvalq *query, struct participant_result *res, char *err, size_t err_size)
{
    struct participant_request req = { .offer = text, .offer_len = len, .name = evhttp_find_header(query, "name"),
                                       .prefs = &whip_prefs, .transport_close = whip_transport_close };
    struct whip_offer o = { 0 };
    struct server_participant *sp;
    int ret;

    if ((ret = participant_room_full(r, err, err_size)) < 0 ||
        (ret = whip_offer_parse(&o, text, len, &whip_prefs, err, err_size)) < 0 ||
        (ret = whip_open_transport(s, &o, err, err_size)) < 0)
        goto fail;
    if ((ret = whip_fill_answer(s, &o, SDP_RECVONLY)) < 0) {
        snprintf(err, err_size, "no local ICE candidate: %s", av_err2str(ret));
        goto fail;
    }
    req.transport = o.peer;
    ret = participant_add(s, r, &req, o.streams, o.audio, o.video, o.transport->addr, res, &sp, err, err_size);
    if (ret < 0)
        goto fail;
    o.peer = NULL;                       /* the participant owns it now */
    participant_answer_session(s, r, sp->id, o.answer);
    ret = sdp_write(o.answer, res->answer, sizeof(res->answer));
    if (ret >= 0)
        ret = whip_link_start(s, req.transport, r, sp->name, "participant", sp->id, whip_remove_on_loop);
    if (ret < 0) {
        snprintf(err, err_size, "cannot answer: %s", av_err2str(ret));
        participant_delete(s, r, sp->id);
        goto fail;
    }
    ret = 0;
    log_info("room %s: %s joined over WHIP (participant %d, %s%s%s)", r->id, sp->name, sp->id,
             o.video ? o.video->codec->name : "", o.video && o.audio ? " + " : "",
             o.audio ? o.audio->codec->name : "");
fail:
    whip_offer_free(&o);
    return ret;
}

static int whip_status(int ret)
{
    if (ret == AVERROR(ENOSPC) || ret == AVERROR(EADDRINUSE) || ret == AVERROR(EADDRNOTAVAIL))
        return 503;
    if (ret == AVERROR_INVALIDDATA || ret == AVERROR(EINVAL) || ret == SDP_ERROR_NO_COMMON_CODEC)
        return 400;
    if (ret == AVERROR(ENOENT))
        return 404;
    return 500;
}

static void whip_handle_post(struct server *s, struct evhttp_request *req, const char *route,
                             const char *room_id, whip_answer_fn answer, whip_find_fn find)
{
    struct webrtc_peer *peer;
    char etag[160];
    struct server_room *r = server_find_room(s, room_id);
    const char *type = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct participant_result *res = NULL;
    struct evkeyvalq query = { 0 };
    char err[1024] = "", location[256];
    char *body = NULL;
    size_t len = 0;
    int ret;

    if (!r) {
        http_reply_error(req, 404, "no room %s", room_id);
        return;
    }
    if (!type || strncmp(type, "application/sdp", 15)) {
        http_reply_error(req, 415, "%s wants an application/sdp offer", !strcmp(route, "whep") ? "WHEP" : "WHIP");
        return;
    }
    body = http_read_body(req, &len);
    res = av_mallocz(sizeof(*res));
    if (!body || !res) {
        http_reply_error(req, body ? 500 : 413, body ? "out of memory" : "SDP over %d bytes", HTTP_MAX_BODY);
        goto done;
    }
    if (q)
        evhttp_parse_query_str(q, &query);
    ret = answer(s, r, body, len, &query, res, err, sizeof(err));
    if (ret < 0) {
        http_reply_error(req, whip_status(ret), "%s", err[0] ? err : av_err2str(ret));
        goto done;
    }
    snprintf(location, sizeof(location), "/%s/%s/%d", route, r->id, res->id);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
    peer = find(s, r, res->id);
    if (peer && whip_etag(peer, etag, sizeof(etag)) >= 0)
        evhttp_add_header(evhttp_request_get_output_headers(req), "ETag", etag);
    http_reply_text(req, 201, "application/sdp", res->answer, strlen(res->answer));
done:
    evhttp_clear_headers(&query);
    free(body);
    av_free(res);
}

static void whip_delete(struct server *s, struct evhttp_request *req, const char *room_id, const char *pid)
{
    struct server_room *r = server_find_room(s, room_id);
    int id = atoi(pid);

    for (int i = 0; r && i < r->participant_count; i++) {
        struct server_participant *sp = &r->participants[i];
        char name[64];
        if (sp->id != id || sp->transport_close != whip_transport_close)
            continue;
        snprintf(name, sizeof(name), "%s", sp->name);
        participant_delete(s, r, id);
        log_info("room %s: %s left (participant %d, WHIP DELETE)", r->id, name, id);
        http_reply_text(req, 200, "text/plain", "", 0);
        return;
    }
    http_reply_error(req, 404, "no WHIP session %s in room %s", pid, room_id);
}

void whip_route(struct server *s, struct evhttp_request *req, char seg[][128], int n, const char *route,
                whip_answer_fn answer, whip_delete_fn delete, whip_find_fn find)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);

    if (!s->ice)
        http_reply_error(req, 503, "WebRTC is not available (see the log at start-up)");
    else if (n == 2 && method == EVHTTP_REQ_POST)
        whip_handle_post(s, req, route, seg[1], answer, find);
    else if (n == 3 && method == EVHTTP_REQ_DELETE)
        delete(s, req, seg[1], seg[2]);
    else if (n == 3 && method == EVHTTP_REQ_PATCH)
        whip_patch(s, req, route, seg[1], seg[2], find);
    else
        http_reply_error(req, 405, "POST /%s/ROOM with an SDP offer, PATCH or DELETE /%s/ROOM/ID", route, route);
}

/* A publisher's transport (participants of the room with a WebRTC transport). */
static struct webrtc_peer *whip_find(struct server *s, struct server_room *r, int id)
{
    (void)s;
    for (int i = 0; i < r->participant_count; i++)
        if (r->participants[i].id == id && r->participants[i].transport_close == whip_transport_close)
            return r->participants[i].transport;
    return NULL;
}

void api_whip(struct server *s, struct evhttp_request *req, char seg[][128], int n)
{
    whip_route(s, req, seg, n, "whip", whip_publish, whip_delete, whip_find);
}
