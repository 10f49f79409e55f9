/* The table of codecs tessera knows, lookup by name or SDP name, and generic encoder opening. */
#include <string.h>
#include <strings.h>
#include <libavutil/opt.h>
#include "codecs/codec.h"

static const struct codec_desc *const codec_table[] = {
    &codec_h264, &codec_h263p, &codec_vp8,
    &codec_opus, &codec_aac, &codec_g722, &codec_pcmu, &codec_pcma,
};

#define CODEC_COUNT (sizeof(codec_table) / sizeof(codec_table[0]))

const struct codec_desc *codec_find(const char *name)
{
    for (size_t i = 0; i < CODEC_COUNT; i++)
        if (!strcasecmp(codec_table[i]->name, name))
            return codec_table[i];
    return NULL;
}

const char *codec_names(enum AVMediaType type)
{
    return type == AVMEDIA_TYPE_VIDEO ? "h264, h263p, vp8" : "opus, aac, g722, pcmu, pcma";
}

static void codec_apply_generic(AVCodecContext *ctx, const struct codec_params *p)
{
    if (ctx->codec_type == AVMEDIA_TYPE_VIDEO) {
        ctx->width = p->width;
        ctx->height = p->height;
        ctx->time_base = (AVRational){ 1, p->fps };
        ctx->framerate = (AVRational){ p->fps, 1 };
        ctx->pix_fmt = AV_PIX_FMT_YUV420P;
        ctx->gop_size = p->gop > 0 ? p->gop : 2 * p->fps;
        ctx->max_b_frames = 0;
    } else {
        ctx->sample_rate = p->sample_rate;
        av_channel_layout_default(&ctx->ch_layout, p->channels > 0 ? p->channels : 1);
        ctx->time_base = (AVRational){ 1, p->sample_rate };
    }
    if (p->bitrate > 0)
        ctx->bit_rate = p->bitrate;
    if (p->global_header)
        ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
}

int codec_open_encoder(AVCodecContext **out, const struct codec_desc *desc,
                       const struct codec_params *params)
{
    AVDictionary *opts = NULL;
    AVCodecContext *ctx = NULL;
    int ret;
    const AVCodec *enc = avcodec_find_encoder_by_name(desc->encoder_name);

    if (!enc)
        return AVERROR_ENCODER_NOT_FOUND;
    ctx = avcodec_alloc_context3(enc);
    if (!ctx)
        return AVERROR(ENOMEM);
    codec_apply_generic(ctx, params);
    if (desc->configure) {
        ret = desc->configure(ctx, &opts, params);
        if (ret < 0)
            goto fail;
    }
    ret = avcodec_open2(ctx, enc, &opts);
    if (ret < 0)
        goto fail;
    av_dict_free(&opts);
    *out = ctx;
    return 0;
fail:
    av_dict_free(&opts);
    avcodec_free_context(&ctx);
    return ret;
}

const struct codec_desc *codec_find_sdp(const char *encoding, int clock_rate)
{
    if (!encoding)
        return NULL;
    if (!strcasecmp(encoding, "H263-2000"))
        encoding = codec_h263p.sdp_name;
    for (size_t i = 0; i < CODEC_COUNT; i++) {
        const struct codec_desc *d = codec_table[i];
        if (d->rtp && d->clock_rate == clock_rate && !strcasecmp(d->sdp_name, encoding))
            return d;
    }
    return NULL;
}
