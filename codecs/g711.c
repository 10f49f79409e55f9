/* G.711 mu-law (PCMU) and A-law (PCMA): 8 kHz mono, the audio of telephones. */
#include "codecs/codec.h"

static int g711_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    (void)opts;
    (void)p;
    ctx->sample_fmt = AV_SAMPLE_FMT_S16;
    ctx->sample_rate = 8000;
    ctx->time_base = (AVRational){ 1, 8000 };
    av_channel_layout_uninit(&ctx->ch_layout);
    ctx->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO;
    ctx->bit_rate = 64000;
    return 0;
}

/* RFC 3551 (PT 0 and 8): one payload = one frame of the encoder. */
static const struct codec_rtp_ops g711_rtp_ops = {
    .packetize = codec_rtp_packetize_whole,
    .depacketize = codec_rtp_depacketize_whole,
    .frame_per_packet = 1,
};

const struct codec_desc codec_pcmu = {
    .name = "pcmu",
    .type = AVMEDIA_TYPE_AUDIO,
    .encoder_name = "pcm_mulaw",
    .sdp_name = "PCMU",
    .clock_rate = 8000,
    .static_payload_type = 0,
    .configure = g711_configure,
    .rtp = &g711_rtp_ops,
};

const struct codec_desc codec_pcma = {
    .name = "pcma",
    .type = AVMEDIA_TYPE_AUDIO,
    .encoder_name = "pcm_alaw",
    .sdp_name = "PCMA",
    .clock_rate = 8000,
    .static_payload_type = 8,
    .configure = g711_configure,
    .rtp = &g711_rtp_ops,
};
