/* PATCH on a WHIP or WHEP session (RFC 9725 §4.3, RFC 8840): trickled ICE
 * candidates and ICE restarts, with entity-tag checks. Loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <libavutil/avstring.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "net/ice.h"
#include "net/webrtc.h"
#include "signal/http.h"
#include "signal/sdpfrag.h"
#include "signal/server.h"
#include "signal/whip_priv.h"

#define WHIP_SDPFRAG_TYPE "application/trickle-ice-sdpfrag"

int whip_etag(struct webrtc_peer *peer, char *etag, size_t size)
{
    char ufrag[64], pwd[128];
    int ret = webrtc_peer_local_credentials(peer, ufrag, sizeof(ufrag), pwd, sizeof(pwd));

    if (ret < 0)
        return ret;
    return snprintf(etag, size, "\"%s\"", ufrag) < (int)size ? 0 : AVERROR(ENOSPC);
}

/* 0 when the request may change the session: no If-Match, "*", or our ETag. */
static int whip_if_match(struct evhttp_request *req, const char *etag)
{
    const char *want = evhttp_find_header(evhttp_request_get_input_headers(req), "If-Match");

    return !want || !strcmp(want, "*") || !strcmp(want, etag) ? 0 : -1;
}

/* The fragment's candidates and end-of-candidates to the agent. */
static int whip_trickle_add(struct ice_peer *ice, const struct sdpfrag *f)
{
    struct ice_candidate cands[SDP_MAX_CANDIDATES];
    int n = whip_ice_candidates(f->candidates, f->candidate_count, cands, SDP_MAX_CANDIDATES);
    int added = n ? ice_peer_add_remote_candidates(ice, cands, n) : 0;

    if (f->end_of_candidates)
        ice_peer_remote_gathering_done(ice);
    return added;
}

/* Restarts ICE and writes our new credentials and candidates, under the
 * client's own m= line and mid, into answer. */
static int whip_restart(struct webrtc_peer *peer, const struct sdpfrag *f, char *answer, size_t size, char *err,
                        size_t err_size)
{
    struct ice_peer *ice = webrtc_peer_ice(peer);
    struct ice_candidate local[ICE_MAX_CANDIDATES];
    struct sdpfrag *ours = av_mallocz(sizeof(*ours));
    int ret, count;

    if (!ours)
        return AVERROR(ENOMEM);
    if ((ret = ice_peer_restart(ice, f->ice_ufrag, f->ice_pwd, err, err_size)) < 0)
        goto done;
    ret = webrtc_peer_local_credentials(peer, ours->ice_ufrag, sizeof(ours->ice_ufrag), ours->ice_pwd,
                                        sizeof(ours->ice_pwd));
    count = webrtc_peer_local_candidates(peer, local, ICE_MAX_CANDIDATES);
    for (int i = 0; i < count && i < SDP_MAX_CANDIDATES; i++) {
        struct sdp_candidate *c = &ours->candidates[ours->candidate_count++];
        av_strlcpy(c->foundation, local[i].foundation, sizeof(c->foundation));
        c->component = 1;
        snprintf(c->transport, sizeof(c->transport), "udp");
        c->priority = local[i].priority;
        snprintf(c->addr, sizeof(c->addr), "%s", local[i].addr);
        c->port = local[i].port;
        snprintf(c->type, sizeof(c->type), "host");
    }
    ours->end_of_candidates = 1;
    snprintf(ours->media, sizeof(ours->media), "%s", f->media);
    snprintf(ours->mid, sizeof(ours->mid), "%s", f->mid);
    whip_trickle_add(ice, f);
    if (ret >= 0)
        ret = sdpfrag_write(ours, answer, size);
    if (ret < 0)
        snprintf(err, err_size, "cannot write the ICE restart answer: %s", av_err2str(ret));
done:
    av_free(ours);
    return ret;
}

void whip_patch(struct server *s, struct evhttp_request *req, const char *route, const char *room_id,
                const char *id_text, whip_find_fn find)
{
    struct server_room *r = server_find_room(s, room_id);
    struct webrtc_peer *peer = r ? find(s, r, atoi(id_text)) : NULL;
    const char *type = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    struct sdpfrag *f = NULL;
    char etag[160], err[512] = "", answer[4096];
    char *body = NULL;
    size_t len = 0;
    int ret;

    if (!peer || whip_etag(peer, etag, sizeof(etag)) < 0) {
        http_reply_error(req, 404, "no %s session %s in room %s", !strcmp(route, "whep") ? "WHEP" : "WHIP",
                         id_text, room_id);
        return;
    }
    if (!type || strncmp(type, WHIP_SDPFRAG_TYPE, strlen(WHIP_SDPFRAG_TYPE))) {
        http_reply_error(req, 415, "PATCH wants an %s body (trickle ICE, ICE restart)", WHIP_SDPFRAG_TYPE);
        return;
    }
    if (whip_if_match(req, etag) < 0) {
        http_reply_error(req, 412, "If-Match is not this session's entity-tag %s (ICE was restarted?)", etag);
        return;
    }
    body = http_read_body(req, &len);
    f = av_mallocz(sizeof(*f));
    if (!body || !f) {
        http_reply_error(req, body ? 500 : 413, body ? "out of memory" : "sdpfrag over %d bytes", HTTP_MAX_BODY);
        goto done;
    }
    if ((ret = sdpfrag_parse(f, body, len, err, sizeof(err))) < 0) {
        http_reply_error(req, ret == AVERROR(ENOMEM) ? 500 : 400, "%s", err[0] ? err : av_err2str(ret));
        goto done;
    }
    if (!f->ice_ufrag[0] || !strcmp(f->ice_ufrag, ice_peer_remote_ufrag(webrtc_peer_ice(peer)))) {
        int added = whip_trickle_add(webrtc_peer_ice(peer), f);
        log_info("room %s: %s session %s: %d trickled ICE candidate%s%s", room_id, route, id_text, added,
                 added == 1 ? "" : "s", f->end_of_candidates ? ", end of candidates" : "");
        evhttp_send_reply(req, 204, NULL, NULL);
        goto done;
    }
    if (!f->ice_pwd[0]) {
        http_reply_error(req, 400, "a new a=ice-ufrag (ICE restart) needs its a=ice-pwd");
        goto done;
    }
    if ((ret = whip_restart(peer, f, answer, sizeof(answer), err, sizeof(err))) < 0) {
        http_reply_error(req, ret == AVERROR(EINVAL) ? 400 : 500, "%s", err);
        goto done;
    }
    log_info("room %s: %s session %s: ICE restart (peer ufrag %s)", room_id, route, id_text, f->ice_ufrag);
    if (whip_etag(peer, etag, sizeof(etag)) >= 0)
        evhttp_add_header(evhttp_request_get_output_headers(req), "ETag", etag);
    http_reply_text(req, 200, WHIP_SDPFRAG_TYPE, answer, (size_t)ret);
done:
    av_free(f);
    free(body);
}
