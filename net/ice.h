/* ICE (RFC 8445) for WebRTC peers over libnice: full ICE in the controlled role
 * (the browser offers, so it controls and nominates), host candidates only, on
 * the configured addresses (libnice skips loopback unless it is added), one
 * stream with one component (rtcp-mux and BUNDLE carry everything), RFC 7675
 * consent freshness. No GLib type appears here.
 *
 * Threads: one ICE thread runs a GMainContext for every agent (libnice's sockets
 * and timers, each peer's receive callback and tick). ice_peer_alloc and the
 * getters run on any thread before ice_peer_start; ice_peer_send on any thread
 * (the media thread); ice_peer_state and ice_peer_free on the ICE thread; the
 * trickle and restart functions on the control thread that allocated the peer
 * (libnice locks the agent). */
#ifndef TESSERA_ICE_H
#define TESSERA_ICE_H

#include <stddef.h>
#include <stdint.h>

#define ICE_TICK_MS 100
#define ICE_MAX_CANDIDATES 8

struct ice_thread;
struct ice_peer;

/* Starts the ICE thread. *out written on success only. */
int ice_thread_start(struct ice_thread **out);

/* Runs what was posted, then stops and joins the thread. No other thread may
 * post any more. */
void ice_thread_stop(struct ice_thread **p);

typedef void (*ice_task_fn)(void *arg);

/* Runs fn(arg) on the ICE thread soon, in posting order; never waits. From any
 * thread. Returns 0 or AVERROR(ENOMEM) (fn not run). */
int ice_thread_post(struct ice_thread *t, ice_task_fn fn, void *arg);

/* A UDP candidate of component 1. */
struct ice_candidate {
    char foundation[33];
    uint32_t priority;
    char addr[64];                   /* IP literal; remote host names (mDNS) are skipped */
    int port;
    char type[16];                   /* "host", "srflx", "prflx", "relay" */
};

struct ice_peer_config {
    const char *const *addresses;    /* local host addresses to gather on */
    int address_count;
    int port_min, port_max;
    const char *remote_ufrag, *remote_pwd;
    const struct ice_candidate *remote_candidates;
    int remote_candidate_count;
};

/* A received non-STUN datagram (borrowed), on the ICE thread. */
typedef void (*ice_receive_fn)(void *opaque, const uint8_t *buf, size_t len);
/* Every ICE_TICK_MS on the ICE thread, once started. */
typedef void (*ice_tick_fn)(void *opaque);

/* Creates the agent, gathers its host candidates, sets the remote credentials
 * and candidates (connectivity checks start) and delivers every received
 * datagram to on_receive(opaque, ...) from now on. *out written on success
 * only. Returns 0 or a negative code with a message in err. */
int ice_peer_alloc(struct ice_peer **out, struct ice_thread *t, const struct ice_peer_config *cfg,
                   ice_receive_fn on_receive, void *opaque, char *err, size_t err_size);

/* Our ufrag and password. Returns 0 or AVERROR(ENOSPC). */
int ice_peer_local_credentials(struct ice_peer *p, char *ufrag, size_t ufrag_size, char *pwd,
                               size_t pwd_size);

/* Our host candidates (at most max). Returns their count. */
int ice_peer_local_candidates(struct ice_peer *p, struct ice_candidate *out, int max);

/* Starts calling on_tick(opaque) of ice_peer_alloc. Any thread, once.
 * Returns 0 or AVERROR(ENOMEM). */
int ice_peer_start(struct ice_peer *p, ice_tick_fn on_tick);

enum ice_state { ICE_STATE_CHECKING, ICE_STATE_CONNECTED, ICE_STATE_FAILED };

enum ice_state ice_peer_state(struct ice_peer *p);

/* Sends one datagram on the selected pair. Any thread. Returns 0, or
 * AVERROR(ENOTCONN) before a pair is selected. */
int ice_peer_send(struct ice_peer *p, const uint8_t *buf, size_t len);

/* Trickle ICE (RFC 8838): adds the peer's candidates (host names skipped) to
 * the checks. Returns how many were taken. */
int ice_peer_add_remote_candidates(struct ice_peer *p, const struct ice_candidate *c, int count);

/* The peer said a=end-of-candidates: checks may fail once the known pairs did. */
void ice_peer_remote_gathering_done(struct ice_peer *p);

/* ICE restart (RFC 8445 §9): new local credentials (read them with
 * ice_peer_local_credentials), the peer's new ones; the selected pair keeps
 * carrying media until the new checks select one. Returns 0 or
 * AVERROR(EINVAL) with a message in err. */
int ice_peer_restart(struct ice_peer *p, const char *remote_ufrag, const char *remote_pwd, char *err,
                     size_t err_size);

/* The peer's current ufrag (borrowed, valid until the next restart). */
const char *ice_peer_remote_ufrag(const struct ice_peer *p);

/* Stops the callbacks and frees the agent. ICE thread only. */
void ice_peer_free(struct ice_peer **p);

#endif
