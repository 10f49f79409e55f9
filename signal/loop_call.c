/* Cross-thread calls onto the libevent loop: a queue under a mutex, an event made
 * active from the calling thread (libevent is set up with pthreads), a condition
 * variable to wait for completion. */
#include <pthread.h>
#include <event2/event.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "signal/loop_call.h"

struct loop_call_request {
    loop_call_fn fn;
    void *arg;
    int done;
    struct loop_call_request *next;
};

struct loop_call {
    struct server *server;
    struct event *wake;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct loop_call_request *head, *tail;
    int closing;
};

static void loop_call_on_wake(evutil_socket_t fd, short what, void *opaque)
{
    struct loop_call *lc = opaque;

    (void)fd;
    (void)what;
    for (;;) {
        struct loop_call_request *r;

        pthread_mutex_lock(&lc->lock);
        r = lc->head;
        if (r) {
            lc->head = r->next;
            if (!lc->head)
                lc->tail = NULL;
        }
        pthread_mutex_unlock(&lc->lock);
        if (!r)
            break;
        r->fn(lc->server, r->arg);
        pthread_mutex_lock(&lc->lock);
        r->done = 1;
        pthread_cond_broadcast(&lc->cond);
        pthread_mutex_unlock(&lc->lock);
    }
}

int loop_call_alloc(struct loop_call **out, struct event_base *base, struct server *s)
{
    struct loop_call *lc = av_mallocz(sizeof(*lc));

    if (!lc)
        return AVERROR(ENOMEM);
    lc->server = s;
    pthread_mutex_init(&lc->lock, NULL);
    pthread_cond_init(&lc->cond, NULL);
    lc->wake = event_new(base, -1, 0, loop_call_on_wake, lc);
    if (!lc->wake) {
        loop_call_free(&lc);
        return AVERROR(ENOMEM);
    }
    *out = lc;
    return 0;
}

void loop_call_close(struct loop_call *lc)
{
    if (!lc)
        return;
    pthread_mutex_lock(&lc->lock);
    lc->closing = 1;
    pthread_mutex_unlock(&lc->lock);
    loop_call_on_wake(-1, 0, lc);
}

void loop_call_free(struct loop_call **p)
{
    struct loop_call *lc = *p;

    if (!lc)
        return;
    loop_call_close(lc);
    if (lc->wake)
        event_free(lc->wake);
    pthread_cond_destroy(&lc->cond);
    pthread_mutex_destroy(&lc->lock);
    av_free(lc);
    *p = NULL;
}

int loop_call_run(struct loop_call *lc, loop_call_fn fn, void *arg)
{
    struct loop_call_request r = { fn, arg, 0, NULL };

    pthread_mutex_lock(&lc->lock);
    if (lc->closing) {
        pthread_mutex_unlock(&lc->lock);
        return AVERROR_EXIT;
    }
    if (lc->tail)
        lc->tail->next = &r;
    else
        lc->head = &r;
    lc->tail = &r;
    pthread_mutex_unlock(&lc->lock);
    event_active(lc->wake, EV_READ, 0);
    pthread_mutex_lock(&lc->lock);
    while (!r.done)
        pthread_cond_wait(&lc->cond, &lc->lock);
    pthread_mutex_unlock(&lc->lock);
    return 0;
}
