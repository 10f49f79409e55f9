/* H.263+ (RFC 4629 "H263-1998"): the video codec of legacy SIP/H.323 room systems. */
#include "codecs/codec.h"

static int h263p_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)opts;
    if (p->bitrate > 0) {
        ctx->rc_max_rate = p->bitrate;
        ctx->rc_buffer_size = p->bitrate;
    }
    ctx->thread_count = 1;
    return 0;
}

const struct codec_desc codec_h263p = {
    .name = "h263p",
    .type = AVMEDIA_TYPE_VIDEO,
    .encoder_name = "h263p",
    .sdp_name = "H263-1998",
    .clock_rate = 90000,
    .static_payload_type = -1,
    .configure = h263p_configure,
};
