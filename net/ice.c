/* ICE agents over libnice, all driven by one GLib main loop thread.
 *
 * Threads: the ICE thread (ice_thread_run) iterates one GMainContext that every
 * agent is created with: libnice's sockets, connectivity checks and keepalive
 * timers, the receive callback and each peer's tick run there. Agents are
 * created on the caller's thread (the server's loop thread: libnice's API is
 * thread-safe and we connect no GObject signal, so nothing of ours runs there)
 * and freed on the ICE thread, through ice_thread_post. nice_agent_send is
 * called from media threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <nice/agent.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "net/ice.h"

struct ice_thread {
    GMainContext *ctx;
    GMainLoop *loop;
    pthread_t thread;
};

struct ice_task {
    ice_task_fn fn;
    void *arg;
};

struct ice_peer {
    struct ice_thread *thread;
    NiceAgent *agent;
    guint stream;
    GSource *tick;
    ice_receive_fn on_receive;
    ice_tick_fn on_tick;
    void *opaque;
    char remote_ufrag[256];              /* control thread only */
};

static void *ice_thread_run(void *arg)
{
    struct ice_thread *t = arg;

    g_main_context_push_thread_default(t->ctx);
    g_main_loop_run(t->loop);
    /* What was posted before the stop request and is still pending. */
    for (int i = 0; i < 1000 && g_main_context_iteration(t->ctx, FALSE); i++)
        ;
    g_main_context_pop_thread_default(t->ctx);
    return NULL;
}

int ice_thread_start(struct ice_thread **out)
{
    struct ice_thread *t = av_mallocz(sizeof(*t));

    if (!t)
        return AVERROR(ENOMEM);
    t->ctx = g_main_context_new();
    t->loop = g_main_loop_new(t->ctx, FALSE);
    if (pthread_create(&t->thread, NULL, ice_thread_run, t)) {
        g_main_loop_unref(t->loop);
        g_main_context_unref(t->ctx);
        av_free(t);
        return AVERROR(EAGAIN);
    }
    *out = t;
    return 0;
}

static gboolean ice_task_run(gpointer data)
{
    struct ice_task *task = data;

    task->fn(task->arg);
    return G_SOURCE_REMOVE;
}

static int ice_thread_post_priority(struct ice_thread *t, ice_task_fn fn, void *arg, int priority)
{
    struct ice_task *task = av_malloc(sizeof(*task));
    GSource *src;

    if (!task)
        return AVERROR(ENOMEM);
    task->fn = fn;
    task->arg = arg;
    src = g_idle_source_new();
    g_source_set_priority(src, priority);
    g_source_set_callback(src, ice_task_run, task, av_free);
    g_source_attach(src, t->ctx);
    g_source_unref(src);
    return 0;
}

int ice_thread_post(struct ice_thread *t, ice_task_fn fn, void *arg)
{
    return ice_thread_post_priority(t, fn, arg, G_PRIORITY_DEFAULT);
}

static void ice_thread_quit(void *arg)
{
    g_main_loop_quit(arg);
}

void ice_thread_stop(struct ice_thread **p)
{
    struct ice_thread *t = *p;

    if (!t)
        return;
    /* Lower priority than every posted task: they run first. */
    if (ice_thread_post_priority(t, ice_thread_quit, t->loop, G_PRIORITY_LOW) < 0)
        g_main_loop_quit(t->loop);
    pthread_join(t->thread, NULL);
    g_main_loop_unref(t->loop);
    g_main_context_unref(t->ctx);
    av_free(t);
    *p = NULL;
}

static void ice_on_receive(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
                           gpointer data)
{
    struct ice_peer *p = data;

    (void)agent;
    (void)stream;
    (void)component;
    p->on_receive(p->opaque, (const uint8_t *)buf, len);
}

static gboolean ice_on_tick(gpointer data)
{
    struct ice_peer *p = data;

    p->on_tick(p->opaque);
    return G_SOURCE_CONTINUE;
}

static void ice_peer_destroy(void *arg)
{
    struct ice_peer *p = arg;

    if (p->tick) {
        g_source_destroy(p->tick);
        g_source_unref(p->tick);
    }
    if (p->agent && p->stream) {
        nice_agent_attach_recv(p->agent, p->stream, 1, p->thread->ctx, NULL, NULL);
        nice_agent_remove_stream(p->agent, p->stream);
    }
    if (p->agent)
        g_object_unref(p->agent);
    av_free(p);
}

static NiceCandidateType ice_candidate_type(const char *type)
{
    if (!strcasecmp(type, "srflx"))
        return NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
    if (!strcasecmp(type, "prflx"))
        return NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
    if (!strcasecmp(type, "relay"))
        return NICE_CANDIDATE_TYPE_RELAYED;
    return NICE_CANDIDATE_TYPE_HOST;
}

/* Candidates with an IP address (host names, i.e. mDNS, are left to
 * peer-reflexive discovery). Returns how many were given to libnice. */
int ice_peer_add_remote_candidates(struct ice_peer *p, const struct ice_candidate *cands, int count)
{
    GSList *list = NULL;
    int n = 0;

    for (int i = 0; i < count; i++) {
        const struct ice_candidate *rc = &cands[i];
        NiceCandidate *c = nice_candidate_new(ice_candidate_type(rc->type));

        c->stream_id = p->stream;
        c->component_id = 1;
        c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
        c->priority = rc->priority;
        snprintf(c->foundation, sizeof(c->foundation), "%s", rc->foundation);
        if (!nice_address_set_from_string(&c->addr, rc->addr) || rc->port <= 0 || rc->port > 65535) {
            nice_candidate_free(c);
            continue;
        }
        nice_address_set_port(&c->addr, (guint)rc->port);
        list = g_slist_append(list, c);
    }
    if (list)
        n = nice_agent_set_remote_candidates(p->agent, p->stream, 1, list);
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
    return n < 0 ? 0 : n;
}

void ice_peer_remote_gathering_done(struct ice_peer *p)
{
    nice_agent_peer_candidate_gathering_done(p->agent, p->stream);
}

int ice_peer_restart(struct ice_peer *p, const char *remote_ufrag, const char *remote_pwd, char *err,
                     size_t err_size)
{
    if (strlen(remote_ufrag) >= sizeof(p->remote_ufrag)) {
        snprintf(err, err_size, "a=ice-ufrag is too long");
        return AVERROR(EINVAL);
    }
    if (!nice_agent_restart_stream(p->agent, p->stream)) {
        snprintf(err, err_size, "libnice refused the ICE restart");
        return AVERROR(EINVAL);
    }
    if (!nice_agent_set_remote_credentials(p->agent, p->stream, remote_ufrag, remote_pwd)) {
        snprintf(err, err_size, "the new ICE credentials were refused");
        return AVERROR(EINVAL);
    }
    snprintf(p->remote_ufrag, sizeof(p->remote_ufrag), "%s", remote_ufrag);
    return 0;
}

const char *ice_peer_remote_ufrag(const struct ice_peer *p)
{
    return p->remote_ufrag;
}

static int ice_add_local_addresses(struct ice_peer *p, const struct ice_peer_config *cfg, char *err,
                                   size_t err_size)
{
    for (int i = 0; i < cfg->address_count; i++) {
        NiceAddress a;

        nice_address_init(&a);
        if (!nice_address_set_from_string(&a, cfg->addresses[i]) || !nice_agent_add_local_address(p->agent, &a)) {
            snprintf(err, err_size, "ICE address %s is not a usable IP address", cfg->addresses[i]);
            return AVERROR(EINVAL);
        }
    }
    return 0;
}

int ice_peer_alloc(struct ice_peer **out, struct ice_thread *t, const struct ice_peer_config *cfg,
                   ice_receive_fn on_receive, void *opaque, char *err, size_t err_size)
{
    struct ice_peer *p = av_mallocz(sizeof(*p));
    int ret;

    if (!p)
        return AVERROR(ENOMEM);
    p->thread = t;
    p->on_receive = on_receive;
    p->opaque = opaque;
    /* No libnice consent freshness: 0.1.21 sends one check every ~5 s without
     * retransmission and gives up after 10 s, so two checks lost in a row (a 1 %
     * event per check pair at 10 % loss) dropped a healthy peer. Consent is the
     * peer's authenticated traffic instead (net/webrtc.c: nothing received for
     * ice_timeout_s, 30 s by default as in RFC 7675, removes it); the browser still
     * runs its own consent checks against us, which libnice answers. */
    p->agent = nice_agent_new_full(t->ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_NONE);
    if (!p->agent) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    g_object_set(p->agent, "controlling-mode", FALSE, "ice-tcp", FALSE, NULL);
    /* Host candidates only: no UPnP port mapping (and no gupnp-igd thread). */
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(p->agent), "upnp"))
        g_object_set(p->agent, "upnp", FALSE, NULL);
    if ((ret = ice_add_local_addresses(p, cfg, err, err_size)) < 0)
        goto fail;
    p->stream = nice_agent_add_stream(p->agent, 1);
    if (!p->stream) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    nice_agent_set_port_range(p->agent, p->stream, 1, (guint)cfg->port_min, (guint)cfg->port_max);
    nice_agent_attach_recv(p->agent, p->stream, 1, t->ctx, ice_on_receive, p);
    if (!nice_agent_gather_candidates(p->agent, p->stream)) {
        snprintf(err, err_size, "no ICE candidate: no free UDP port in %d-%d on the ICE addresses",
                 cfg->port_min, cfg->port_max);
        ret = AVERROR(EADDRINUSE);
        goto fail;
    }
    if (!nice_agent_set_remote_credentials(p->agent, p->stream, cfg->remote_ufrag, cfg->remote_pwd)) {
        snprintf(err, err_size, "the offer's ICE credentials were refused");
        ret = AVERROR(EINVAL);
        goto fail;
    }
    snprintf(p->remote_ufrag, sizeof(p->remote_ufrag), "%s", cfg->remote_ufrag);
    ice_peer_add_remote_candidates(p, cfg->remote_candidates, cfg->remote_candidate_count);
    *out = p;
    return 0;
fail:
    /* Its sockets may already be polled by the ICE thread: free it there. */
    if (!p->agent || ice_thread_post(t, ice_peer_destroy, p) < 0)
        ice_peer_destroy(p);
    return ret;
}

int ice_peer_local_credentials(struct ice_peer *p, char *ufrag, size_t ufrag_size, char *pwd, size_t pwd_size)
{
    gchar *u = NULL, *w = NULL;
    int ret = AVERROR(ENOSPC);

    if (nice_agent_get_local_credentials(p->agent, p->stream, &u, &w) && strlen(u) < ufrag_size &&
        strlen(w) < pwd_size) {
        snprintf(ufrag, ufrag_size, "%s", u);
        snprintf(pwd, pwd_size, "%s", w);
        ret = 0;
    }
    g_free(u);
    g_free(w);
    return ret;
}

int ice_peer_local_candidates(struct ice_peer *p, struct ice_candidate *out, int max)
{
    GSList *list = nice_agent_get_local_candidates(p->agent, p->stream, 1);
    int n = 0;

    for (GSList *l = list; l && n < max; l = l->next) {
        NiceCandidate *c = l->data;
        struct ice_candidate *o = &out[n];
        char addr[NICE_ADDRESS_STRING_LEN];

        if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
            continue;
        memset(o, 0, sizeof(*o));
        nice_address_to_string(&c->addr, addr);
        snprintf(o->addr, sizeof(o->addr), "%s", addr);
        snprintf(o->foundation, sizeof(o->foundation), "%s", c->foundation);
        snprintf(o->type, sizeof(o->type), "host");
        o->port = (int)nice_address_get_port(&c->addr);
        o->priority = c->priority;
        n++;
    }
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
    return n;
}

int ice_peer_start(struct ice_peer *p, ice_tick_fn on_tick)
{
    p->on_tick = on_tick;
    p->tick = g_timeout_source_new(ICE_TICK_MS);
    if (!p->tick)
        return AVERROR(ENOMEM);
    g_source_set_callback(p->tick, ice_on_tick, p, NULL);
    g_source_attach(p->tick, p->thread->ctx);
    return 0;
}

enum ice_state ice_peer_state(struct ice_peer *p)
{
    NiceComponentState st = nice_agent_get_component_state(p->agent, p->stream, 1);

    if (st == NICE_COMPONENT_STATE_CONNECTED || st == NICE_COMPONENT_STATE_READY)
        return ICE_STATE_CONNECTED;
    return st == NICE_COMPONENT_STATE_FAILED ? ICE_STATE_FAILED : ICE_STATE_CHECKING;
}

int ice_peer_send(struct ice_peer *p, const uint8_t *buf, size_t len)
{
    return nice_agent_send(p->agent, p->stream, 1, (guint)len, (const gchar *)buf) < 0 ? AVERROR(ENOTCONN) : 0;
}

void ice_peer_free(struct ice_peer **pp)
{
    if (*pp)
        ice_peer_destroy(*pp);
    *pp = NULL;
}
