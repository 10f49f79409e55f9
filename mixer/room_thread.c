/* The media thread of a live room.
 *
 * The thread sleeps until the next tick's wall-clock deadline (CLOCK_MONOTONIC,
 * absolute), runs the commands queued since the last tick, then runs one room
 * tick. Ticks are never skipped: if the thread falls behind it catches up as fast
 * as it can and counts late ticks, so media time stays continuous for encoders and
 * recordings. The command queue is the only shared state, under one mutex that is
 * never held while media work runs. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <libavutil/avstring.h>
#include "mixer/log.h"
#include "mixer/room.h"
#include "mixer/room_thread.h"

#define ROOM_THREAD_SNAPSHOT_TICKS 10

struct room_command {
    room_command_fn fn;
    void *arg;
    room_command_free_fn free_arg;
    struct room_command *next;
};

struct room_thread {
    struct room *room;
    pthread_t thread;
    int thread_started;
    pthread_mutex_t lock;
    struct room_command *head, *tail;
    int stop;
    char *snapshot;
    room_snapshot_fn snapshot_fn;
    void *snapshot_opaque;
    _Atomic long late_ticks;
};

static void room_command_free(struct room_command *c)
{
    if (c->free_arg)
        c->free_arg(c->arg);
    av_free(c);
}

/* Takes the whole queue under the lock, runs it outside the lock. */
static void room_thread_run_commands(struct room_thread *t)
{
    struct room_command *c;

    pthread_mutex_lock(&t->lock);
    c = t->head;
    t->head = t->tail = NULL;
    pthread_mutex_unlock(&t->lock);
    while (c) {
        struct room_command *next = c->next;
        c->fn(t->room, c->arg);
        room_command_free(c);
        c = next;
    }
}

static void room_thread_publish(struct room_thread *t)
{
    char *snap = t->snapshot_fn ? t->snapshot_fn(t->room, t->snapshot_opaque) : NULL;
    char *old;

    if (!snap)
        return;
    pthread_mutex_lock(&t->lock);
    old = t->snapshot;
    t->snapshot = snap;
    pthread_mutex_unlock(&t->lock);
    av_free(old);
}

static int room_thread_should_stop(struct room_thread *t)
{
    int stop;

    pthread_mutex_lock(&t->lock);
    stop = t->stop;
    pthread_mutex_unlock(&t->lock);
    return stop;
}

static void timespec_add_ns(struct timespec *ts, long long ns)
{
    long long total = ts->tv_nsec + ns;

    ts->tv_sec += total / 1000000000LL;
    ts->tv_nsec = total % 1000000000LL;
}

static void *room_thread_main(void *opaque)
{
    struct room_thread *t = opaque;
    struct timespec start, deadline, now;
    int64_t tick = 0;
    int fps = room_fps(t->room);

    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!room_thread_should_stop(t)) {
        deadline = start;
        timespec_add_ns(&deadline, tick * 1000000000LL / fps);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - deadline.tv_sec) * 1000000000LL + (now.tv_nsec - deadline.tv_nsec) >
            1000000000LL / fps)
            t->late_ticks++;
        room_thread_run_commands(t);
        if (room_tick(t->room) < 0)
            log_warn("room: tick failed; continuing");
        if (tick % ROOM_THREAD_SNAPSHOT_TICKS == 0)
            room_thread_publish(t);
        tick++;
    }
    room_thread_run_commands(t);
    room_finish(t->room);
    room_thread_publish(t);
    return NULL;
}

int room_thread_start(struct room_thread **out, struct room *room,
                      room_snapshot_fn snapshot, void *snapshot_opaque)
{
    struct room_thread *t = av_mallocz(sizeof(*t));
    int ret;

    if (!t) {
        room_free(&room);
        return AVERROR(ENOMEM);
    }
    t->room = room;
    t->snapshot_fn = snapshot;
    t->snapshot_opaque = snapshot_opaque;
    pthread_mutex_init(&t->lock, NULL);
    ret = room_start(room);
    if (ret < 0)
        goto fail;
    ret = pthread_create(&t->thread, NULL, room_thread_main, t);
    if (ret) {
        ret = AVERROR(ret);
        goto fail;
    }
    t->thread_started = 1;
    *out = t;
    return 0;
fail:
    room_thread_stop(&t);
    return ret;
}

int room_thread_post(struct room_thread *t, room_command_fn fn, void *arg,
                     room_command_free_fn free_arg)
{
    struct room_command *c = av_mallocz(sizeof(*c));

    if (!c) {
        if (free_arg)
            free_arg(arg);
        return AVERROR(ENOMEM);
    }
    c->fn = fn;
    c->arg = arg;
    c->free_arg = free_arg;
    pthread_mutex_lock(&t->lock);
    if (t->tail)
        t->tail->next = c;
    else
        t->head = c;
    t->tail = c;
    pthread_mutex_unlock(&t->lock);
    return 0;
}

char *room_thread_snapshot(struct room_thread *t)
{
    char *copy = NULL;

    pthread_mutex_lock(&t->lock);
    if (t->snapshot)
        copy = av_strdup(t->snapshot);
    pthread_mutex_unlock(&t->lock);
    return copy;
}

long room_thread_late_ticks(struct room_thread *t)
{
    return t->late_ticks;
}

void room_thread_stop(struct room_thread **p)
{
    struct room_thread *t = *p;
    struct room_command *c;

    if (!t)
        return;
    if (t->thread_started) {
        pthread_mutex_lock(&t->lock);
        t->stop = 1;
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->thread, NULL);
    } else if (t->room) {
        room_finish(t->room);
    }
    c = t->head;
    while (c) {
        struct room_command *next = c->next;
        room_command_free(c);
        c = next;
    }
    room_free(&t->room);
    av_free(t->snapshot);
    pthread_mutex_destroy(&t->lock);
    av_free(t);
    *p = NULL;
}
