/* One WebRTC peer's transport: ICE + DTLS-SRTP + SRTP around an external RTP
 * endpoint.
 *
 * Threads: webrtc_peer_alloc, _start and _close run on the control (loop)
 * thread; the receive path, the DTLS handshake, the tick (timeouts, events) and
 * the final free run on the ICE thread; webrtc_send runs on the media thread
 * under the endpoint's lock. The only state both the ICE and the media thread
 * touch is the outbound SRTP session, under `lock`; `closing` tells the ICE
 * thread that the owner let go. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "net/dtls.h"
#include "net/rtp.h"
#include "net/rtp_endpoint.h"
#include "net/rtpsec.h"
#include "net/webrtc.h"

#define WEBRTC_MTU 1500
#define WEBRTC_DTLS_PENDING 8            /* DTLS datagrams kept until ICE selects a pair */

struct webrtc_peer {
    struct ice_thread *thread;
    struct ice_peer *ice;
    struct dtls_peer *dtls;
    struct rtp_endpoint *ep;             /* our reference */
    pthread_mutex_t lock;
    struct rtpsec *srtp_out;             /* under lock (ICE thread sets, media thread uses) */
    /* ICE thread only. */
    struct rtpsec *srtp_in;
    int timeout_s;
    uint64_t created_us, last_rx_us;
    int ice_connected, secure, secure_reported, reported, ended;
    char failure[512];
    /* Our DTLS datagrams written before ICE had a selected pair (the browser may
     * send its ClientHello as soon as it nominates, before libnice, the controlled
     * side, has selected that pair): sent once it has, instead of waiting for a
     * DTLS retransmission (about 1 s). */
    uint8_t dtls_pending[WEBRTC_DTLS_PENDING][WEBRTC_MTU];
    size_t dtls_pending_len[WEBRTC_DTLS_PENDING];
    int dtls_pending_count;
    /* Set before the tick starts. */
    webrtc_event_fn on_event;
    void *opaque;
    webrtc_free_fn free_opaque;
    atomic_int closing;
};

/* Media thread, under the endpoint's lock: encrypt and send. */
static int webrtc_send(void *opaque, const uint8_t *buf, size_t len, int is_rtcp)
{
    struct webrtc_peer *p = opaque;
    uint8_t pkt[WEBRTC_MTU + RTPSEC_MAX_TRAILER];
    size_t n = len;
    int ret = AVERROR(ENOTCONN);

    if (len > WEBRTC_MTU)
        return AVERROR(EMSGSIZE);
    memcpy(pkt, buf, len);
    pthread_mutex_lock(&p->lock);
    if (p->srtp_out)
        ret = is_rtcp ? rtpsec_protect_rtcp(p->srtp_out, pkt, &n, sizeof(pkt))
                      : rtpsec_protect_rtp(p->srtp_out, pkt, &n, sizeof(pkt));
    pthread_mutex_unlock(&p->lock);
    return ret < 0 ? ret : ice_peer_send(p->ice, pkt, n);
}

/* ICE thread: sends the DTLS datagrams kept while no pair was selected, in order,
 * while the sends succeed. */
static void webrtc_dtls_flush(struct webrtc_peer *p)
{
    int sent = 0;

    while (sent < p->dtls_pending_count &&
           ice_peer_send(p->ice, p->dtls_pending[sent], p->dtls_pending_len[sent]) >= 0)
        sent++;
    if (!sent)
        return;
    p->dtls_pending_count -= sent;
    memmove(p->dtls_pending, p->dtls_pending[sent], (size_t)p->dtls_pending_count * sizeof(p->dtls_pending[0]));
    memmove(p->dtls_pending_len, p->dtls_pending_len + sent, (size_t)p->dtls_pending_count * sizeof(size_t));
}

/* ICE thread: a DTLS record to send; kept for later when ICE has no pair yet
 * (a full queue, or a record over the MTU, is left to DTLS retransmission). */
static void webrtc_dtls_send(void *opaque, const uint8_t *buf, size_t len)
{
    struct webrtc_peer *p = opaque;

    if (!p->ice || (!p->dtls_pending_count && ice_peer_send(p->ice, buf, len) >= 0))
        return;
    if (p->dtls_pending_count < WEBRTC_DTLS_PENDING && len <= WEBRTC_MTU) {
        memcpy(p->dtls_pending[p->dtls_pending_count], buf, len);
        p->dtls_pending_len[p->dtls_pending_count++] = len;
    }
    webrtc_dtls_flush(p);
}

static void webrtc_fail(struct webrtc_peer *p, const char *reason)
{
    if (!p->failure[0])
        snprintf(p->failure, sizeof(p->failure), "%s", reason);
}

/* The handshake is done: install the SRTP sessions from the exported keys. */
static void webrtc_secure(struct webrtc_peer *p)
{
    uint8_t local[RTPSEC_MASTER_LEN], remote[RTPSEC_MASTER_LEN];
    struct rtpsec *out = NULL;

    if (dtls_peer_srtp_keys(p->dtls, local, remote) < 0 ||
        rtpsec_alloc(&p->srtp_in, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, remote, RTPSEC_INBOUND) < 0 ||
        rtpsec_alloc(&out, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, local, RTPSEC_OUTBOUND) < 0) {
        webrtc_fail(p, "cannot create the SRTP sessions");
    } else {
        pthread_mutex_lock(&p->lock);
        p->srtp_out = out;
        pthread_mutex_unlock(&p->lock);
        p->last_rx_us = rtp_endpoint_now_us();
        p->secure = 1;
    }
    memset(local, 0, sizeof(local));
    memset(remote, 0, sizeof(remote));
}

static void webrtc_take_dtls(struct webrtc_peer *p, const uint8_t *buf, size_t len)
{
    char err[512] = "";
    int ret = dtls_peer_input(p->dtls, buf, len, err, sizeof(err));

    if (ret == 1)
        webrtc_secure(p);
    else if (ret < 0)
        webrtc_fail(p, err[0] ? err : "DTLS failed");
    p->ended |= ret == AVERROR_EOF;
}

static void webrtc_take_srtp(struct webrtc_peer *p, const uint8_t *data, size_t len)
{
    uint8_t buf[WEBRTC_MTU + RTPSEC_MAX_TRAILER];
    int is_rtcp, ret;

    if (!p->srtp_in || len < RTP_HEADER_MIN || len > sizeof(buf))
        return;
    memcpy(buf, data, len);
    is_rtcp = rtp_is_rtcp(buf, len);
    ret = is_rtcp ? rtpsec_unprotect_rtcp(p->srtp_in, buf, &len) : rtpsec_unprotect_rtp(p->srtp_in, buf, &len);
    if (ret < 0)                         /* failures are dropped, as rtpsec says */
        return;
    /* Consent (RFC 7675, see net/ice.c): only packets that pass SRTP
     * authentication show the peer still wants our traffic. */
    p->last_rx_us = rtp_endpoint_now_us();
    rtp_endpoint_push(p->ep, buf, len, is_rtcp);
}

/* ICE thread: every datagram that is not STUN. */
static void webrtc_on_receive(void *opaque, const uint8_t *buf, size_t len)
{
    struct webrtc_peer *p = opaque;

    if (!len || p->failure[0])
        return;
    if (buf[0] >= 20 && buf[0] <= 63)
        webrtc_take_dtls(p, buf, len);
    else if (buf[0] >= 128 && buf[0] <= 191)
        webrtc_take_srtp(p, buf, len);
}

/* ICE thread, every ICE_TICK_MS: DTLS retransmissions, state changes, timeouts. */
static void webrtc_on_tick(void *opaque)
{
    struct webrtc_peer *p = opaque;
    uint64_t now = rtp_endpoint_now_us(), limit = (uint64_t)p->timeout_s * 1000000u;
    enum ice_state st;
    char why[128];

    if (atomic_load(&p->closing) || p->reported)
        return;
    if (p->dtls_pending_count)
        webrtc_dtls_flush(p);
    dtls_peer_handle_timeout(p->dtls);
    st = ice_peer_state(p->ice);
    if (st == ICE_STATE_CONNECTED && !p->ice_connected) {
        p->ice_connected = 1;
        p->on_event(p->opaque, WEBRTC_EVENT_CONNECTED, "");
    }
    if (p->secure && !p->secure_reported) {
        p->secure_reported = 1;
        p->on_event(p->opaque, WEBRTC_EVENT_SECURE, "SRTP_AES128_CM_SHA1_80");
    }
    if (st == ICE_STATE_FAILED) {
        webrtc_fail(p, p->ice_connected ? "ICE consent lost (RFC 7675)" : "ICE connectivity checks failed");
    } else if (!p->secure && now - p->created_us > limit) {
        snprintf(why, sizeof(why), "%s did not complete within %d s", p->ice_connected ? "DTLS" : "ICE",
                 p->timeout_s);
        webrtc_fail(p, why);
    } else if (p->secure && now - p->last_rx_us > limit) {
        snprintf(why, sizeof(why), "nothing received for %d s", p->timeout_s);
        webrtc_fail(p, why);
    }
    if (p->failure[0]) {
        p->reported = 1;
        p->on_event(p->opaque, p->ended ? WEBRTC_EVENT_ENDED : WEBRTC_EVENT_FAILED, p->failure);
    }
}

/* ICE thread (or the control thread when the ICE agent never existed). */
static void webrtc_peer_destroy(void *arg)
{
    struct webrtc_peer *p = arg;

    ice_peer_free(&p->ice);
    dtls_peer_free(&p->dtls);
    rtpsec_free(&p->srtp_in);
    rtpsec_free(&p->srtp_out);
    rtp_endpoint_unref(&p->ep);
    if (p->free_opaque)
        p->free_opaque(p->opaque);
    pthread_mutex_destroy(&p->lock);
    av_free(p);
}

int webrtc_peer_alloc(struct webrtc_peer **out, const struct webrtc_peer_config *cfg, char *err, size_t err_size)
{
    struct webrtc_peer *p = av_mallocz(sizeof(*p));
    int ret;

    if (!p)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&p->lock, NULL);
    atomic_init(&p->closing, 0);
    p->thread = cfg->ice_thread;
    p->timeout_s = cfg->timeout_s;
    p->created_us = p->last_rx_us = rtp_endpoint_now_us();
    ret = rtp_endpoint_open_external(&p->ep, webrtc_send, p, cfg->queue_slots);
    if (ret < 0) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    ret = dtls_peer_alloc(&p->dtls, cfg->cert, DTLS_ROLE_SERVER, cfg->fingerprint_alg, cfg->fingerprint,
                          webrtc_dtls_send, p);
    if (ret < 0) {
        snprintf(err, err_size, "unusable a=fingerprint:%s %s", cfg->fingerprint_alg, cfg->fingerprint);
        goto fail;
    }
    ret = ice_peer_alloc(&p->ice, cfg->ice_thread, &cfg->ice, webrtc_on_receive, p, err, err_size);
    if (ret < 0)
        goto fail;
    *out = p;
    return 0;
fail:
    webrtc_peer_destroy(p);              /* no ICE agent: nothing runs on the ICE thread */
    return ret;
}

struct rtp_endpoint *webrtc_peer_endpoint(struct webrtc_peer *p)
{
    return p->ep;
}

int webrtc_peer_local_credentials(struct webrtc_peer *p, char *ufrag, size_t ufrag_size, char *pwd,
                                  size_t pwd_size)
{
    return ice_peer_local_credentials(p->ice, ufrag, ufrag_size, pwd, pwd_size);
}

int webrtc_peer_local_candidates(struct webrtc_peer *p, struct ice_candidate *out, int max)
{
    return ice_peer_local_candidates(p->ice, out, max);
}

struct ice_peer *webrtc_peer_ice(struct webrtc_peer *p)
{
    return p->ice;
}

int webrtc_peer_start(struct webrtc_peer *p, webrtc_event_fn on_event, void *opaque, webrtc_free_fn free_opaque)
{
    int ret;

    p->on_event = on_event;
    p->opaque = opaque;
    p->free_opaque = free_opaque;
    ret = ice_peer_start(p->ice, webrtc_on_tick);
    if (ret < 0)
        p->free_opaque = NULL;
    return ret;
}

void webrtc_peer_close(struct webrtc_peer **pp)
{
    struct webrtc_peer *p = *pp;

    if (!p)
        return;
    *pp = NULL;
    atomic_store(&p->closing, 1);
    rtp_endpoint_detach_external(p->ep);
    /* Out of memory here leaks the peer rather than freeing it under the ICE thread. */
    ice_thread_post(p->thread, webrtc_peer_destroy, p);
}
