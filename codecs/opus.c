/* Opus (libopus, RFC 7587): the audio of WebRTC and the hd/low profiles. */
#include "codecs/codec.h"

static int opus_configure(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p)
{
    ctx->sample_fmt = AV_SAMPLE_FMT_S16;
    av_dict_set(opts, "application", "voip", 0);
    av_dict_set_int(opts, "frame_duration", p->frame_ms ? p->frame_ms : 20, 0);
    return 0;
}

/* RFC 7587: one payload = one Opus packet (20 ms, or the profile's frame_ms). */
static const struct codec_rtp_ops opus_rtp_ops = {
    .packetize = codec_rtp_packetize_whole,
    .depacketize = codec_rtp_depacketize_whole,
    .frame_per_packet = 1,
};

const struct codec_desc codec_opus = {
    .name = "opus",
    .type = AVMEDIA_TYPE_AUDIO,
    .encoder_name = "libopus",
    .sdp_name = "opus",
    .clock_rate = 48000,
    .static_payload_type = -1,
    .configure = opus_configure,
    .rtp = &opus_rtp_ops,
    .default_fmtp = "minptime=10;useinbandfec=1",
};
