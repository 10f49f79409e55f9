/* An RTP endpoint: the UDP socket(s) of one m= line (RTP and RTCP, or one socket
 * with rtcp-mux) on the libevent loop, the peer's address, and a bounded queue of
 * received datagrams that the room's media thread drains. Shared by the loop thread
 * and a media thread, so it carries an atomic reference count. Knows no codec. */
#ifndef TESSERA_RTP_ENDPOINT_H
#define TESSERA_RTP_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct rtp_endpoint;

struct rtp_endpoint_stats {
    uint64_t received, queue_drops, sent, send_errors;
    uint64_t rtp_received;       /* of received: the RTP (not RTCP) datagrams */
};

/* Binds a socket pair (RTP on an even port, RTCP on the next) or, with rtcp_mux,
 * one socket, on addr within [port_min, port_max], starting the search at
 * *port_cursor (advanced). queue_slots bounds the receive queue (0: RTCP only is
 * expected; a small queue is kept). Returns a reference in *out. Loop thread. */
int rtp_endpoint_open(struct rtp_endpoint **out, struct event_base *base, const char *addr,
                      int port_min, int port_max, int *port_cursor, int rtcp_mux, int queue_slots);

/* An endpoint whose datagrams come from and go to another transport (WebRTC: ICE +
 * DTLS-SRTP), which decrypts before rtp_endpoint_push() and encrypts in send.
 * send is called from the media thread; it returns 0 or a negative code. */
typedef int (*rtp_endpoint_send_fn)(void *opaque, const uint8_t *buf, size_t len, int is_rtcp);

int rtp_endpoint_open_external(struct rtp_endpoint **out, rtp_endpoint_send_fn send, void *opaque,
                               int queue_slots);

/* Queues a received (already decrypted) datagram; any thread. Counted as a drop
 * when the queue is full. */
void rtp_endpoint_push(struct rtp_endpoint *e, const uint8_t *buf, size_t len, int is_rtcp);

/* Detaches the external transport: later sends fail with ENOTCONN. Any thread. */
void rtp_endpoint_detach_external(struct rtp_endpoint *e);

int rtp_endpoint_rtp_port(const struct rtp_endpoint *e);
int rtp_endpoint_rtcp_port(const struct rtp_endpoint *e);

/* Where to send (IPv4 or IPv6 literal). rtcp_port 0: rtp_port + 1 (or the RTP port
 * with rtcp-mux). Any thread, before sending starts. */
int rtp_endpoint_set_remote(struct rtp_endpoint *e, const char *addr, int rtp_port, int rtcp_port);

/* For an endpoint that only sends RTP (a receiver's output without rtcp-mux):
 * connects the RTP socket to the remote RTP address, so the kernel keeps the route
 * instead of looking it up for every datagram; datagrams from other addresses to
 * that socket are then dropped by the kernel. After set_remote, before sending. */
int rtp_endpoint_connect_rtp(struct rtp_endpoint *e);

/* Any thread. Returns 0 or a negative code (counted). */
int rtp_endpoint_send_rtp(struct rtp_endpoint *e, const uint8_t *buf, size_t len);
int rtp_endpoint_send_rtcp(struct rtp_endpoint *e, const uint8_t *buf, size_t len);

/* One RTP datagram of a batch: head (the receiver's own RTP header, or the whole
 * SRTP packet) followed by body (a payload shared by many receivers; may be NULL). */
struct rtp_endpoint_msg {
    const uint8_t *head;
    size_t head_len;
    const uint8_t *body;
    size_t body_len;
};

/* Sends count RTP datagrams in order; on a UDP socket with one sendmmsg per 32
 * datagrams and without copying them (the kernel gathers head and body). Any thread. Returns how many were sent (errors
 * are counted; a datagram that fails is skipped) or a negative code when none was. */
int rtp_endpoint_send_rtp_batch(struct rtp_endpoint *e, const struct rtp_endpoint_msg *msgs, int count);

/* Takes the oldest queued datagram: copies up to cap bytes into buf and returns its
 * length, 0 when the queue is empty. *is_rtcp says which socket (or, with rtcp-mux,
 * which packet type) it came from. Media thread. */
int rtp_endpoint_receive(struct rtp_endpoint *e, uint8_t *buf, size_t cap, int *is_rtcp,
                         uint64_t *arrival_us);

/* Feedback mailbox, media thread only. When a source reads an endpoint (it owns
 * the receive queue), the RTCP feedback the peer sends about OUR streams (PLI, FIR,
 * NACK) is posted here for the sink of that SSRC; sinks on an endpoint without a
 * source read the queue themselves. */
#define RTP_ENDPOINT_FEEDBACK_NACKS 64

struct rtp_endpoint_feedback {
    uint32_t media_ssrc;
    int keyframe;                        /* PLI or FIR */
    int nack_count;
    uint16_t nacks[RTP_ENDPOINT_FEEDBACK_NACKS];
};

void rtp_endpoint_set_reader(struct rtp_endpoint *e);
int rtp_endpoint_has_reader(const struct rtp_endpoint *e);
void rtp_endpoint_post_feedback(struct rtp_endpoint *e, const struct rtp_endpoint_feedback *fb);
/* Takes the pending feedback for ssrc; returns 1 if there was some. */
int rtp_endpoint_take_feedback(struct rtp_endpoint *e, uint32_t ssrc, struct rtp_endpoint_feedback *out);

/* Stops receiving (removes the socket events). Loop thread; call before the loop
 * thread drops its reference. */
void rtp_endpoint_stop(struct rtp_endpoint *e);

struct rtp_endpoint *rtp_endpoint_ref(struct rtp_endpoint *e);
/* Drops a reference; the sockets close with the last one. Any thread. */
void rtp_endpoint_unref(struct rtp_endpoint **p);

void rtp_endpoint_get_stats(struct rtp_endpoint *e, struct rtp_endpoint_stats *st);

/* Monotonic microseconds (the arrival clock). */
uint64_t rtp_endpoint_now_us(void);

#endif
