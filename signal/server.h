/* `tessera serve`: the libevent loop (HTTP API, sockets, timers) and the registry
 * of live rooms, each ticking on its own media thread. */
#ifndef TESSERA_SERVER_H
#define TESSERA_SERVER_H

#include <stdint.h>
#include "mixer/profile.h"
#include "signal/config.h"

#define SERVER_MAX_ROOMS 64
#define SERVER_MAX_OUTPUTS 512
#define SERVER_MAX_LAYOUTS 8

struct event_base;
struct evhttp;
struct evhttp_request;
struct layout_def;
struct room_thread;
struct rtp_endpoint;
struct sink;
struct profile_def;

struct server_output {
    int id;
    char profile[32];
    char url[1024];
    /* RTP receivers: the endpoints and sink ids (one per m= line). */
    struct rtp_endpoint *endpoints[2];
    int sink_ids[2];
    int endpoint_count;
    /* WHEP viewers: the WebRTC transport carrying endpoints[0], closed first. */
    void *transport;
    void (*transport_close)(void *transport);
};

#define SERVER_MAX_PARTICIPANTS 64

/* Closes a participant's transport (WebRTC: ICE + DTLS); loop thread. */
typedef void (*server_transport_close_fn)(void *transport);

/* What the loop thread keeps of a participant: its endpoints (the room thread
 * holds its own references), its video sink's id and its transport, if any. */
struct server_participant {
    int id;
    char name[64];
    char profile[32];            /* video profile it receives, "" if none */
    int video_sink_id;           /* 0 if none */
    struct rtp_endpoint *endpoints[2];
    int endpoint_count;
    void *transport;             /* NULL for plain RTP */
    server_transport_close_fn transport_close;
};

struct server_room {
    char id[64];
    uint64_t serial;             /* unique for the server's life (an id can be reused) */
    struct room_thread *thread;
    int width, height, fps;
    char layout[64];
    /* Layouts loaded for this room; kept until it is deleted (the room borrows them). */
    struct layout_def *layouts[SERVER_MAX_LAYOUTS];
    int layout_count;
    struct server_output outputs[SERVER_MAX_OUTPUTS];
    int output_count;
    struct server_participant participants[SERVER_MAX_PARTICIPANTS];
    int participant_count;
    int next_participant_id;
};

struct dtls_cert;
struct ice_thread;
struct loop_call;
struct sip;
struct sip_dial_list;

struct server {
    struct server_config cfg;
    struct event_base *base;
    struct evhttp *http;
    struct loop_call *calls;     /* other threads run code on the loop through this */
    struct sip *sip;             /* the SIP user agent's thread, NULL when SIP is off */
    struct sip_dial_list *dials; /* dialled calls (signal/sip_dial.c), made on first use */
    struct ice_thread *ice;      /* WebRTC: the ICE thread (signal/whip.c) */
    struct dtls_cert *dtls_cert; /* WebRTC: our certificate, made at start-up */
    struct prompt *pin_prompt;   /* SIP: what a caller waiting for its PIN hears, */
    struct prompt *pin_wrong_prompt;   /* and after a wrong PIN (NULL: a beep) */
    struct profile_set profiles;
    struct server_room *rooms[SERVER_MAX_ROOMS];
    int room_count;
    int next_output_id;
    int port_cursor;             /* where the next RTP port search starts */
    int next_room_number;
    uint64_t next_room_serial;
    uint64_t http_requests;
};

/* Runs the server until SIGINT/SIGTERM; every recording is finished before it
 * returns. Returns the exit status. */
int server_run(const struct server_config *cfg);

/* The same in parts, for callers that drive the loop themselves (the API fuzz
 * target): open binds and starts everything, close finishes every room. */
int server_open(struct server **out, const struct server_config *cfg);
void server_close(struct server **s);

/* Route handlers (api_*.c), called on the loop thread. */
void api_handle(struct evhttp_request *req, void *server);
void api_rooms(struct server *s, struct evhttp_request *req, char seg[][128], int n);
void api_participants(struct server *s, struct server_room *r, struct evhttp_request *req,
                      char seg[][128], int n);
void api_whip(struct server *s, struct evhttp_request *req, char seg[][128], int n);
void api_whep(struct server *s, struct evhttp_request *req, char seg[][128], int n);

/* Attaches a sink (ownership passed) to the room's running profile `def`, creating
 * the profile on the room thread when it is not running yet. Loop thread. */
int server_room_attach_sink(struct server_room *r, const struct profile_def *def, struct sink *sink);
/* Removes output id: its sinks leave the profile (on the room thread), its
 * transport closes and its endpoints go. Loop thread. 0 or AVERROR(ENOENT). */
int server_room_remove_output(struct server_room *r, int id);
struct server_room *server_find_room(struct server *s, const char *id);
void server_room_free(struct server_room **p);

#endif
