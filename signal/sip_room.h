/* What the SIP user agent asks of rooms, run on the loop thread through
 * loop_call_run() (rooms and participants belong to the loop): join a room from a
 * caller's offer, or offer first and complete with its answer (late offer), leave.
 * Plus the SDP of our re-INVITE answers. Knows no SIP stack. */
#ifndef TESSERA_SIP_ROOM_H
#define TESSERA_SIP_ROOM_H

#include <stddef.h>
#include <stdint.h>

struct keybox;
struct participant_pending;
struct server;

#define SIP_ROOM_SDP_SIZE 8192

/* One call's requests. The SIP thread owns it and keeps it between requests; the
 * loop thread reads and writes it only inside the loop_call_run() of a request. */
struct sip_room_call {
    /* in */
    char target[64];             /* the Request-URI's user part ("" when none) */
    char name[64];               /* the caller's display name ("" : user part) */
    const char *sdp;             /* join: the caller's offer, NULL for a late offer;
                                  * complete: the caller's answer. Borrowed. */
    size_t sdp_len;
    /* kept between requests */
    char room[64];               /* the room joined, "" before */
    uint64_t room_serial;        /* and its serial (a deleted room's id can be reused) */
    int participant_id;          /* 0 while none */
    struct participant_pending *pending;   /* our late offer, until the answer */
    struct keybox *keys;         /* set by join when the call must key in the PIN
                                  * (its participant waits; the room fills the box
                                  * with its RFC 4733 keys); owned by the call */
    char key;                    /* in, dtmf: the key pressed */
    int held;                    /* in, hold: on hold (1) or not (0) */
    int video_paused;            /* in, video: send it no video (1) or the room's (0) */
    /* out */
    int status;                  /* SIP status: 200, or the error to answer */
    char reason[256];            /* the cause, for the log and a Warning header */
    char local_sdp[SIP_ROOM_SDP_SIZE];     /* our answer, or our late offer */
};

/* loop_call_fn's (arg: struct sip_room_call). join: the room is the one the target
 * names, else the configured sip_default_room, else 404; the participant is a phone
 * with the legacy-first codec order; with an offer: status 200 and our answer, or
 * 488 (malformed SDP, no common codec), 486 (room full), 503 (no RTP port), 500;
 * without one: 200, our offer and `pending`. complete: creates the participant from
 * the answer in sdp (status 200, or 488/404/500; pending is always consumed).
 * leave: removes the participant and frees a pending offer (status 200). */
void sip_room_join(struct server *s, void *arg);
void sip_room_complete(struct server *s, void *arg);
void sip_room_leave(struct server *s, void *arg);

/* loop_call_fn: status 200 while the call's room and participant exist, 404 once
 * the room was deleted (or its participant removed through the API). */
void sip_room_check(struct server *s, void *arg);

/* More loop_call_fn's, each queuing a command to the participant's room (status
 * 200, or 404 when the room or participant is gone): dtmf delivers `key` as if
 * received by RFC 4733 (room_push_dtmf); admit lets a waiting participant in
 * (room_admit); hold applies `held` (room_set_hold); wrong_pin plays the waiting
 * participant the wrong-PIN prompt (room_prompt_wrong). */
void sip_room_dtmf(struct server *s, void *arg);
void sip_room_admit(struct server *s, void *arg);
void sip_room_wrong_pin(struct server *s, void *arg);
void sip_room_hold(struct server *s, void *arg);

/* loop_call_fn: stops or resumes sending the room's video to the call's
 * participant (`video_paused`; participant_pause_video). Status 200, or 404. */
void sip_room_video(struct server *s, void *arg);

/* The key of a SIP INFO body of content type `type` (application/dtmf-relay
 * "Signal=5\r\nDuration=160", or application/dtmf "5"): '0'-'9', '*', '#',
 * 'A'-'D'; 0 when the type is another or the body names no key. Any thread. */
char sip_room_info_key(const char *type, const char *body, size_t len);

/* Copies text (a caller's display name or a Request-URI user part, already unquoted
 * or unescaped) into out (size bytes): invalid UTF-8 and control characters dropped,
 * spaces trimmed, cut at a character boundary. Any thread. */
void sip_room_clean_text(const char *text, char *out, size_t size);

/* Our answer to a re-INVITE's offer (offer_len bytes), from local, our SDP of the
 * call: the same m= lines, ports and codecs (each kept under the offer's payload
 * type), each direction mirrored from the offer's within what local allowed, a
 * stream the offer disables gets port 0; o= version `version`. Any thread. Returns
 * the length written to out, or a negative code with a message in err: malformed
 * SDP, other m= lines than before, or an offer without our codec (changing streams
 * or codecs is not supported yet). */
int sip_room_reanswer(const char *local, const char *offer, size_t offer_len, uint64_t version,
                      char *out, size_t size, char *err, size_t err_size);

/* Whether an SDP (ours) lets us send on its first enabled m= line of type
 * ("audio", "video"): sendrecv or sendonly. 0 when it has none, or is malformed.
 * Any thread. */
int sip_room_sdp_sends(const char *sdp, const char *type);

/* Whether an offer puts the call on hold: every audio m= line it enables is
 * sendonly or inactive, or has a 0.0.0.0 address (RFC 2543 hold). 0 when it is
 * malformed or has no audio. Any thread. */
int sip_room_offer_holds(const char *offer, size_t offer_len);

#endif
