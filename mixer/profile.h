/* Output profiles: what each output of a room is encoded as (codecs, size, rates,
 * container). Built-in profiles, overridable and extendable by a JSON profiles file
 * (format in docs/PROFILES.md). A room encodes once per profile in use. */
#ifndef TESSERA_PROFILE_H
#define TESSERA_PROFILE_H

#include <stddef.h>

#define PROFILE_MAX 32

struct profile_def {
    char name[32];
    char video_codec[16];    /* "" when the profile has no video */
    int width, height, fps;
    int video_bitrate;       /* bits per second */
    int gop;                 /* frames between keyframes; 0: 2 s */
    char audio_codec[16];    /* "" when the profile has no audio */
    int sample_rate, channels;
    int audio_bitrate;
    int audio_frame_ms;      /* Opus frame duration (10, 20, 40, 60 ms); 0: 20 */
    char format[16];         /* libavformat muxer when the URL does not say: "matroska", "mp4", "hls", "wav" */
    int fragmented;          /* MP4: fragmented, so a crash loses at most the last fragment */
    int captions_track;      /* carry captions as a subtitle track when the container can */
};

struct profile_set {
    int count;
    struct profile_def defs[PROFILE_MAX];
};

/* Fills set with the built-in profiles: hd, low, legacy, phone, record, broadcast. */
void profile_set_init_builtin(struct profile_set *set);

/* Merges a JSON profiles document into set: a profile with a built-in name
 * overrides the given fields only; a new name adds a profile. Errors name the
 * cause in err. */
int profile_set_parse(struct profile_set *set, const char *json, size_t len,
                      char *err, size_t err_size);
int profile_set_load_file(struct profile_set *set, const char *path, char *err, size_t err_size);

/* Borrowed; NULL when unknown. */
const struct profile_def *profile_set_find(const struct profile_set *set, const char *name);

/* Writes the comma-separated profile names into buf. */
void profile_set_names(const struct profile_set *set, char *buf, size_t size);

#endif
