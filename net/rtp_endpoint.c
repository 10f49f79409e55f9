/* UDP sockets of one RTP m= line on libevent, with a mutex-guarded receive queue
 * handed to the media thread and an atomic reference count. Sending takes no lock
 * on a UDP endpoint (the media thread calls sendto directly; counters are atomic). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <event2/event.h>
#include <libavutil/error.h>
#include "net/rtp.h"
#include "net/rtp_endpoint.h"

#define RTP_ENDPOINT_MTU 1500
#define RTP_ENDPOINT_MIN_QUEUE 16

struct rtp_endpoint_slot {
    uint8_t data[RTP_ENDPOINT_MTU];
    uint16_t len;
    uint8_t is_rtcp;
    uint64_t arrival_us;
};

struct rtp_endpoint {
    atomic_int refs;
    int rtp_fd, rtcp_fd;             /* rtcp_fd == rtp_fd with rtcp-mux */
    int rtp_port, rtcp_port;
    int rtcp_mux;
    struct event *rtp_ev, *rtcp_ev;
    struct sockaddr_storage remote_rtp, remote_rtcp;
    socklen_t remote_len;
    atomic_int has_remote;
    int rtp_connected;               /* the RTP socket is connected to remote_rtp */
    pthread_mutex_t lock;
    struct rtp_endpoint_slot *slots;
    int slot_count, head, count;
    struct rtp_endpoint_stats stats;         /* received, queue_drops: under lock */
    atomic_int queued;                       /* == count, read without the lock */
    atomic_uint_fast64_t sent, send_errors;
    rtp_endpoint_send_fn external_send;      /* under lock */
    void *external_opaque;
    /* Media thread only (the count before the array: a sink's poll reads it). */
    int has_reader;
    int feedback_count;
    struct rtp_endpoint_feedback feedback[4];
};

uint64_t rtp_endpoint_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int rtp_endpoint_bind(const char *addr, int port, int *fd_out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        len = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        len = sizeof(struct sockaddr_in6);
    } else {
        return AVERROR(EINVAL);
    }
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return AVERROR(errno);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        int err = errno;
        close(fd);
        return AVERROR(err);
    }
    {
        int size = 1 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    *fd_out = fd;
    return 0;
}

static void rtp_endpoint_enqueue(struct rtp_endpoint *e, const uint8_t *buf, size_t len, int is_rtcp)
{
    pthread_mutex_lock(&e->lock);
    e->stats.received++;
    e->stats.rtp_received += !is_rtcp;
    if (e->count == e->slot_count) {
        e->stats.queue_drops++;
    } else {
        struct rtp_endpoint_slot *s = &e->slots[(e->head + e->count) % e->slot_count];
        memcpy(s->data, buf, len);
        s->len = (uint16_t)len;
        s->is_rtcp = (uint8_t)is_rtcp;
        s->arrival_us = rtp_endpoint_now_us();
        e->count++;
        atomic_store(&e->queued, e->count);
    }
    pthread_mutex_unlock(&e->lock);
}

static void rtp_endpoint_on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct rtp_endpoint *e = arg;
    uint8_t buf[RTP_ENDPOINT_MTU];

    (void)what;
    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        /* Runts are queued too: the reader counts them as malformed. */
        rtp_endpoint_enqueue(e, buf, (size_t)n,
                             fd == e->rtcp_fd && (!e->rtcp_mux || rtp_is_rtcp(buf, (size_t)n)));
    }
}

int rtp_endpoint_open(struct rtp_endpoint **out, struct event_base *base, const char *addr,
                      int port_min, int port_max, int *port_cursor, int rtcp_mux, int queue_slots)
{
    struct rtp_endpoint *e = calloc(1, sizeof(*e));
    int span = port_max - port_min + 1, ret = AVERROR(EADDRINUSE);

    if (!e)
        return AVERROR(ENOMEM);
    atomic_init(&e->refs, 1);
    e->rtp_fd = e->rtcp_fd = -1;
    e->rtcp_mux = rtcp_mux;
    pthread_mutex_init(&e->lock, NULL);
    e->slot_count = queue_slots > RTP_ENDPOINT_MIN_QUEUE ? queue_slots : RTP_ENDPOINT_MIN_QUEUE;
    e->slots = calloc((size_t)e->slot_count, sizeof(*e->slots));
    if (!e->slots) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    for (int tries = 0; tries < span / 2 && e->rtp_fd < 0; tries++) {
        int port = port_min + ((*port_cursor - port_min + 2 * tries) % span);
        port &= ~1;
        if (port < port_min)
            port += 2;
        if (port + 1 > port_max)
            continue;
        if (rtp_endpoint_bind(addr, port, &e->rtp_fd) < 0)
            continue;
        if (!rtcp_mux && rtp_endpoint_bind(addr, port + 1, &e->rtcp_fd) < 0) {
            close(e->rtp_fd);
            e->rtp_fd = -1;
            continue;
        }
        e->rtp_port = port;
        e->rtcp_port = rtcp_mux ? port : port + 1;
        *port_cursor = port + 2 > port_max ? port_min : port + 2;
    }
    if (e->rtp_fd < 0)
        goto fail;
    if (rtcp_mux)
        e->rtcp_fd = e->rtp_fd;
    e->rtp_ev = event_new(base, e->rtp_fd, EV_READ | EV_PERSIST, rtp_endpoint_on_readable, e);
    if (!rtcp_mux)
        e->rtcp_ev = event_new(base, e->rtcp_fd, EV_READ | EV_PERSIST, rtp_endpoint_on_readable, e);
    if (!e->rtp_ev || (!rtcp_mux && !e->rtcp_ev) || event_add(e->rtp_ev, NULL) < 0 ||
        (e->rtcp_ev && event_add(e->rtcp_ev, NULL) < 0)) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    *out = e;
    return 0;
fail:
    rtp_endpoint_unref(&e);
    return ret;
}

int rtp_endpoint_rtp_port(const struct rtp_endpoint *e)
{
    return e->rtp_port;
}

int rtp_endpoint_rtcp_port(const struct rtp_endpoint *e)
{
    return e->rtcp_port;
}

static int rtp_endpoint_fill_addr(struct sockaddr_storage *ss, socklen_t *len, const char *addr, int port)
{
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
        *len = sizeof(struct sockaddr_in);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
        *len = sizeof(struct sockaddr_in6);
        return 0;
    }
    return AVERROR(EINVAL);
}

int rtp_endpoint_set_remote(struct rtp_endpoint *e, const char *addr, int rtp_port, int rtcp_port)
{
    socklen_t len;
    int ret;

    if (rtp_port <= 0 || rtp_port > 65535 || rtcp_port < 0 || rtcp_port > 65535)
        return AVERROR(EINVAL);
    if (!rtcp_port)
        rtcp_port = e->rtcp_mux ? rtp_port : rtp_port + 1;
    ret = rtp_endpoint_fill_addr(&e->remote_rtp, &len, addr, rtp_port);
    if (ret < 0)
        return ret;
    rtp_endpoint_fill_addr(&e->remote_rtcp, &e->remote_len, addr, rtcp_port);
    atomic_store(&e->has_remote, 1);
    return 0;
}

int rtp_endpoint_connect_rtp(struct rtp_endpoint *e)
{
    if (e->rtp_fd < 0 || e->rtcp_mux || !atomic_load(&e->has_remote))
        return AVERROR(EINVAL);
    if (connect(e->rtp_fd, (const struct sockaddr *)&e->remote_rtp, e->remote_len) < 0)
        return AVERROR(errno);
    e->rtp_connected = 1;
    return 0;
}

static int rtp_endpoint_send(struct rtp_endpoint *e, int fd, const struct sockaddr_storage *to,
                             const uint8_t *buf, size_t len)
{
    ssize_t n;

    if (!atomic_load(&e->has_remote) || fd < 0)
        return AVERROR(ENOTCONN);
    n = sendto(fd, buf, len, 0, (const struct sockaddr *)to, e->remote_len);
    if (n < 0) {
        int err = errno;
        atomic_fetch_add_explicit(&e->send_errors, 1, memory_order_relaxed);
        return AVERROR(err);
    }
    atomic_fetch_add_explicit(&e->sent, 1, memory_order_relaxed);
    return 0;
}

static int rtp_endpoint_send_external(struct rtp_endpoint *e, const uint8_t *buf, size_t len, int is_rtcp)
{
    int ret = AVERROR(ENOTCONN);

    pthread_mutex_lock(&e->lock);
    if (e->external_send)
        ret = e->external_send(e->external_opaque, buf, len, is_rtcp);
    pthread_mutex_unlock(&e->lock);
    atomic_fetch_add_explicit(ret < 0 ? &e->send_errors : &e->sent, 1, memory_order_relaxed);
    return ret;
}

int rtp_endpoint_send_rtp(struct rtp_endpoint *e, const uint8_t *buf, size_t len)
{
    if (e->rtp_fd < 0)
        return rtp_endpoint_send_external(e, buf, len, 0);
    return rtp_endpoint_send(e, e->rtp_fd, &e->remote_rtp, buf, len);
}

int rtp_endpoint_send_rtcp(struct rtp_endpoint *e, const uint8_t *buf, size_t len)
{
    if (e->rtp_fd < 0)
        return rtp_endpoint_send_external(e, buf, len, 1);
    return rtp_endpoint_send(e, e->rtcp_fd, &e->remote_rtcp, buf, len);
}

/* An external transport encrypts a whole packet: gather head and body first. */
static int rtp_endpoint_send_gathered(struct rtp_endpoint *e, const struct rtp_endpoint_msg *m)
{
    uint8_t buf[RTP_ENDPOINT_MTU];

    if (m->head_len + m->body_len > sizeof(buf)) {
        atomic_fetch_add_explicit(&e->send_errors, 1, memory_order_relaxed);
        return AVERROR(EMSGSIZE);
    }
    memcpy(buf, m->head, m->head_len);
    if (m->body_len)
        memcpy(buf + m->head_len, m->body, m->body_len);
    return rtp_endpoint_send_external(e, buf, m->head_len + m->body_len, 0);
}

#define RTP_ENDPOINT_BATCH 32

/* sendmmsg of up to RTP_ENDPOINT_BATCH datagrams; a datagram the kernel refuses is
 * counted and skipped. Returns how many were sent, or the last error if none. */
static int rtp_endpoint_sendmmsg(struct rtp_endpoint *e, const struct rtp_endpoint_msg *msgs, int count)
{
    struct mmsghdr mm[RTP_ENDPOINT_BATCH];
    struct iovec iov[RTP_ENDPOINT_BATCH][2];
    int done = 0, sent = 0, err = 0, retried = 0;

    memset(mm, 0, sizeof(mm[0]) * (size_t)count);
    for (int i = 0; i < count; i++) {
        iov[i][0] = (struct iovec){ (void *)msgs[i].head, msgs[i].head_len };
        iov[i][1] = (struct iovec){ (void *)msgs[i].body, msgs[i].body_len };
        if (!e->rtp_connected) {
            mm[i].msg_hdr.msg_name = &e->remote_rtp;
            mm[i].msg_hdr.msg_namelen = e->remote_len;
        }
        mm[i].msg_hdr.msg_iov = iov[i];
        mm[i].msg_hdr.msg_iovlen = msgs[i].body_len ? 2 : 1;
    }
    while (done < count) {
        int n = sendmmsg(e->rtp_fd, mm + done, (unsigned)(count - done), 0);
        if (n < 0) {
            /* A connected socket reports an earlier ICMP unreachable once, on the
             * next send, which did not go: try it once more. */
            if (errno == EINTR || (errno == ECONNREFUSED && !retried++))
                continue;
            err = AVERROR(errno);
            atomic_fetch_add_explicit(&e->send_errors, 1, memory_order_relaxed);
            done++;                  /* the datagram at `done` failed: skip it */
            continue;
        }
        done += n;
        sent += n;
        retried = 0;
    }
    atomic_fetch_add_explicit(&e->sent, (uint_fast64_t)sent, memory_order_relaxed);
    return sent ? sent : err;
}

int rtp_endpoint_send_rtp_batch(struct rtp_endpoint *e, const struct rtp_endpoint_msg *msgs, int count)
{
    int sent = 0, err = 0;

    if (count <= 0)
        return 0;
    if (e->rtp_fd < 0) {
        for (int i = 0; i < count; i++) {
            int ret = rtp_endpoint_send_gathered(e, &msgs[i]);
            if (ret < 0)
                err = ret;
            else
                sent++;
        }
        return sent ? sent : err;
    }
    if (!atomic_load(&e->has_remote))
        return AVERROR(ENOTCONN);
    for (int i = 0; i < count; i += RTP_ENDPOINT_BATCH) {
        int n = count - i < RTP_ENDPOINT_BATCH ? count - i : RTP_ENDPOINT_BATCH;
        int ret = rtp_endpoint_sendmmsg(e, msgs + i, n);
        if (ret < 0)
            err = ret;
        else
            sent += ret;
    }
    return sent ? sent : err;
}

int rtp_endpoint_open_external(struct rtp_endpoint **out, rtp_endpoint_send_fn send, void *opaque,
                               int queue_slots)
{
    struct rtp_endpoint *e = calloc(1, sizeof(*e));

    if (!e)
        return AVERROR(ENOMEM);
    atomic_init(&e->refs, 1);
    e->rtp_fd = e->rtcp_fd = -1;
    e->rtcp_mux = 1;
    pthread_mutex_init(&e->lock, NULL);
    e->slot_count = queue_slots > RTP_ENDPOINT_MIN_QUEUE ? queue_slots : RTP_ENDPOINT_MIN_QUEUE;
    e->slots = calloc((size_t)e->slot_count, sizeof(*e->slots));
    if (!e->slots) {
        rtp_endpoint_unref(&e);
        return AVERROR(ENOMEM);
    }
    e->external_send = send;
    e->external_opaque = opaque;
    *out = e;
    return 0;
}

void rtp_endpoint_push(struct rtp_endpoint *e, const uint8_t *buf, size_t len, int is_rtcp)
{
    if (len < 8 || len > RTP_ENDPOINT_MTU)
        return;
    rtp_endpoint_enqueue(e, buf, len, is_rtcp);
}

void rtp_endpoint_detach_external(struct rtp_endpoint *e)
{
    pthread_mutex_lock(&e->lock);
    e->external_send = NULL;
    e->external_opaque = NULL;
    pthread_mutex_unlock(&e->lock);
}

int rtp_endpoint_receive(struct rtp_endpoint *e, uint8_t *buf, size_t cap, int *is_rtcp,
                         uint64_t *arrival_us)
{
    int len = 0;

    if (!atomic_load(&e->queued))     /* the usual case: nothing came back */
        return 0;
    pthread_mutex_lock(&e->lock);
    if (e->count > 0) {
        struct rtp_endpoint_slot *s = &e->slots[e->head];
        len = s->len < cap ? s->len : (int)cap;
        memcpy(buf, s->data, (size_t)len);
        *is_rtcp = s->is_rtcp;
        *arrival_us = s->arrival_us;
        e->head = (e->head + 1) % e->slot_count;
        e->count--;
        atomic_store(&e->queued, e->count);
    }
    pthread_mutex_unlock(&e->lock);
    return len;
}

void rtp_endpoint_stop(struct rtp_endpoint *e)
{
    if (e->rtp_ev)
        event_free(e->rtp_ev);
    if (e->rtcp_ev)
        event_free(e->rtcp_ev);
    e->rtp_ev = e->rtcp_ev = NULL;
}

struct rtp_endpoint *rtp_endpoint_ref(struct rtp_endpoint *e)
{
    atomic_fetch_add(&e->refs, 1);
    return e;
}

void rtp_endpoint_unref(struct rtp_endpoint **p)
{
    struct rtp_endpoint *e = *p;

    if (!e)
        return;
    *p = NULL;
    if (atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    rtp_endpoint_stop(e);
    if (e->rtcp_fd >= 0 && e->rtcp_fd != e->rtp_fd)
        close(e->rtcp_fd);
    if (e->rtp_fd >= 0)
        close(e->rtp_fd);
    pthread_mutex_destroy(&e->lock);
    free(e->slots);
    free(e);
}

void rtp_endpoint_get_stats(struct rtp_endpoint *e, struct rtp_endpoint_stats *st)
{
    pthread_mutex_lock(&e->lock);
    *st = e->stats;
    pthread_mutex_unlock(&e->lock);
    st->sent = atomic_load_explicit(&e->sent, memory_order_relaxed);
    st->send_errors = atomic_load_explicit(&e->send_errors, memory_order_relaxed);
}

void rtp_endpoint_set_reader(struct rtp_endpoint *e)
{
    e->has_reader = 1;
}

int rtp_endpoint_has_reader(const struct rtp_endpoint *e)
{
    return e->has_reader;
}

void rtp_endpoint_post_feedback(struct rtp_endpoint *e, const struct rtp_endpoint_feedback *fb)
{
    struct rtp_endpoint_feedback *slot = NULL;

    for (int i = 0; i < e->feedback_count; i++)
        if (e->feedback[i].media_ssrc == fb->media_ssrc)
            slot = &e->feedback[i];
    if (!slot) {
        if (e->feedback_count == 4)
            return;
        slot = &e->feedback[e->feedback_count++];
        memset(slot, 0, sizeof(*slot));
        slot->media_ssrc = fb->media_ssrc;
    }
    slot->keyframe |= fb->keyframe;
    for (int i = 0; i < fb->nack_count && slot->nack_count < RTP_ENDPOINT_FEEDBACK_NACKS; i++)
        slot->nacks[slot->nack_count++] = fb->nacks[i];
}

int rtp_endpoint_take_feedback(struct rtp_endpoint *e, uint32_t ssrc, struct rtp_endpoint_feedback *out)
{
    for (int i = 0; i < e->feedback_count; i++) {
        if (e->feedback[i].media_ssrc != ssrc)
            continue;
        *out = e->feedback[i];
        e->feedback[i] = e->feedback[--e->feedback_count];
        return 1;
    }
    return 0;
}
