/* The SIP user agent of `tessera serve` (sofia-sip's NUA on its own thread): calls
 * to sip:ROOM@host join room ROOM as phone participants (docs/API.md, "SIP"). */
#ifndef TESSERA_SIP_H
#define TESSERA_SIP_H

#include <stdint.h>

struct server;
struct sip;

/* Loop thread, at start-up (the server's loop_call must exist). Starts the SIP
 * thread listening on UDP and TCP at cfg.sip_address:cfg.sip_port and returns once
 * it listens: 0 with *out set, or a negative code (logged: the port is in use, or
 * not a local address). */
int sip_start(struct sip **out, struct server *s);

/* Loop thread, at shutdown, after loop_call_close(): hangs up every call (BYE; an
 * unanswered one fails after 2 s), stops the stack, joins the thread, frees.
 * Participants stay in their rooms (the rooms are freed next). NULL-safe. */
void sip_stop(struct sip **p);

/* Dial-out (signal/sip_dial.c makes the orders on the loop thread). */
#define SIP_DIAL_SDP_SIZE 8192

struct participant_pending;

struct sip_dial_order {
    int id;                              /* the call's id in sip_dial.c's list */
    char uri[256];                       /* the callee, "sip:user@host[:port]" */
    char name[64];                       /* the participant's name */
    char room[64];
    uint64_t room_serial;
    char from[256];                      /* From header value */
    char auth_user[64], auth_password[128], auth_realm[128];   /* "" user: no account */
    int timeout_s;                       /* unanswered this long: CANCEL */
    struct participant_pending *pending; /* our offer's ports (owned) */
    char offer[SIP_DIAL_SDP_SIZE];       /* our SDP offer */
};

/* Loop thread: hands the order (ownership taken, even on failure, when its pending
 * offer is freed) to the SIP thread, which sends the INVITE within 100 ms and
 * reports the call's progress through sip_dial_report (signal/sip_dial.h). Returns
 * 0, or AVERROR(EAGAIN) when too many orders wait. */
int sip_dial(struct sip *sip, struct sip_dial_order *order);

/* Loop thread: asks the SIP thread to cancel (not answered yet) or hang up (BYE)
 * dialled call id. Returns 0, or AVERROR(EAGAIN) when too many requests wait. */
int sip_dial_hang_up(struct sip *sip, int id);

/* Any thread: SIP calls hung up because no RTP came for sip_media_timeout_s. */
uint64_t sip_media_timeouts(const struct sip *sip);

#endif
