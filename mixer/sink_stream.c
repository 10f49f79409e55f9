/* A broadcast output over the network (RTMP): the libavformat muxer runs on its
 * own writer thread behind a bounded queue, so a slow, stalled or unreachable
 * server never stalls the room. Packets that do not fit are dropped (counted) and
 * video resumes at the next keyframe, which the sink asks the profile for; a
 * connection that fails is reported in the sink's status, not retried. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
#include <libavutil/time.h>
#include "mixer/log.h"
#include "mixer/sink.h"

#define SINK_STREAM_QUEUE 4096                 /* packets, whatever the time bound */
#define SINK_STREAM_QUEUE_BYTES (64 << 20)
#define SINK_STREAM_FLUSH_US 3000000           /* time to finish when closing */
#define SINK_STREAM_MAX_STREAMS 8

enum sink_stream_state {
    SINK_STREAM_CONNECTING,
    SINK_STREAM_LIVE,
    SINK_STREAM_FAILED,
    SINK_STREAM_FINISHED,
};

struct sink_stream_item {
    AVPacket *pkt;
    int stream_index;
    int64_t time_us;             /* the packet's timestamp */
};

struct sink_stream {
    struct sink *muxer;                 /* a sink_file, used on the writer thread only */
    AVCodecContext *params[SINK_STREAM_MAX_STREAMS];   /* the encoders' parameters */
    char url[1024];
    int count, video_index;
    int64_t buffer_us;                  /* most media time queued before dropping */
    pthread_t thread;
    int thread_started;
    int thread_done;                    /* the writer thread has returned */
    int orphaned;                       /* the sink is gone: the thread frees st */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct sink_stream_item queue[SINK_STREAM_QUEUE];
    int head, len;
    size_t queued_bytes;
    int closing;
    atomic_llong flush_deadline_us;     /* 0: none yet (read by the interrupt callback) */
    atomic_int abort_now;
    enum sink_stream_state state;
    int waiting_keyframe, keyframe_asked;
    char error[160];
};

static const char *const sink_stream_state_names[] = {
    [SINK_STREAM_CONNECTING] = "connecting",
    [SINK_STREAM_LIVE] = "live",
    [SINK_STREAM_FAILED] = "failed",
    [SINK_STREAM_FINISHED] = "finished",
};

int sink_stream_is_network_url(const char *url)
{
    return !strncmp(url, "rtmp://", 7) || !strncmp(url, "rtmps://", 8);
}

/* libavformat's interrupt callback: gives up when the room is closing the output
 * and the flush time is over (or the room is being torn down). */
static int sink_stream_interrupted(void *opaque)
{
    struct sink_stream *st = opaque;
    const int64_t deadline = atomic_load(&st->flush_deadline_us);

    if (atomic_load(&st->abort_now))
        return 1;
    return deadline && av_gettime_relative() > deadline;
}

static void sink_stream_fail(struct sink_stream *st, const char *url, const char *what, int err)
{
    pthread_mutex_lock(&st->lock);
    st->state = SINK_STREAM_FAILED;
    snprintf(st->error, sizeof(st->error), "%s: %s", what, av_err2str(err));
    pthread_mutex_unlock(&st->lock);
    log_error("output %s: %s: %s (the room goes on without it)", url, what, av_err2str(err));
}

static void sink_stream_destroy(struct sink_stream *st);

/* Streams whose writer thread is still running (see sink_stream_wait_all). */
static pthread_mutex_t sink_stream_running_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sink_stream_running_done = PTHREAD_COND_INITIALIZER;
static int sink_stream_running;

/* The writer thread's last act: frees st when its sink is already gone. */
static void sink_stream_thread_exit(struct sink_stream *st)
{
    int orphaned;

    pthread_mutex_lock(&st->lock);
    st->thread_done = 1;
    orphaned = st->orphaned;
    pthread_mutex_unlock(&st->lock);
    if (orphaned)
        sink_stream_destroy(st);
    pthread_mutex_lock(&sink_stream_running_lock);
    sink_stream_running--;
    pthread_cond_broadcast(&sink_stream_running_done);
    pthread_mutex_unlock(&sink_stream_running_lock);
}

static void sink_stream_write_all(struct sink_stream *st)
{
    struct sink_stream_item item;
    int ret = sink_open(st->muxer, st->params, st->count);

    if (ret < 0) {
        sink_stream_fail(st, st->url, "cannot connect", ret);
        return;
    }
    pthread_mutex_lock(&st->lock);
    if (st->state == SINK_STREAM_CONNECTING)
        st->state = SINK_STREAM_LIVE;
    for (;;) {
        while (!st->len && !st->closing)
            pthread_cond_wait(&st->wake, &st->lock);
        if (!st->len)
            break;
        item = st->queue[st->head];
        st->head = (st->head + 1) % SINK_STREAM_QUEUE;
        st->len--;
        st->queued_bytes -= (size_t)item.pkt->size;
        pthread_mutex_unlock(&st->lock);
        ret = sink_write(st->muxer, item.pkt, item.stream_index);
        av_packet_free(&item.pkt);
        if (ret < 0) {
            sink_stream_fail(st, st->url, "connection lost", ret);
            return;
        }
        pthread_mutex_lock(&st->lock);
    }
    pthread_mutex_unlock(&st->lock);
    ret = sink_close(st->muxer);
    pthread_mutex_lock(&st->lock);
    if (st->state == SINK_STREAM_LIVE)
        st->state = ret < 0 ? SINK_STREAM_FAILED : SINK_STREAM_FINISHED;
    pthread_mutex_unlock(&st->lock);
}

static void *sink_stream_run(void *opaque)
{
    struct sink_stream *st = opaque;

    sink_stream_write_all(st);
    sink_stream_thread_exit(st);
    return NULL;
}

static int sink_stream_open(struct sink *s, AVCodecContext *const *encoders, int count)
{
    struct sink_stream *st = s->priv;
    AVCodecParameters *par = avcodec_parameters_alloc();
    int ret = 0;

    if (!par)
        return AVERROR(ENOMEM);
    if (count > SINK_STREAM_MAX_STREAMS)
        ret = AVERROR(EINVAL);
    /* The writer thread must not touch the live encoders: it gets copies of their
     * parameters (extradata included). */
    for (int i = 0; i < count && ret >= 0; i++) {
        st->params[i] = avcodec_alloc_context3(NULL);
        if (!st->params[i]) {
            ret = AVERROR(ENOMEM);
            break;
        }
        st->count = i + 1;
        ret = avcodec_parameters_from_context(par, encoders[i]);
        if (ret >= 0)
            ret = avcodec_parameters_to_context(st->params[i], par);
        st->params[i]->time_base = encoders[i]->time_base;
        if (encoders[i]->codec_type == AVMEDIA_TYPE_VIDEO && st->video_index < 0)
            st->video_index = i;
    }
    avcodec_parameters_free(&par);
    if (ret < 0)
        return ret;
    pthread_mutex_lock(&sink_stream_running_lock);
    sink_stream_running++;
    pthread_mutex_unlock(&sink_stream_running_lock);
    ret = pthread_create(&st->thread, NULL, sink_stream_run, st);
    if (ret) {
        pthread_mutex_lock(&sink_stream_running_lock);
        sink_stream_running--;
        pthread_mutex_unlock(&sink_stream_running_lock);
        return AVERROR(ret);
    }
    st->thread_started = 1;
    return 0;
}

static int sink_stream_write(struct sink *s, const AVPacket *pkt, int stream_index)
{
    struct sink_stream *st = s->priv;
    const int is_video = stream_index == st->video_index;
    const int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    const int64_t time_us = ts == AV_NOPTS_VALUE ? 0 :
        av_rescale_q(ts, st->params[stream_index]->time_base, AV_TIME_BASE_Q);
    int dropped = 0;
    AVPacket *copy;

    pthread_mutex_lock(&st->lock);
    if (st->state == SINK_STREAM_FAILED || st->state == SINK_STREAM_FINISHED)
        dropped = 1;
    else if (is_video && st->waiting_keyframe && !(pkt->flags & AV_PKT_FLAG_KEY))
        dropped = 1;
    else if (st->len == SINK_STREAM_QUEUE || st->queued_bytes + (size_t)pkt->size > SINK_STREAM_QUEUE_BYTES ||
             (st->len && time_us - st->queue[st->head].time_us > st->buffer_us)) {
        dropped = 1;
        if (is_video && !st->waiting_keyframe) {
            st->waiting_keyframe = 1;
            st->keyframe_asked = 0;
            log_warn("output %s: the server is not keeping up; dropping until a keyframe", s->url);
        }
    }
    pthread_mutex_unlock(&st->lock);
    if (dropped)
        return SINK_DROPPED;
    copy = av_packet_clone(pkt);
    if (!copy)
        return AVERROR(ENOMEM);
    pthread_mutex_lock(&st->lock);
    if (is_video)
        st->waiting_keyframe = 0;
    st->queue[(st->head + st->len) % SINK_STREAM_QUEUE] = (struct sink_stream_item){ copy, stream_index, time_us };
    st->len++;
    st->queued_bytes += (size_t)copy->size;
    pthread_cond_signal(&st->wake);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

/* Asks the profile for a keyframe once the queue has room again after drops. */
static int sink_stream_poll(struct sink *s)
{
    struct sink_stream *st = s->priv;
    int ask = 0;

    pthread_mutex_lock(&st->lock);
    if (st->waiting_keyframe && !st->keyframe_asked && st->len < SINK_STREAM_QUEUE / 2 &&
        st->queued_bytes < SINK_STREAM_QUEUE_BYTES / 2 &&
        (!st->len || st->queue[(st->head + st->len - 1) % SINK_STREAM_QUEUE].time_us -
                     st->queue[st->head].time_us < st->buffer_us / 2)) {
        st->keyframe_asked = 1;
        ask = 1;
    }
    pthread_mutex_unlock(&st->lock);
    return ask;
}

/* Never blocks the room: the writer thread gets SINK_STREAM_FLUSH_US to send what
 * is queued and finish the stream, then gives up (interrupt callback). */
static int sink_stream_close(struct sink *s)
{
    struct sink_stream *st = s->priv;
    int failed;

    pthread_mutex_lock(&st->lock);
    st->closing = 1;
    if (!atomic_load(&st->flush_deadline_us))
        atomic_store(&st->flush_deadline_us, av_gettime_relative() + SINK_STREAM_FLUSH_US);
    pthread_cond_signal(&st->wake);
    failed = st->state == SINK_STREAM_FAILED;
    pthread_mutex_unlock(&st->lock);
    return failed ? AVERROR(EPIPE) : 0;
}

static void sink_stream_status(struct sink *s, struct sink_status *out)
{
    struct sink_stream *st = s->priv;

    pthread_mutex_lock(&st->lock);
    out->state = sink_stream_state_names[st->state];
    snprintf(out->error, sizeof(out->error), "%s", st->error);
    out->queued = st->len;
    pthread_mutex_unlock(&st->lock);
}

static void sink_stream_destroy(struct sink_stream *st)
{
    while (st->len) {
        av_packet_free(&st->queue[st->head].pkt);
        st->head = (st->head + 1) % SINK_STREAM_QUEUE;
        st->len--;
    }
    for (int i = 0; i < st->count; i++)
        avcodec_free_context(&st->params[i]);
    sink_free(&st->muxer);
    pthread_cond_destroy(&st->wake);
    pthread_mutex_destroy(&st->lock);
    av_free(st);
}

/* A writer thread still finishing keeps st and frees it when it returns. */
static void sink_stream_free_priv(void *priv)
{
    struct sink_stream *st = priv;
    int running;

    if (!st)
        return;
    pthread_mutex_lock(&st->lock);
    running = st->thread_started && !st->thread_done;
    if (running) {
        st->orphaned = 1;
        st->closing = 1;
        if (!atomic_load(&st->flush_deadline_us))   /* never closed: give up now */
            atomic_store(&st->abort_now, 1);
        pthread_cond_signal(&st->wake);
    }
    pthread_mutex_unlock(&st->lock);
    if (st->thread_started) {
        if (running) {
            pthread_detach(st->thread);
            return;
        }
        pthread_join(st->thread, NULL);
    }
    sink_stream_destroy(st);
}

int sink_stream_wait_all(int timeout_ms)
{
    struct timespec until;
    int left;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&sink_stream_running_lock);
    while (sink_stream_running > 0 &&
           pthread_cond_timedwait(&sink_stream_running_done, &sink_stream_running_lock, &until) == 0)
        ;
    left = sink_stream_running;
    pthread_mutex_unlock(&sink_stream_running_lock);
    return left;
}

static const struct sink_ops sink_stream_ops = {
    .name = "stream",
    .open = sink_stream_open,
    .write = sink_stream_write,
    .close = sink_stream_close,
    .poll = sink_stream_poll,
    .status = sink_stream_status,
    .free_priv = sink_stream_free_priv,
};

int sink_stream_alloc(struct sink **out, const char *url, const struct profile_def *def, int buffer_ms)
{
    struct sink *s = av_mallocz(sizeof(*s));
    struct sink_stream *st = av_mallocz(sizeof(*st));
    int ret;

    if (!s || !st) {
        av_free(s);
        av_free(st);
        return AVERROR(ENOMEM);
    }
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->wake, NULL);
    st->video_index = -1;
    st->buffer_us = (int64_t)(buffer_ms > 0 ? buffer_ms : SINK_STREAM_DEFAULT_BUFFER_MS) * 1000;
    s->ops = &sink_stream_ops;
    s->priv = st;
    snprintf(s->url, sizeof(s->url), "%s", url);
    snprintf(st->url, sizeof(st->url), "%s", url);
    ret = sink_file_alloc(&st->muxer, url, def);
    if (ret >= 0)
        ret = sink_file_set_interrupt(st->muxer, sink_stream_interrupted, st);
    if (ret < 0) {
        sink_free(&s);
        return ret;
    }
    *out = s;
    return 0;
}
