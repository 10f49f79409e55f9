/* VP8 (libvpx): real-time settings, for WebRTC receivers. */
#include "codecs/codec.h"

static int vp8_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)ctx;
    (void)p;
    av_dict_set(opts, "deadline", "realtime", 0);
    av_dict_set(opts, "cpu-used", "8", 0);
    av_dict_set(opts, "lag-in-frames", "0", 0);
    return 0;
}

const struct codec_desc codec_vp8 = {
    .name = "vp8",
    .type = AVMEDIA_TYPE_VIDEO,
    .encoder_name = "libvpx",
    .sdp_name = "VP8",
    .clock_rate = 90000,
    .static_payload_type = -1,
    .configure = vp8_configure,
};
