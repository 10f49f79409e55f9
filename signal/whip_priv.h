/* What WHIP (signal/whip.c) shares with WHEP (signal/whep.c): one offer's
 * negotiation onto one bundled WebRTC transport, our answer, the POST route and
 * the transport events. Loop thread, except whip_on_event (ICE thread). */
#ifndef TESSERA_WHIP_PRIV_H
#define TESSERA_WHIP_PRIV_H

#include <stddef.h>
#include "net/webrtc.h"
#include "signal/participant_priv.h"
#include "signal/sdp.h"

struct evhttp_request;
struct evkeyvalq;
struct server;
struct server_room;

/* One offer being answered. */
struct whip_offer {
    struct sdp_session *offer, *answer;
    struct participant_stream streams[SDP_MAX_MEDIA];
    struct participant_stream *audio, *video;
    const struct sdp_media *transport;   /* the first accepted m= line: ICE and DTLS attributes */
    struct webrtc_peer *peer;
};

/* Who a transport belongs to; owned by the transport, read on the ICE thread.
 * remove(server, link) runs on the loop thread when the transport failed or ended. */
struct whip_link {
    struct server *server;
    char room[64];
    char name[64];
    const char *what;                    /* "participant", "viewer" */
    int id;
    void (*remove)(struct server *s, void *link);
};

/* Parses text and takes the first audio and the first video m= line over
 * UDP/TLS/RTP/SAVPF with a codec of prefs (others rejected); checks the ICE,
 * DTLS, rtcp-mux and BUNDLE attributes. Returns 0 or a negative code with err. */
int whip_offer_parse(struct whip_offer *o, const char *text, size_t len, const struct participant_prefs *prefs,
                     char *err, size_t err_size);

/* Creates o->peer (ICE agent and DTLS server) from the offer's transport. */
int whip_peer_open(struct server *s, struct whip_offer *o, char *err, size_t err_size);

/* Our side of each accepted m= line: direction, one ICE transport (credentials,
 * candidates), DTLS server (setup:passive), NACK and PLI feedback, BUNDLE. */
int whip_fill_answer(struct server *s, struct whip_offer *o, enum sdp_direction direction);

void whip_offer_free(struct whip_offer *o);

/* Closes a WebRTC transport (a struct webrtc_peer): server_transport_close_fn. */
void whip_transport_close(void *transport);

/* Starts the transport's events: a whip_link for the owner (what, id, name) whose
 * last event runs remove(s, link) on the loop thread. Returns 0 or a negative code. */
int whip_link_start(struct server *s, struct webrtc_peer *peer, const struct server_room *r, const char *name,
                    const char *what, int id, void (*remove)(struct server *s, void *link));

/* ICE thread: logs the transport's events; the last one runs l->remove on the loop. */
void whip_on_event(void *opaque, enum webrtc_event event, const char *detail);

/* Answers an offer: 0 with res->id and res->answer, or a negative code with err. */
typedef int (*whip_answer_fn)(struct server *s, struct server_room *r, const char *text, size_t len,
                              struct evkeyvalq *query, struct participant_result *res, char *err,
                              size_t err_size);

/* DELETE /{route}/{room}/{id}: replies 200, or 404 when there is no such session. */
typedef void (*whip_delete_fn)(struct server *s, struct evhttp_request *req, const char *room_id,
                               const char *id);

/* The WebRTC transport of session id in room r (borrowed), or NULL. */
typedef struct webrtc_peer *(*whip_find_fn)(struct server *s, struct server_room *r, int id);

/* The routes of /{route}: 503 without WebRTC; POST /{route}/{room} (checks the room
 * and the content type, reads the offer and the query, answers it with answer and
 * replies 201 with Location /{route}/{room}/{id} and an ETag); DELETE with delete;
 * PATCH (trickle ICE, ICE restart) on the session find returns: whip_patch. */
void whip_route(struct server *s, struct evhttp_request *req, char seg[][128], int n, const char *route,
                whip_answer_fn answer, whip_delete_fn delete, whip_find_fn find);

/* Copies the UDP candidates of component 1 (at most max) for net/ice.h. Returns their count. */
int whip_ice_candidates(const struct sdp_candidate *in, int count, struct ice_candidate *out, int max);

/* The session's entity-tag ("\"<our ICE ufrag>\"": it changes with each ICE
 * restart) into etag. Returns 0 or a negative code. */
int whip_etag(struct webrtc_peer *peer, char *etag, size_t size);

/* PATCH /{route}/{room}/{id} with an application/trickle-ice-sdpfrag body (RFC
 * 9725 §4.3): the session's candidates are added (204), or new ICE credentials
 * restart ICE (200 with our new credentials and candidates as an sdpfrag and a
 * new ETag). 404 unknown session, 415 another content type, 412 an If-Match that
 * is neither "*" nor the session's ETag, 400 a malformed sdpfrag. */
void whip_patch(struct server *s, struct evhttp_request *req, const char *route, const char *room_id,
                const char *id_text, whip_find_fn find);

#endif
