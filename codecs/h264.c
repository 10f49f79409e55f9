/* H.264 (libx264): real-time settings, constrained baseline for RTP and room systems. */
#include "codecs/codec.h"

static int h264_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    char keyint[64];

    av_dict_set(opts, "preset", "veryfast", 0);
    av_dict_set(opts, "tune", "zerolatency", 0);
    av_dict_set(opts, "profile", "baseline", 0);
    snprintf(keyint, sizeof(keyint), "keyint=%d:min-keyint=%d:scenecut=0",
             ctx->gop_size, ctx->gop_size);
    av_dict_set(opts, "x264-params", keyint, 0);
    if (p->bitrate > 0) {
        ctx->rc_max_rate = p->bitrate;
        ctx->rc_buffer_size = p->bitrate;   /* one second of VBV */
    }
    return 0;
}

const struct codec_desc codec_h264 = {
    .name = "h264",
    .type = AVMEDIA_TYPE_VIDEO,
    .encoder_name = "libx264",
    .sdp_name = "H264",
    .clock_rate = 90000,
    .static_payload_type = -1,
    .configure = h264_configure,
};
