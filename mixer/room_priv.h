/* Internals shared by the files of the room module (room*.c), not for others. */
#ifndef TESSERA_ROOM_PRIV_H
#define TESSERA_ROOM_PRIV_H

#include "mixer/amix.h"
#include "mixer/room.h"

struct compositor;
struct overlay_box;
struct AVFrame;

struct room_participant {
    struct source *src;          /* owned */
    int joined, left;
    int64_t join_sample;         /* room sample index at which it joined */
    struct amix_vad vad;
    double level_db;
    int speaking;
    int muted;
    int held;                    /* on hold: not mixed, sent nothing */
    int prompt_wrong;            /* waiting: hears the wrong-PIN prompt, then the PIN one */
    int64_t prompt_pos;          /* waiting: samples of its prompt cycle played */
    struct profile_out *return_audio;        /* mix-minus output, or NULL */
    struct amix_limiter return_limiter;
    float *audio;                /* this tick's samples */
    struct AVFrame *placeholder; /* cached placeholder tile */
    struct overlay_box *label;   /* cached name label */
    int label_width;             /* tile width the label was made for */
};

struct room {
    struct room_config cfg;
    struct room_participant parts[ROOM_MAX_PARTICIPANTS];   /* src == NULL: free slot */
    int part_count;              /* slots used so far (high-water mark) */
    int next_id;
    struct profile_out *profiles[ROOM_MAX_PROFILES];
    int profile_count;
    struct layout_engine *layout;
    struct layout_speaker speaker;
    struct compositor *compositor;
    struct amix_limiter limiter;
    float *mix;                  /* this tick's mix */
    float *minus;                /* scratch: the mix minus one participant */
    int audio_capacity;          /* samples per buffer */
    struct overlay_box *caption_box;
    char *caption_text;          /* text of caption_box */
    int next_cue;                /* next cue to send to subtitle tracks */
    char *live_caption;          /* "Speaker: text" from the API, or NULL */
    double live_caption_until;   /* media time it expires */
    int64_t tick;
    int speaker_id;
    int started, finished;
};

struct room_participant *room_find(struct room *r, int id);
void room_release_participant(struct room *r, struct room_participant *p);
int room_audio_tick(struct room *r, int64_t a0, int n);
int room_video_tick(struct room *r, double t);
void room_video_free_participant(struct room_participant *p);
void room_video_free(struct room *r);

#endif
