/* The codec registry: one descriptor per codec (encoder setup with real-time
 * settings, later its RTP payload format and SDP name), found by name. Adding a
 * codec = one file in codecs/ plus one row in codec_table.c. Knows no socket. */
#ifndef TESSERA_CODEC_H
#define TESSERA_CODEC_H

#include <libavcodec/avcodec.h>

/* What a profile asks of an encoder. Zero means "codec default". */
struct codec_params {
    int width, height, fps;          /* video */
    int bitrate;                     /* bits per second */
    int gop;                         /* keyframe interval in frames */
    int sample_rate, channels;       /* audio */
    int global_header;               /* the container wants extradata (MP4, MKV) */
};

struct codec_desc {
    const char *name;                /* our name: "h264", "opus", "pcmu", ... */
    enum AVMediaType type;
    const char *encoder_name;        /* libavcodec encoder */
    const char *sdp_name;            /* RTP/SDP encoding name */
    int clock_rate;                  /* RTP clock rate */
    int static_payload_type;         /* -1 when dynamic */
    /* Fills codec-specific fields and private options before the encoder opens.
     * ctx already has the generic fields from codec_params. */
    int (*configure)(AVCodecContext *ctx, AVDictionary **opts, const struct codec_params *p);
};

extern const struct codec_desc codec_h264;
extern const struct codec_desc codec_h263p;
extern const struct codec_desc codec_vp8;
extern const struct codec_desc codec_opus;
extern const struct codec_desc codec_aac;
extern const struct codec_desc codec_g722;
extern const struct codec_desc codec_pcmu;
extern const struct codec_desc codec_pcma;

/* Finds a codec by our name (case-insensitive). Borrowed; NULL when unknown. */
const struct codec_desc *codec_find(const char *name);

/* Comma-separated list of known names of the given type, for error messages. */
const char *codec_names(enum AVMediaType type);

/* Opens an encoder for desc with params. *out written on success only; the caller
 * frees it with avcodec_free_context(). */
int codec_open_encoder(AVCodecContext **out, const struct codec_desc *desc,
                       const struct codec_params *params);

#endif
