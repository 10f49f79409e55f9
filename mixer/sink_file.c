/* The libavformat sink: MP4 (fragmented for recordings), Matroska, WAV, HLS,
 * RTMP/FLV or anything else libavformat can write. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "mixer/profile.h"
#include "mixer/sink.h"

struct sink_file {
    AVFormatContext *fmt;
    const AVOutputFormat *oformat;
    AVRational encoder_tb[8];
    int fragmented;
    AVPacket *pkt;
    AVIOInterruptCB interrupt;
};

/* mkdir -p of the folder holding path (local paths only). */
static int sink_file_make_parent(const char *path)
{
    char dir[1024];
    char *slash;

    if (strstr(path, "://"))
        return 0;
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return AVERROR(errno);
        *p = '/';
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return AVERROR(errno);
    return 0;
}

static const char *sink_file_format_name(const char *url, const struct profile_def *def)
{
    size_t len = strlen(url);

    if (len > 5 && !strcmp(url + len - 5, ".m3u8"))
        return "hls";
    if (!strncmp(url, "rtmp://", 7) || !strncmp(url, "rtmps://", 8))
        return "flv";
    if (av_guess_format(NULL, url, NULL))
        return NULL;    /* libavformat picks by extension */
    return def->format;
}

static int sink_file_open(struct sink *s, AVCodecContext *const *encoders, int count)
{
    struct sink_file *f = s->priv;
    AVDictionary *opts = NULL;
    int ret;

    if (count > 8)
        return AVERROR(EINVAL);
    for (int i = 0; i < count; i++) {
        AVStream *st = avformat_new_stream(f->fmt, NULL);
        if (!st)
            return AVERROR(ENOMEM);
        ret = avcodec_parameters_from_context(st->codecpar, encoders[i]);
        if (ret < 0)
            return ret;
        st->time_base = encoders[i]->time_base;
        f->encoder_tb[i] = encoders[i]->time_base;
        if (encoders[i]->codec_type == AVMEDIA_TYPE_SUBTITLE)
            av_dict_set(&st->metadata, "language", "fre", 0);
    }
    if (!(f->fmt->oformat->flags & AVFMT_NOFILE)) {
        AVDictionary *io_opts = NULL;

        /* A broadcast server that stops reading must show up as back-pressure
         * within a second or two, not after megabytes of kernel buffer. */
        if (strstr(s->url, "://"))
            av_dict_set(&io_opts, "send_buffer_size", "262144", 0);
        ret = avio_open2(&f->fmt->pb, s->url, AVIO_FLAG_WRITE, &f->interrupt, &io_opts);
        av_dict_free(&io_opts);
        if (ret < 0) {
            log_error("output %s: cannot open: %s", s->url, av_err2str(ret));
            return ret;
        }
    }
    if (!strcmp(f->fmt->oformat->name, "mp4") || !strcmp(f->fmt->oformat->name, "mov")) {
        if (f->fragmented)
            av_dict_set(&opts, "movflags", "+frag_keyframe+empty_moov+default_base_moof", 0);
        else
            av_dict_set(&opts, "movflags", "+faststart", 0);
    } else if (!strcmp(f->fmt->oformat->name, "hls")) {
        av_dict_set(&opts, "hls_time", "2", 0);
        av_dict_set(&opts, "hls_list_size", "0", 0);
        av_dict_set(&opts, "hls_playlist_type", "event", 0);
        av_dict_set(&opts, "hls_flags", "independent_segments", 0);
    }
    ret = avformat_write_header(f->fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        log_error("output %s: cannot write header: %s", s->url, av_err2str(ret));
    return ret;
}

static int sink_file_write(struct sink *s, const AVPacket *pkt, int stream_index)
{
    struct sink_file *f = s->priv;
    AVStream *st = f->fmt->streams[stream_index];
    int ret = av_packet_ref(f->pkt, pkt);

    if (ret < 0)
        return ret;
    f->pkt->stream_index = stream_index;
    av_packet_rescale_ts(f->pkt, f->encoder_tb[stream_index], st->time_base);
    ret = av_interleaved_write_frame(f->fmt, f->pkt);
    av_packet_unref(f->pkt);
    return ret;
}

static int sink_file_close(struct sink *s)
{
    struct sink_file *f = s->priv;
    int ret = av_write_trailer(f->fmt);

    if (ret < 0)
        log_error("output %s: cannot finish: %s", s->url, av_err2str(ret));
    if (f->fmt->pb && !(f->fmt->oformat->flags & AVFMT_NOFILE))
        avio_closep(&f->fmt->pb);
    return ret;
}

static void sink_file_free_priv(void *priv)
{
    struct sink_file *f = priv;

    if (!f)
        return;
    if (f->fmt && f->fmt->pb && !(f->fmt->oformat->flags & AVFMT_NOFILE))
        avio_closep(&f->fmt->pb);
    avformat_free_context(f->fmt);
    av_packet_free(&f->pkt);
    av_free(f);
}

int sink_file_set_interrupt(struct sink *s, int (*interrupted)(void *opaque), void *opaque)
{
    struct sink_file *f = s->priv;

    f->interrupt.callback = interrupted;
    f->interrupt.opaque = opaque;
    f->fmt->interrupt_callback = f->interrupt;
    return 0;
}

static const struct sink_ops sink_file_ops = {
    .name = "file",
    .open = sink_file_open,
    .write = sink_file_write,
    .close = sink_file_close,
    .free_priv = sink_file_free_priv,
};

int sink_file_alloc(struct sink **out, const char *url, const struct profile_def *def)
{
    struct sink *s = av_mallocz(sizeof(*s));
    struct sink_file *f = av_mallocz(sizeof(*f));
    int ret;

    if (!s || !f) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    s->ops = &sink_file_ops;
    s->priv = f;
    snprintf(s->url, sizeof(s->url), "%s", url);
    f->fragmented = def->fragmented;
    f->pkt = av_packet_alloc();
    if (!f->pkt) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    ret = sink_file_make_parent(url);
    if (ret < 0) {
        log_error("output %s: cannot create its folder: %s", url, av_err2str(ret));
        goto fail;
    }
    ret = avformat_alloc_output_context2(&f->fmt, NULL, sink_file_format_name(url, def), url);
    if (ret < 0 || !f->fmt) {
        log_error("output %s: no muxer for this name: %s", url, av_err2str(ret));
        ret = ret < 0 ? ret : AVERROR_MUXER_NOT_FOUND;
        goto fail;
    }
    *out = s;
    return 0;
fail:
    sink_file_free_priv(f);
    av_free(s);
    return ret;
}
