/* SIP dial-out on the loop thread: the routes POST/GET/DELETE /rooms/{id}/dial,
 * the list of dialled calls with their state, and the reports the SIP thread sends
 * about them (docs/API.md, "SIP dial-out"). Knows no SIP stack: signal/sip.c
 * places the calls. */
#ifndef TESSERA_SIP_DIAL_H
#define TESSERA_SIP_DIAL_H

#include <event2/http.h>
#include <jansson.h>

struct participant_pending;
struct server;
struct server_room;
struct sip_dial_list;

/* Loop thread. *out written on success only. */
int sip_dial_list_alloc(struct sip_dial_list **out);
/* Loop thread, at shutdown after sip_stop(). NULL-safe. */
void sip_dial_list_free(struct sip_dial_list **p);

/* Routes under /rooms/{id}/dial (seg[2] == "dial"). Loop thread. */
void api_dial(struct server *s, struct server_room *r, struct evhttp_request *req, char seg[][128], int n);

/* The calls dialled from room r, newest last: a new JSON array. Loop thread. */
json_t *sip_dial_room_json(struct server *s, const struct server_room *r);

/* What the SIP thread tells of a dialled call: a loop_call_fn (arg: struct
 * sip_dial_report). Updates call id's state unless it already ended; frees
 * `pending` (an offer whose INVITE never went out). */
struct sip_dial_report {
    int id;
    const char *state;           /* "calling", "ringing", "connected", "failed", "ended" */
    int status;                  /* SIP status of the latest response (0: none) */
    char reason[256];
    int participant_id;          /* connected: the callee's participant */
    struct participant_pending *pending;
};

void sip_dial_report(struct server *s, void *arg);

#endif
