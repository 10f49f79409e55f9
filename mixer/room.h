/* The room engine: on each clock tick it pulls every source, mixes the audio,
 * picks the active speaker, places tiles with the layout engine, composites and
 * overlays the canvas, and feeds every output profile (each encodes once).
 * `tessera mix` ticks it as fast as the CPU allows; the live server will tick it
 * on a real-time clock from the room's own thread. One thread uses a room. */
#ifndef TESSERA_ROOM_H
#define TESSERA_ROOM_H

#include "layouts/layout.h"

struct caption_track;
struct profile_out;
struct prompt;
struct source;
struct timeline;

#define ROOM_MAX_PARTICIPANTS 64
#define ROOM_MAX_PROFILES 16

struct room_config {
    int width, height, fps;
    int mix_rate;                            /* mono mixing rate, e.g. 48000 */
    const struct layout_def *layout;         /* borrowed */
    double speaker_hold_s;                   /* hysteresis of the speaker slot */
    double stale_video_s;                    /* placeholder after this long without video */
    double vad_threshold_db;
    const struct caption_track *captions;    /* borrowed, may be NULL */
    struct timeline *timeline;               /* borrowed, may be NULL */
    /* What waiting participants hear (borrowed, at mix_rate; NULL: a beep): the
     * PIN prompt, repeated, and the wrong-PIN one when room_prompt_wrong says. */
    const struct prompt *prompt_enter, *prompt_wrong;
    int end_when_all_left;                   /* offline: room_tick returns AVERROR_EOF
                                                instead of a frame once every source left */
};

/* Defaults: 1280x720@30, 48 kHz, 1.5 s hold, 2 s stale, -45 dBFS voice threshold. */
void room_config_defaults(struct room_config *cfg);

struct room_stats {
    int64_t ticks;
    double media_time;
    int participants_present;
    int speaker_id;
};

struct room;

int room_alloc(struct room **out, const struct room_config *cfg);
void room_free(struct room **p);

/* Takes ownership of the source (also on failure). It joins at s->join_at; its
 * id is assigned here. */
int room_add_source(struct room *r, struct source *s);

/* Takes ownership of the profile (also on failure). A profile added after
 * room_start() is started at once. */
int room_add_profile(struct room *r, struct profile_out *p);

/* Starts every profile's outputs; call once after adding them. */
int room_start(struct room *r);

/* One canvas frame and its share of audio. With end_when_all_left, returns
 * AVERROR_EOF (and renders nothing) once every source has ended. */
int room_tick(struct room *r);

/* True when every source has joined and ended. */
int room_all_ended(const struct room *r);

/* Flushes encoders and finishes every output. */
int room_finish(struct room *r);

void room_get_stats(const struct room *r, struct room_stats *st);
int room_fps(const struct room *r);

/* Removes a participant now (live leave); its tile disappears at this tick.
 * Returns 0, or AVERROR(ENOENT) for an unknown id. */
int room_remove_source(struct room *r, int id);

/* Adds a source with an id chosen by the caller (live rooms: the server numbers
 * participants). Takes ownership. AVERROR(EEXIST) if the id is in use. */
int room_add_source_id(struct room *r, struct source *s, int id);

/* Gives participant id its own audio output: the mix minus its own voice, encoded
 * by p (an audio-only profile with the participant's codec and its RTP sink).
 * Takes ownership of p (also on failure); it is finished and freed with the
 * participant. */
int room_add_return_audio(struct room *r, int id, struct profile_out *p);

/* Pins participant id to slot_index of the layout (-1 unpins); see
 * layout_engine_pin. Returns 0 or a negative code. */
int room_pin(struct room *r, int id, int slot_index);

/* Mutes or unmutes a participant's audio in every mix. */
int room_set_mute(struct room *r, int id, int muted);

/* A key participant id pressed (a SIP INFO), handled like an RFC 4733 one
 * (source_push_dtmf): "*6" toggles its mute; a waiting participant's key goes
 * to its keybox. */
int room_push_dtmf(struct room *r, int id, char key);

/* Admits a waiting participant (source->waiting dropped): from the next tick it
 * has a tile, is mixed and hears the mix. */
int room_admit(struct room *r, int id);

/* A waiting participant keyed a wrong PIN: from the next tick it hears the
 * wrong-PIN prompt, then the PIN prompt again from its start. */
int room_prompt_wrong(struct room *r, int id);

/* Puts a participant on hold (its audio out of every mix, nothing sent to it:
 * its return audio's sinks are paused) or takes it off. */
int room_set_hold(struct room *r, int id, int held);

/* Switches the layout from the next tick (def borrowed; must outlive the room or
 * the next switch). */
void room_set_layout(struct room *r, const struct layout_def *def);

/* Live subtitle text (from a speech-to-text service): replaces what is shown at
 * once; interim text is replaced by the next call; final text stays for
 * hold_s seconds and also goes to the subtitle tracks. Copied. */
int room_set_live_caption(struct room *r, const char *speaker, const char *text, int final,
                          double hold_s);

/* The running profile of that name, or NULL. Borrowed. */
struct profile_out *room_find_profile(const struct room *r, const char *name);

/* Media time of the room in seconds. */
double room_time(const struct room *r);

/* The room's state as compact JSON (participants, speaker, profiles); a
 * room_snapshot_fn for room_thread. Returns an av_malloc'd string or NULL. */
char *room_stats_json(struct room *r, void *opaque);

/* Borrowed source of participant id, or NULL. */
struct source *room_source(const struct room *r, int id);
int room_profile_count(const struct room *r);
/* Borrowed. */
struct profile_out *room_profile(const struct room *r, int i);

#endif
