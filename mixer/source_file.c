/* A source read from any libavformat input and decoded on demand, for `tessera mix`:
 * demux, decode, keep a short queue of future video frames, resample audio into
 * the room's mono float mix rate. */
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "mixer/source.h"

#define SOURCE_FILE_QUEUE 16

struct source_file {
    char url[1024];
    AVFormatContext *fmt;
    int video_stream, audio_stream;
    AVCodecContext *vdec, *adec;
    struct source_resampler resampler;
    int64_t start_pts;           /* AV_TIME_BASE units: the input's zero */
    int audio_started;
    AVFrame *queue[SOURCE_FILE_QUEUE];   /* decoded video frames not shown yet */
    int queue_count;
    int demux_eof, video_eof, audio_eof;
    AVPacket *pkt;
    AVFrame *frame;
};

static double source_file_frame_time(const struct source_file *f, const AVFrame *frame, AVRational tb)
{
    int64_t ts = frame->best_effort_timestamp;

    if (ts == AV_NOPTS_VALUE)
        ts = frame->pts;
    if (ts == AV_NOPTS_VALUE)
        return 0;
    return ts * av_q2d(tb) - f->start_pts / (double)AV_TIME_BASE;
}

static int source_file_open_decoder(struct source_file *f, int index, AVCodecContext **out)
{
    AVStream *st = f->fmt->streams[index];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    AVCodecContext *dec;
    int ret;

    if (!codec) {
        log_error("input %s: no decoder for %s", f->url, avcodec_get_name(st->codecpar->codec_id));
        return AVERROR_DECODER_NOT_FOUND;
    }
    dec = avcodec_alloc_context3(codec);
    if (!dec)
        return AVERROR(ENOMEM);
    ret = avcodec_parameters_to_context(dec, st->codecpar);
    if (ret < 0)
        goto fail;
    dec->pkt_timebase = st->time_base;
    dec->thread_count = st->codecpar->width * st->codecpar->height > 1280 * 720 ? 0 : 1;
    ret = avcodec_open2(dec, codec, NULL);
    if (ret < 0) {
        log_error("input %s: cannot open the %s decoder: %s", f->url, codec->name, av_err2str(ret));
        goto fail;
    }
    *out = dec;
    return 0;
fail:
    avcodec_free_context(&dec);
    return ret;
}

static int source_file_check_size(const struct source_file *f, int w, int h)
{
    if (w > SOURCE_MAX_WIDTH || h > SOURCE_MAX_HEIGHT || w <= 0 || h <= 0) {
        log_error("input %s: video size %dx%d is outside the supported 1x1..%dx%d",
                  f->url, w, h, SOURCE_MAX_WIDTH, SOURCE_MAX_HEIGHT);
        return AVERROR(EINVAL);
    }
    return 0;
}

static int source_file_add_silence(struct source *s, int n)
{
    float *zero = av_calloc(n, sizeof(float));
    int ret;

    if (!zero)
        return AVERROR(ENOMEM);
    ret = av_audio_fifo_write(s->audio, (void **)&zero, n);
    av_free(zero);
    return ret;
}

static int source_file_take_audio(struct source *s, struct source_file *f, AVFrame *frame)
{
    int ret;

    if (frame->sample_rate <= 0 || frame->ch_layout.nb_channels <= 0 ||
        frame->sample_rate > 384000) {
        s->stats.dropped_frames++;
        return 0;
    }
    if (!f->audio_started) {
        /* Audio that starts after the input's zero is preceded by silence. */
        double t = source_file_frame_time(f, frame, f->fmt->streams[f->audio_stream]->time_base);
        f->audio_started = 1;
        if (t > 0.001 && t < 60)
            source_file_add_silence(s, (int)(t * s->mix_rate));
    }
    ret = source_resampler_push(&f->resampler, s, frame);
    s->stats.audio_frames++;
    return ret;
}

static int source_file_take_video(struct source *s, struct source_file *f, AVFrame *frame)
{
    if (frame->width > SOURCE_MAX_WIDTH || frame->height > SOURCE_MAX_HEIGHT ||
        f->queue_count >= SOURCE_FILE_QUEUE) {
        s->stats.dropped_frames++;
        return 0;
    }
    f->queue[f->queue_count] = av_frame_clone(frame);
    if (!f->queue[f->queue_count])
        return AVERROR(ENOMEM);
    f->queue_count++;
    s->stats.video_frames++;
    return 0;
}

/* Receives every frame the decoder has ready. */
static int source_file_receive(struct source *s, struct source_file *f, AVCodecContext *dec)
{
    int ret;

    while ((ret = avcodec_receive_frame(dec, f->frame)) >= 0) {
        if (dec == f->vdec)
            ret = source_file_take_video(s, f, f->frame);
        else
            ret = source_file_take_audio(s, f, f->frame);
        av_frame_unref(f->frame);
        if (ret < 0)
            return ret;
    }
    if (ret == AVERROR_EOF) {
        if (dec == f->vdec)
            f->video_eof = 1;
        else
            f->audio_eof = 1;
        return 0;
    }
    return ret == AVERROR(EAGAIN) ? 0 : ret;
}

static int source_file_decode(struct source *s, struct source_file *f, AVCodecContext *dec,
                              const AVPacket *pkt)
{
    int ret = avcodec_send_packet(dec, pkt);

    if (ret < 0 && ret != AVERROR_EOF) {
        s->stats.decode_errors++;
        if (s->stats.decode_errors == 1)
            log_warn("input %s: undecodable data dropped: %s (further drops counted)",
                     f->url, av_err2str(ret));
    }
    return source_file_receive(s, f, dec);
}

/* Reads and decodes one packet; at the end of the input drains the decoders. */
static int source_file_step(struct source *s, struct source_file *f)
{
    int ret;

    if (f->demux_eof)
        return AVERROR_EOF;
    ret = av_read_frame(f->fmt, f->pkt);
    if (ret < 0) {
        f->demux_eof = 1;
        if (ret != AVERROR_EOF)
            log_warn("input %s: read error, treated as its end: %s", f->url, av_err2str(ret));
        if (f->vdec)
            source_file_decode(s, f, f->vdec, NULL);
        if (f->adec)
            source_file_decode(s, f, f->adec, NULL);
        if (s->audio)
            source_resampler_flush(&f->resampler, s);      /* the resampler's delay */
        f->video_eof = f->audio_eof = 1;
        return 0;
    }
    if (f->vdec && f->pkt->stream_index == f->video_stream)
        ret = source_file_decode(s, f, f->vdec, f->pkt);
    else if (f->adec && f->pkt->stream_index == f->audio_stream)
        ret = source_file_decode(s, f, f->adec, f->pkt);
    av_packet_unref(f->pkt);
    return ret;
}

/* Moves queued frames due at video_t into s->video. */
static void source_file_show_due(struct source *s, struct source_file *f, double video_t)
{
    AVRational tb = f->fmt->streams[f->video_stream]->time_base;

    while (f->queue_count > 0 && source_file_frame_time(f, f->queue[0], tb) <= video_t) {
        av_frame_free(&s->video);
        s->video = f->queue[0];
        s->video_time = source_file_frame_time(f, s->video, tb);
        s->video_serial++;
        memmove(f->queue, f->queue + 1, (size_t)(f->queue_count - 1) * sizeof(f->queue[0]));
        f->queue_count--;
    }
}

static int source_file_needs_more(const struct source *s, const struct source_file *f,
                                  double video_t, int64_t audio_until)
{
    AVRational tb;

    if (f->vdec && !f->video_eof) {
        if (f->queue_count == 0)
            return 1;
        tb = f->fmt->streams[f->video_stream]->time_base;
        if (source_file_frame_time(f, f->queue[f->queue_count - 1], tb) <= video_t &&
            f->queue_count < SOURCE_FILE_QUEUE)
            return 1;
    }
    if (f->adec && !f->audio_eof &&
        s->audio_consumed + av_audio_fifo_size(s->audio) < audio_until)
        return 1;
    return 0;
}

static int source_file_advance(struct source *s, double video_t, int64_t audio_until)
{
    struct source_file *f = s->priv;
    int ret = 0;

    while (source_file_needs_more(s, f, video_t, audio_until)) {
        ret = source_file_step(s, f);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            log_warn("input %s: %s; the participant leaves", f->url, av_err2str(ret));
            f->demux_eof = f->video_eof = f->audio_eof = 1;
            break;
        }
        if (f->vdec)
            source_file_show_due(s, f, video_t);
    }
    if (f->vdec)
        source_file_show_due(s, f, video_t);
    /* Ended once everything is shown; an audio tail under 20 ms (codec padding) is
     * not worth another frame. */
    if (f->demux_eof && f->queue_count == 0 &&
        (!s->audio || av_audio_fifo_size(s->audio) < s->mix_rate / 50))
        s->ended = 1;
    return 0;
}

static void source_file_free_priv(void *priv)
{
    struct source_file *f = priv;

    if (!f)
        return;
    for (int i = 0; i < f->queue_count; i++)
        av_frame_free(&f->queue[i]);
    avcodec_free_context(&f->vdec);
    avcodec_free_context(&f->adec);
    source_resampler_uninit(&f->resampler);
    avformat_close_input(&f->fmt);
    av_packet_free(&f->pkt);
    av_frame_free(&f->frame);
    av_free(f);
}

static const struct source_ops source_file_ops = {
    .name = "file",
    .advance = source_file_advance,
    .free_priv = source_file_free_priv,
};

static int source_file_open_input(struct source_file *f)
{
    AVDictionary *opts = NULL;
    size_t len = strlen(f->url);
    int ret;

    if (len > 4 && !strcmp(f->url + len - 4, ".sdp"))
        av_dict_set(&opts, "protocol_whitelist", "file,udp,rtp,srtp,crypto,data", 0);
    if (strstr(f->url, "://"))
        av_dict_set(&opts, "rw_timeout", "5000000", 0);
    ret = avformat_open_input(&f->fmt, f->url, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        log_error("input %s: cannot open: %s", f->url, av_err2str(ret));
        return ret;
    }
    ret = avformat_find_stream_info(f->fmt, NULL);
    if (ret < 0) {
        log_error("input %s: cannot read its streams: %s", f->url, av_err2str(ret));
        return ret;
    }
    f->video_stream = av_find_best_stream(f->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    f->audio_stream = av_find_best_stream(f->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (f->video_stream < 0 && f->audio_stream < 0) {
        log_error("input %s: no audio or video stream", f->url);
        return AVERROR_STREAM_NOT_FOUND;
    }
    f->start_pts = f->fmt->start_time == AV_NOPTS_VALUE ? 0 : f->fmt->start_time;
    return 0;
}

int source_file_alloc(struct source **out, const char *url, int mix_rate)
{
    struct source *s = av_mallocz(sizeof(*s));
    struct source_file *f = av_mallocz(sizeof(*f));
    int ret;

    if (!s || !f) {
        av_free(s);
        av_free(f);
        return AVERROR(ENOMEM);
    }
    s->ops = &source_file_ops;
    s->priv = f;
    s->mix_rate = mix_rate;
    snprintf(f->url, sizeof(f->url), "%s", url);
    f->pkt = av_packet_alloc();
    f->frame = av_frame_alloc();
    if (!f->pkt || !f->frame) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if ((ret = source_file_open_input(f)) < 0)
        goto fail;
    if (f->video_stream >= 0) {
        AVCodecParameters *par = f->fmt->streams[f->video_stream]->codecpar;
        if ((ret = source_file_check_size(f, par->width, par->height)) < 0 ||
            (ret = source_file_open_decoder(f, f->video_stream, &f->vdec)) < 0)
            goto fail;
        s->has_video = 1;
    }
    if (f->audio_stream >= 0) {
        if ((ret = source_file_open_decoder(f, f->audio_stream, &f->adec)) < 0)
            goto fail;
        s->audio = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, 1, mix_rate);
        if (!s->audio) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        s->has_audio = 1;
    }
    *out = s;
    return 0;
fail:
    source_free(&s);
    return ret;
}
