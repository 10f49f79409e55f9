/* The SIP user agent of `tessera serve` (sofia-sip's NUA on its own thread): calls
 * to sip:ROOM@host join room ROOM as phone participants (docs/API.md, "SIP"). */
#ifndef TESSERA_SIP_H
#define TESSERA_SIP_H

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

#endif
