/* One output profile of a room at run time: converts the room's canvas and mix to
 * the profile's size, rate and formats, encodes them ONCE, and hands every packet
 * to all the sinks attached to the profile. */
#ifndef TESSERA_PROFILE_OUT_H
#define TESSERA_PROFILE_OUT_H

#include <stdint.h>
#include <libavutil/frame.h>
#include "mixer/profile.h"

struct sink;
struct profile_out;

struct profile_out_stats {
    int64_t video_frames, audio_frames, captions;
    int64_t video_bytes, audio_bytes;
    int sink_count;
};

/* The room's formats the profile converts from. */
struct profile_out_input {
    int canvas_width, canvas_height, canvas_fps;
    int mix_rate;                /* mono float samples at this rate */
    int with_captions;           /* add a subtitle track when the profile and container allow */
};

/* *out written on success only; errors are logged with the profile's name. */
int profile_out_alloc(struct profile_out **out, const struct profile_def *def,
                      const struct profile_out_input *in);
void profile_out_free(struct profile_out **p);

/* Takes ownership of the sink (also on failure). Sinks added after the first
 * push are opened at once. */
int profile_out_add_sink(struct profile_out *p, struct sink *s);

/* Detaches sink s (not closed, not freed) and returns it; NULL when s is not one
 * of this profile's sinks. The caller owns it from then on. */
struct sink *profile_out_take_sink(struct profile_out *p, struct sink *s);

/* Finishes and frees the sink with that id. Returns 0 or AVERROR(ENOENT). */
int profile_out_remove_sink(struct profile_out *p, int sink_id);

/* Pauses (packets dropped) or resumes the sink with that id; resuming asks for a
 * keyframe. Returns 0 or AVERROR(ENOENT). */
int profile_out_pause_sink(struct profile_out *p, int sink_id, int paused);

/* Opens the sinks added so far; call once before the first push. */
int profile_out_start(struct profile_out *p);

/* canvas is borrowed (referenced if the encoder keeps it); tick is the canvas
 * frame number. Frames are dropped to reach the profile's fps. */
int profile_out_push_video(struct profile_out *p, AVFrame *canvas, int64_t tick);

/* n mono float samples at the mix rate (borrowed). */
int profile_out_push_audio(struct profile_out *p, const float *samples, int n);

/* A caption cue for the subtitle track (ignored by profiles without one). */
int profile_out_push_caption(struct profile_out *p, double start, double end, const char *text);

/* Asks the next video frame to be a keyframe. */
void profile_out_request_keyframe(struct profile_out *p);

/* Flushes the encoders, ends the caption track at end_time (seconds) and closes
 * the sinks. */
int profile_out_finish(struct profile_out *p, double end_time);

const struct profile_def *profile_out_def(const struct profile_out *p);
void profile_out_get_stats(const struct profile_out *p, struct profile_out_stats *st);
/* Borrowed sink i, or NULL. */
struct sink *profile_out_sink(const struct profile_out *p, int i);

#endif
