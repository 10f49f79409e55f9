/* Decoded audio of any format into a source's mono float FIFO (libswresample). */
#include <libavutil/mem.h>
#include <libswresample/swresample.h>
#include "mixer/source.h"

static int source_resampler_setup(struct source_resampler *rs, const struct source *s,
                                  const AVFrame *frame)
{
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    int ret;

    if (rs->swr && rs->rate == frame->sample_rate && rs->format == frame->format &&
        !av_channel_layout_compare(&rs->layout, &frame->ch_layout))
        return 0;
    swr_free(&rs->swr);
    av_channel_layout_uninit(&rs->layout);
    ret = swr_alloc_set_opts2(&rs->swr, &mono, AV_SAMPLE_FMT_FLT, s->mix_rate,
                              (AVChannelLayout *)&frame->ch_layout, frame->format,
                              frame->sample_rate, 0, NULL);
    if (ret < 0 || (ret = swr_init(rs->swr)) < 0)
        return ret;
    rs->rate = frame->sample_rate;
    rs->format = frame->format;
    return av_channel_layout_copy(&rs->layout, &frame->ch_layout);
}

/* Converts n input samples (NULL: drain) into the FIFO. */
static int source_resampler_convert(struct source_resampler *rs, struct source *s,
                                    const uint8_t **in, int n)
{
    int out_max = swr_get_out_samples(rs->swr, n), got;

    if (out_max <= 0)
        return 0;
    if (out_max > rs->scratch_samples) {
        float *bigger = av_realloc_array(rs->scratch, out_max, sizeof(float));
        if (!bigger)
            return AVERROR(ENOMEM);
        rs->scratch = bigger;
        rs->scratch_samples = out_max;
    }
    got = swr_convert(rs->swr, (uint8_t **)&rs->scratch, out_max, in, n);
    if (got <= 0)
        return got;
    got = av_audio_fifo_write(s->audio, (void **)&rs->scratch, got);
    return got < 0 ? got : 0;
}

int source_resampler_push(struct source_resampler *rs, struct source *s, const AVFrame *frame)
{
    int ret = source_resampler_setup(rs, s, frame);

    if (ret < 0)
        return ret;
    return source_resampler_convert(rs, s, (const uint8_t **)frame->extended_data, frame->nb_samples);
}

int source_resampler_flush(struct source_resampler *rs, struct source *s)
{
    return rs->swr ? source_resampler_convert(rs, s, NULL, 0) : 0;
}

void source_resampler_uninit(struct source_resampler *rs)
{
    swr_free(&rs->swr);
    av_channel_layout_uninit(&rs->layout);
    av_freep(&rs->scratch);
    rs->scratch_samples = 0;
}
