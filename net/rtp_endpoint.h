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
};

/* Binds a socket pair (RTP on an even port, RTCP on the next) or, with rtcp_mux,
 * one socket, on addr within [port_min, port_max], starting the search at
 * *port_cursor (advanced). queue_slots bounds the receive queue (0: RTCP only is
 * expected; a small queue is kept). Returns a reference in *out. Loop thread. */
int rtp_endpoint_open(struct rtp_endpoint **out, struct event_base *base, const char *addr,
                      int port_min, int port_max, int *port_cursor, int rtcp_mux, int queue_slots);

int rtp_endpoint_rtp_port(const struct rtp_endpoint *e);
int rtp_endpoint_rtcp_port(const struct rtp_endpoint *e);

/* Where to send (IPv4 or IPv6 literal). rtcp_port 0: rtp_port + 1 (or the RTP port
 * with rtcp-mux). Any thread, before sending starts. */
int rtp_endpoint_set_remote(struct rtp_endpoint *e, const char *addr, int rtp_port, int rtcp_port);

/* Any thread. Returns 0 or a negative code (counted). */
int rtp_endpoint_send_rtp(struct rtp_endpoint *e, const uint8_t *buf, size_t len);
int rtp_endpoint_send_rtcp(struct rtp_endpoint *e, const uint8_t *buf, size_t len);

/* Takes the oldest queued datagram: copies up to cap bytes into buf and returns its
 * length, 0 when the queue is empty. *is_rtcp says which socket (or, with rtcp-mux,
 * which packet type) it came from. Media thread. */
int rtp_endpoint_receive(struct rtp_endpoint *e, uint8_t *buf, size_t cap, int *is_rtcp,
                         uint64_t *arrival_us);

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
