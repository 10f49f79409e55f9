/* Loads a prompt audio file into mono float samples at the mix rate (libavformat,
 * libavcodec, libswresample). */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
#include <libswresample/swresample.h>
#include "mixer/prompt.h"

/* What one load holds while it decodes. */
struct prompt_decoder {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    int rate;
    struct prompt *out;
    int capacity;
};

static int prompt_decoder_open(struct prompt_decoder *d, const char *path)
{
    const AVCodec *codec = NULL;
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    int ret;

    if ((ret = avformat_open_input(&d->fmt, path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(d->fmt, NULL)) < 0)
        return ret;
    if ((ret = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0)) < 0)
        return ret;
    d->stream = ret;
    if (!(d->dec = avcodec_alloc_context3(codec)))
        return AVERROR(ENOMEM);
    if ((ret = avcodec_parameters_to_context(d->dec, d->fmt->streams[d->stream]->codecpar)) < 0 ||
        (ret = avcodec_open2(d->dec, codec, NULL)) < 0)
        return ret;
    ret = swr_alloc_set_opts2(&d->swr, &mono, AV_SAMPLE_FMT_FLT, d->rate, &d->dec->ch_layout,
                              d->dec->sample_fmt, d->dec->sample_rate, 0, NULL);
    if (ret < 0 || (ret = swr_init(d->swr)) < 0)
        return ret;
    if (!(d->pkt = av_packet_alloc()) || !(d->frame = av_frame_alloc()))
        return AVERROR(ENOMEM);
    return 0;
}

/* Converts n input samples (NULL: drain) onto the end of the prompt. */
static int prompt_decoder_append(struct prompt_decoder *d, const uint8_t **in, int n)
{
    const int limit = PROMPT_MAX_SECONDS * d->rate;
    int room = swr_get_out_samples(d->swr, n), got;
    uint8_t *dst;

    if (room <= 0)
        return 0;
    if (d->out->count + room > limit)
        return AVERROR(EFBIG);
    if (d->out->count + room > d->capacity) {
        float *bigger = av_realloc_array(d->out->samples, d->out->count + room, sizeof(float));
        if (!bigger)
            return AVERROR(ENOMEM);
        d->out->samples = bigger;
        d->capacity = d->out->count + room;
    }
    dst = (uint8_t *)(d->out->samples + d->out->count);
    got = swr_convert(d->swr, &dst, room, in, n);
    if (got < 0)
        return got;
    d->out->count += got;
    return 0;
}

/* Sends pkt (NULL: flush) to the decoder and appends every frame it gives. */
static int prompt_decoder_feed(struct prompt_decoder *d, const AVPacket *pkt)
{
    int ret = avcodec_send_packet(d->dec, pkt);

    if (ret < 0 && ret != AVERROR_EOF)
        return ret;
    while ((ret = avcodec_receive_frame(d->dec, d->frame)) >= 0) {
        ret = prompt_decoder_append(d, (const uint8_t **)d->frame->extended_data, d->frame->nb_samples);
        av_frame_unref(d->frame);
        if (ret < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static int prompt_decoder_run(struct prompt_decoder *d)
{
    int ret;

    while ((ret = av_read_frame(d->fmt, d->pkt)) >= 0) {
        if (d->pkt->stream_index == d->stream)
            ret = prompt_decoder_feed(d, d->pkt);
        av_packet_unref(d->pkt);
        if (ret < 0)
            return ret;
    }
    if (ret != AVERROR_EOF)
        return ret;
    if ((ret = prompt_decoder_feed(d, NULL)) < 0)
        return ret;
    return prompt_decoder_append(d, NULL, 0);
}

int prompt_load(struct prompt **out, const char *path, int rate)
{
    struct prompt_decoder d = { .rate = rate };
    int ret;

    if (!(d.out = av_mallocz(sizeof(*d.out))))
        return AVERROR(ENOMEM);
    d.out->rate = rate;
    if ((ret = prompt_decoder_open(&d, path)) >= 0 && (ret = prompt_decoder_run(&d)) >= 0 && !d.out->count)
        ret = AVERROR_INVALIDDATA;
    av_frame_free(&d.frame);
    av_packet_free(&d.pkt);
    swr_free(&d.swr);
    avcodec_free_context(&d.dec);
    avformat_close_input(&d.fmt);
    if (ret < 0) {
        prompt_free(&d.out);
        return ret;
    }
    *out = d.out;
    return 0;
}

void prompt_free(struct prompt **p)
{
    if (!*p)
        return;
    av_free((*p)->samples);
    av_freep(p);
}
