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
    struct sink *return_sink;    /* its RTP sink (borrowed: owned by return_audio, or
                                    by the room's shared phone encoder, see room_phone.c) */
    int phone_codec;             /* its shared phone encoder (phone_mix index), -1: none */
    int on_phone_mix;            /* return_sink is on the shared phone encoder */
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
#define ROOM_PHONE_CODECS 2      /* PCMU, PCMA */
    struct profile_out *phone_mix[ROOM_PHONE_CODECS];   /* shared full-mix encodes (room_phone.c) */
    struct amix_limiter phone_limiter[ROOM_PHONE_CODECS];
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

/* room_phone.c: the shared G.711 return encode. room_phone_serves moves p's sink
 * as its state asks and returns 1 when the shared encode carries it this tick;
 * room_phone_push encodes the full mix for the phones on it; release takes p's
 * sink back from it (freed); listeners counts the phones on it. */
int room_phone_codec(const struct profile_out *return_audio);   /* phone_mix index or -1 */
int room_phone_serves(struct room *r, struct room_participant *p);
int room_phone_push(struct room *r, int n);
void room_phone_release(struct room *r, struct room_participant *p);
int room_phone_listeners(const struct room *r);
void room_phone_free(struct room *r);

#endif
