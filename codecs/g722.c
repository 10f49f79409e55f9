/* G.722 wideband (16 kHz audio; RTP clock 8000 by RFC 3551's historical error). */
#include "codecs/codec.h"

static int g722_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)opts;
    (void)p;
    ctx->sample_fmt = AV_SAMPLE_FMT_S16;
    ctx->sample_rate = 16000;
    ctx->time_base = (AVRational){ 1, 16000 };
    av_channel_layout_uninit(&ctx->ch_layout);
    ctx->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO;
    ctx->bit_rate = 64000;
    return 0;
}

/* RFC 3551 (PT 9): one payload = one frame of the encoder. */
static const struct codec_rtp_ops g722_rtp_ops = {
    .packetize = codec_rtp_packetize_whole,
    .depacketize = codec_rtp_depacketize_whole,
    .frame_per_packet = 1,
};

const struct codec_desc codec_g722 = {
    .name = "g722",
    .type = AVMEDIA_TYPE_AUDIO,
    .encoder_name = "g722",
    .sdp_name = "G722",
    .clock_rate = 8000,
    .static_payload_type = 9,
    .configure = g722_configure,
    .rtp = &g722_rtp_ops,
};
