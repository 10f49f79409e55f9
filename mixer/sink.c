/* Generic sink bookkeeping: counters, open/close once, freeing. */
#include <string.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "mixer/sink.h"

int sink_open(struct sink *s, AVCodecContext *const *encoders, int count)
{
    int ret = s->ops->open(s, encoders, count);

    if (ret >= 0)
        s->opened = 1;
    return ret;
}

int sink_write(struct sink *s, const AVPacket *pkt, int stream_index)
{
    int ret;

    if (!s->opened || s->closed || s->paused || (s->only_stream && s->only_stream != stream_index + 1))
        return 0;
    ret = s->ops->write(s, pkt, stream_index);
    if (ret < 0) {
        if (!s->write_errors)
            log_warn("output %s: write failed: %s (further errors counted)", s->url, av_err2str(ret));
        s->write_errors++;
        return ret;
    }
    if (ret == SINK_DROPPED) {
        s->dropped++;
        return 0;
    }
    s->packets++;
    s->bytes += pkt->size;
    return 0;
}

int sink_poll(struct sink *s)
{
    if (!s->opened || s->closed || !s->ops->poll)
        return 0;
    return s->ops->poll(s);
}

int sink_close(struct sink *s)
{
    int ret = 0;

    if (s->opened && !s->closed)
        ret = s->ops->close(s);
    s->closed = 1;
    return ret;
}

void sink_get_status(struct sink *s, struct sink_status *out)
{
    memset(out, 0, sizeof(*out));
    if (s->ops->status)
        s->ops->status(s, out);
}

void sink_free(struct sink **p)
{
    struct sink *s = *p;

    if (!s)
        return;
    sink_close(s);
    if (s->ops->free_priv)
        s->ops->free_priv(s->priv);
    av_free(s);
    *p = NULL;
}
