/* A source is one participant's media as the room consumes it: the latest decoded
 * video frame and mono float audio at the room's mix rate. A file source decodes
 * on demand (as fast as the CPU allows); a live source will drain what the network
 * thread queued. The room never waits on one source: a late source repeats its
 * last frame and is silent. */
#ifndef TESSERA_SOURCE_H
#define TESSERA_SOURCE_H

#include <stdint.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/frame.h>

#define SOURCE_MAX_WIDTH 7680
#define SOURCE_MAX_HEIGHT 4320

struct keybox;
struct source;

struct source_ops {
    const char *name;
    /* Makes media available up to the source's local time: s->video becomes the
     * latest frame at or before video_t seconds, and the audio FIFO holds samples
     * up to sample number audio_until (or the source has none/ended). Never blocks
     * on the network. Returns 0 or a negative code (the room logs and drops it). */
    int (*advance)(struct source *s, double video_t, int64_t audio_until);
    void (*free_priv)(void *priv);
};

struct source_stats {
    int64_t video_frames, audio_frames;
    int64_t decode_errors, dropped_frames;
};

struct source {
    const struct source_ops *ops;
    void *priv;
    int id;
    char name[64];
    double join_at;              /* room time at which the participant joins */
    int is_screen;
    int is_phone;                /* shown with a phone glyph when it has no video */
    int has_video, has_audio;
    int ended;                   /* no more media will come */
    AVFrame *video;              /* latest frame (owned), NULL before the first */
    int64_t video_serial;        /* increments with each new frame */
    double video_time;           /* local time of that frame */
    AVAudioFifo *audio;          /* mono float at the mix rate */
    int64_t audio_consumed;      /* samples read by the room so far */
    int mix_rate;
    struct source_stats stats;
    /* Audio level the sender measured itself (RFC 6464), preferred for speaker
     * detection while fresh: dBov, voice flag, and the media time it came. */
    double sender_level_db;
    int sender_voice;
    int has_sender_level;
    /* Keys the participant pressed (RFC 4733 telephone-event), oldest first; the
     * room consumes them (e.g. "*6" toggles mute). */
    char dtmf[16];
    int dtmf_len;
    /* Set while the participant waits to be admitted (a SIP caller keying in the
     * room's PIN): no tile, not in the mix, hears a prompt; its keys go to this box
     * (owned reference) instead of dtmf. */
    struct keybox *waiting;
};

/* Appends a pressed key to s->dtmf (drops the oldest when full). */
void source_push_dtmf(struct source *s, char key);

/* Converts decoded audio of any format into a source's mono float FIFO at its mix
 * rate. The resampler is rebuilt when the input format changes; its scratch
 * buffer is reused, so steady-state conversion allocates nothing. Zero-initialise
 * it; it belongs to the source implementation that uses it. */
struct SwrContext;

struct source_resampler {
    struct SwrContext *swr;
    AVChannelLayout layout;
    int rate, format;
    float *scratch;
    int scratch_samples;
};

/* Appends frame (borrowed) to s->audio. Returns 0 or a negative code. */
int source_resampler_push(struct source_resampler *rs, struct source *s, const AVFrame *frame);

/* Appends what the resampler still holds (end of the input). */
int source_resampler_flush(struct source_resampler *rs, struct source *s);

void source_resampler_uninit(struct source_resampler *rs);

/* Opens any libavformat input (file, SDP, rtsp://...) and its decoders. Errors are
 * logged naming the URL and the cause. *out written on success only. */
int source_file_alloc(struct source **out, const char *url, int mix_rate);

/* Reads n samples into dst, zero-filling what the source does not have. Returns
 * the number of real samples read. */
int source_read_audio(struct source *s, float *dst, int n);

void source_free(struct source **p);

#endif
