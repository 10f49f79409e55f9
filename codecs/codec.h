/* The codec registry: one descriptor per codec (encoder setup with real-time
 * settings, its RTP payload format and SDP name), found by name. Adding a
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
    int frame_ms;                    /* audio frame duration where the codec has a choice (Opus) */
    int global_header;               /* the container wants extradata (MP4, MKV) */
};

/* Called by a packetizer for each RTP payload of a frame, in order; marker is set
 * on the last payload of a video frame (and on every audio payload). */
typedef int (*codec_payload_emit_fn)(void *opaque, const uint8_t *payload, size_t len, int marker);

/* A frame being reassembled from RTP payloads (owned by the depacketizer). */
struct codec_frame {
    uint8_t *data;
    size_t len, cap;
    int keyframe;                    /* the payload format saw a keyframe start */
    int broken;                      /* a payload was malformed or missing */
};

/* A codec's RTP payload format (codecs/ knows no socket: frames <-> payloads). */
struct codec_rtp_ops {
    /* Splits one encoded frame (as the encoder produced it: Annex B for H.264)
     * into payloads of at most mtu bytes. Returns 0 or a negative code. */
    int (*packetize)(const uint8_t *frame, size_t len, size_t mtu, const char *fmtp,
                     codec_payload_emit_fn emit, void *opaque);
    size_t depack_state_size;        /* bytes of per-stream depacketizer state */
    /* Appends one payload (sequence order) to frame. `first` is set for the first
     * payload of a new RTP timestamp. Returns 0, or a negative code for a malformed
     * payload (the caller marks the frame broken and counts it). A codec refuses a
     * `first` payload that cannot begin a frame (how a loss of a frame's head is
     * told from the loss of whole frames). */
    int (*depacketize)(void *state, const uint8_t *payload, size_t len, int first,
                       struct codec_frame *frame);
    int frame_per_packet;            /* audio: each payload is a complete frame */
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
    const struct codec_rtp_ops *rtp;     /* NULL: no RTP payload format (e.g. AAC) */
    const char *default_fmtp;            /* what we offer/answer, e.g. "packetization-mode=1;..." */
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

/* Appends bytes to a frame under reassembly (grows it, bounded by
 * CODEC_FRAME_MAX). Returns 0 or a negative code: AVERROR(ENOSPC) past
 * CODEC_FRAME_MAX, AVERROR(ENOMEM); the frame is unchanged on failure. */
#define CODEC_FRAME_MAX (8 << 20)
int codec_frame_append(struct codec_frame *frame, const uint8_t *data, size_t len);

/* Reassembles frames of one RTP stream from payloads released in sequence order
 * (by the jitter buffer). */
struct codec_depacketizer;

int codec_depacketizer_alloc(struct codec_depacketizer **out, const struct codec_desc *desc);
void codec_depacketizer_free(struct codec_depacketizer **p);

/* Feeds one payload. A frame completes on the marker bit, on a timestamp change
 * (the previous frame is then returned) or at once for audio. lost_before > 0 means
 * packets were lost just before this one: the frame they belonged to is broken.
 * Returns 1 when *out holds a complete, unbroken frame (pts = its RTP timestamp,
 * AV_PKT_FLAG_KEY when it starts a keyframe), 0 when nothing is complete, negative
 * on allocation failure. Broken frames are dropped and counted; after one,
 * codec_depacketizer_needs_keyframe() is true until a keyframe completes.
 * Details: payload is borrowed; out is unreferenced before a frame is moved into
 * it. A video stream needs a keyframe from the start. Frames completing while one
 * waits for a keyframe are still returned (the caller decides to hold them). A
 * lost_before > 0 between frames counts one broken frame when the next payload
 * is a valid frame start (the codec checks it), else that frame is broken. Audio:
 * every payload is returned at once; malformed ones are counted, losses ignored.
 * codec_depacketizer_alloc: AVERROR(ENOSYS) when desc has no RTP format. */
int codec_depacketizer_push(struct codec_depacketizer *d, const uint8_t *payload, size_t len,
                            uint32_t timestamp, int marker, int lost_before, AVPacket *out);
int codec_depacketizer_needs_keyframe(const struct codec_depacketizer *d);
int64_t codec_depacketizer_broken_frames(const struct codec_depacketizer *d);

/* Packetizes one encoded frame with desc's payload format and desc->default_fmtp.
 * frame is borrowed. Returns 0, AVERROR(ENOSYS) when desc has no RTP format, the
 * first negative value emit returned, or another negative code (nothing is
 * emitted when the frame itself is refused). */
int codec_packetize(const struct codec_desc *desc, const uint8_t *frame, size_t len, size_t mtu,
                    codec_payload_emit_fn emit, void *opaque);

/* Finds a codec by its SDP encoding name and clock rate (case-insensitive); only
 * codecs with an RTP payload format. "H263-2000" also finds h263p. Borrowed; NULL
 * when unknown. */
const struct codec_desc *codec_find_sdp(const char *encoding, int clock_rate);

/* Additions (compatible with the declarations above). */

/* Frees frame->data (allocated by codec_frame_append with av_realloc, with
 * AV_INPUT_BUFFER_PADDING_SIZE spare bytes) and zeroes the whole struct. */
void codec_frame_release(struct codec_frame *frame);

/* codec_packetize with the fmtp negotiated for the receiver (e.g. H.264's
 * packetization-mode: absent means mode 0 by RFC 6184). A NULL fmtp means
 * desc->default_fmtp. Same return values as codec_packetize. */
int codec_packetize_fmtp(const struct codec_desc *desc, const char *fmtp, const uint8_t *frame,
                         size_t len, size_t mtu, codec_payload_emit_fn emit, void *opaque);

/* The value of `key` in an fmtp string ("a=1; b=2", keys case-insensitive) when it
 * is a decimal integer; def when fmtp is NULL or the key is absent or not a number. */
long codec_fmtp_int(const char *fmtp, const char *key, long def);

/* The payload format of audio codecs where one payload is one frame (Opus, G.711,
 * G.722), for their codec_rtp_ops. Packetize emits the frame as one payload with
 * marker 1: AVERROR(EINVAL) when empty, AVERROR(EMSGSIZE) when larger than mtu.
 * Depacketize refuses an empty payload and marks every frame a keyframe. */
int codec_rtp_packetize_whole(const uint8_t *frame, size_t len, size_t mtu, const char *fmtp,
                              codec_payload_emit_fn emit, void *opaque);
int codec_rtp_depacketize_whole(void *state, const uint8_t *payload, size_t len, int first,
                                struct codec_frame *frame);

#endif
