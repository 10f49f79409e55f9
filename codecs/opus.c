/* Opus (libopus, RFC 7587): the audio of WebRTC and the hd/low profiles. */
#include "codecs/codec.h"

static int opus_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)p;
    ctx->sample_fmt = AV_SAMPLE_FMT_S16;
    av_dict_set(opts, "application", "voip", 0);
    av_dict_set(opts, "frame_duration", "20", 0);
    return 0;
}

const struct codec_desc codec_opus = {
    .name = "opus",
    .type = AVMEDIA_TYPE_AUDIO,
    .encoder_name = "libopus",
    .sdp_name = "opus",
    .clock_rate = 48000,
    .static_payload_type = -1,
    .configure = opus_configure,
};
