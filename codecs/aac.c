/* AAC-LC (FFmpeg's native encoder): the audio of the record and broadcast profiles. */
#include "codecs/codec.h"

static int aac_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)opts;
    (void)p;
    ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
    return 0;
}

const struct codec_desc codec_aac = {
    .name = "aac",
    .type = AVMEDIA_TYPE_AUDIO,
    .encoder_name = "aac",
    .sdp_name = "MPEG4-GENERIC",
    .clock_rate = 48000,
    .static_payload_type = -1,
    .configure = aac_configure,
    .rtp = NULL,                     /* recording/broadcast only: no RTP payload format */
};
