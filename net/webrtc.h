/* A WebRTC media transport for one peer: ICE (net/ice.h), then DTLS-SRTP
 * (net/dtls.h, we are the DTLS server), then SRTP (net/rtpsec.h), carrying one
 * external RTP endpoint (net/rtp_endpoint.h) with BUNDLE and rtcp-mux. Received
 * datagrams are demultiplexed by their first byte (RFC 7983: 20-63 DTLS,
 * 128-191 RTP/RTCP), decrypted and pushed to the endpoint; what the media thread
 * sends through the endpoint is encrypted and sent on the selected ICE pair.
 *
 * Threads: created, started and closed on one control thread (the server's
 * loop); runs on the ICE thread (receive, DTLS, timers, events); the endpoint's
 * send callback runs on the media thread. */
#ifndef TESSERA_WEBRTC_H
#define TESSERA_WEBRTC_H

#include <stddef.h>
#include "net/ice.h"

struct dtls_cert;
struct rtp_endpoint;
struct webrtc_peer;

struct webrtc_peer_config {
    struct ice_thread *ice_thread;
    struct dtls_cert *cert;              /* borrowed; outlives the peer */
    struct ice_peer_config ice;
    const char *fingerprint_alg;         /* the offer's a=fingerprint */
    const char *fingerprint;
    int timeout_s;                       /* to connect, and of silence once connected */
    int queue_slots;                     /* the endpoint's receive queue */
};

enum webrtc_event {
    WEBRTC_EVENT_CONNECTED,              /* ICE found a working pair */
    WEBRTC_EVENT_SECURE,                 /* DTLS done, SRTP keys installed */
    /* The last event, reported once (detail says why); the owner then closes the peer. */
    WEBRTC_EVENT_ENDED,                  /* the peer closed DTLS (close_notify) */
    WEBRTC_EVENT_FAILED,                 /* ICE, DTLS or the fingerprint failed, or a timeout */
};

/* On the ICE thread; detail is borrowed. */
typedef void (*webrtc_event_fn)(void *opaque, enum webrtc_event event, const char *detail);
typedef void (*webrtc_free_fn)(void *opaque);

/* Creates the endpoint, the DTLS server and the ICE agent (checks start).
 * *out written on success only. Returns 0 or a negative code with a message
 * in err (a malformed fingerprint is AVERROR(EINVAL)). */
int webrtc_peer_alloc(struct webrtc_peer **out, const struct webrtc_peer_config *cfg, char *err,
                      size_t err_size);

/* The endpoint the room's source reads (borrowed: take a reference to keep it). */
struct rtp_endpoint *webrtc_peer_endpoint(struct webrtc_peer *p);

/* Our ICE credentials and host candidates, for the answer. */
int webrtc_peer_local_credentials(struct webrtc_peer *p, char *ufrag, size_t ufrag_size, char *pwd,
                                  size_t pwd_size);
int webrtc_peer_local_candidates(struct webrtc_peer *p, struct ice_candidate *out, int max);

/* The ICE agent (borrowed), for trickled candidates and ICE restarts from the
 * control thread (net/ice.h). */
struct ice_peer *webrtc_peer_ice(struct webrtc_peer *p);

/* Starts the timers and the events to on_event(opaque, ...); opaque is freed
 * with free_opaque (may be NULL) when the peer is freed. Returns 0 or a
 * negative code (then free_opaque was not called). */
int webrtc_peer_start(struct webrtc_peer *p, webrtc_event_fn on_event, void *opaque,
                      webrtc_free_fn free_opaque);

/* Detaches the peer from its endpoint (the media thread sends through it no
 * more once this returns), stops its events and frees it on the ICE thread.
 * NULL-safe; sets *p to NULL. */
void webrtc_peer_close(struct webrtc_peer **p);

#endif
