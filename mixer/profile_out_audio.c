/* A profile's audio: resample the room's mono float mix into the encoder's rate,
 * layout and sample format, cut it into encoder frames, encode once. */
#include <libavutil/opt.h>
#include "codecs/codec.h"
#include "mixer/log.h"
#include "mixer/profile_out_priv.h"

int profile_out_open_audio(struct profile_out *p)
{
    const struct codec_desc *desc = codec_find(p->def.audio_codec);
    struct codec_params params = {
        .sample_rate = p->def.sample_rate, .channels = p->def.channels,
        .bitrate = p->def.audio_bitrate, .frame_ms = p->def.audio_frame_ms, .global_header = 1,
    };
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    AVCodecContext *enc;
    int ret;

    if (!desc)
        return AVERROR_ENCODER_NOT_FOUND;
    ret = codec_open_encoder(&p->enc[p->enc_count], desc, &params);
    if (ret < 0) {
        log_error("profile %s: cannot open %s encoder: %s", p->def.name, desc->name, av_err2str(ret));
        return ret;
    }
    enc = p->enc[p->enc_count];
    p->audio_index = p->enc_count++;
    ret = swr_alloc_set_opts2(&p->swr, &enc->ch_layout, enc->sample_fmt, enc->sample_rate,
                              &mono, AV_SAMPLE_FMT_FLT, p->in.mix_rate, 0, NULL);
    if (ret < 0 || (ret = swr_init(p->swr)) < 0)
        return ret;
    p->audio_frame_size = enc->frame_size > 0 ? enc->frame_size : enc->sample_rate / 50;
    p->fifo = av_audio_fifo_alloc(enc->sample_fmt, enc->ch_layout.nb_channels,
                                  p->audio_frame_size * 4);
    return p->fifo ? 0 : AVERROR(ENOMEM);
}

void profile_out_close_audio(struct profile_out *p)
{
    swr_free(&p->swr);
    if (p->fifo)
        av_audio_fifo_free(p->fifo);
    p->fifo = NULL;
}

/* Encodes one frame of `samples` from the FIFO (padded with silence if short). */
static int profile_out_encode_audio_frame(struct profile_out *p, int samples)
{
    AVCodecContext *enc = p->enc[p->audio_index];
    AVFrame *frame = av_frame_alloc();
    int ret;

    if (!frame)
        return AVERROR(ENOMEM);
    frame->nb_samples = samples;
    frame->format = enc->sample_fmt;
    frame->sample_rate = enc->sample_rate;
    ret = av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
    if (ret < 0 || (ret = av_frame_get_buffer(frame, 0)) < 0)
        goto fail;
    av_samples_set_silence(frame->data, 0, samples, enc->ch_layout.nb_channels, enc->sample_fmt);
    av_audio_fifo_read(p->fifo, (void **)frame->data, samples);
    frame->pts = p->audio_pts;
    p->audio_pts += samples;
    ret = avcodec_send_frame(enc, frame);
    if (ret < 0) {
        log_error("profile %s: audio encode: %s", p->def.name, av_err2str(ret));
        goto fail;
    }
    p->stats.audio_frames++;
    ret = profile_out_drain(p, p->audio_index);
fail:
    av_frame_free(&frame);
    return ret;
}

/* Resamples n input samples (NULL: flush) into the FIFO. */
static int profile_out_resample(struct profile_out *p, const float *samples, int n)
{
    AVCodecContext *enc = p->enc[p->audio_index];
    int out_max = swr_get_out_samples(p->swr, n);
    uint8_t **buf = NULL;
    int ret, got;

    if (out_max <= 0)
        return 0;
    ret = av_samples_alloc_array_and_samples(&buf, NULL, enc->ch_layout.nb_channels,
                                             out_max, enc->sample_fmt, 0);
    if (ret < 0)
        return ret;
    got = swr_convert(p->swr, buf, out_max, samples ? (const uint8_t **)&samples : NULL, n);
    if (got > 0)
        ret = av_audio_fifo_write(p->fifo, (void **)buf, got);
    else
        ret = got;
    av_freep(&buf[0]);
    av_freep(&buf);
    return ret < 0 ? ret : 0;
}

int profile_out_push_audio(struct profile_out *p, const float *samples, int n)
{
    int ret;

    if (p->audio_index < 0)
        return 0;
    ret = profile_out_resample(p, samples, n);
    while (ret >= 0 && av_audio_fifo_size(p->fifo) >= p->audio_frame_size)
        ret = profile_out_encode_audio_frame(p, p->audio_frame_size);
    return ret;
}

int profile_out_flush_audio(struct profile_out *p)
{
    AVCodecContext *enc = p->enc[p->audio_index];
    int ret = profile_out_resample(p, NULL, 0);
    int left;

    while (ret >= 0 && av_audio_fifo_size(p->fifo) >= p->audio_frame_size)
        ret = profile_out_encode_audio_frame(p, p->audio_frame_size);
    left = av_audio_fifo_size(p->fifo);
    if (ret >= 0 && left > 0) {
        int small_ok = (enc->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME) ||
                       (enc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE);
        ret = profile_out_encode_audio_frame(p, small_ok ? left : p->audio_frame_size);
    }
    avcodec_send_frame(enc, NULL);
    profile_out_drain(p, p->audio_index);
    return ret;
}
