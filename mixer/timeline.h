/* Who spoke when: speech segments per participant from the room's voice
 * activity, written as JSON for transcription and diarization services. */
#ifndef TESSERA_TIMELINE_H
#define TESSERA_TIMELINE_H

struct timeline;

int timeline_alloc(struct timeline **out);
void timeline_free(struct timeline **p);

/* Registers a participant (name copied). Returns 0 or a negative code. */
int timeline_add_participant(struct timeline *t, int id, const char *name);

/* Records whether participant id spoke during [start, end) of media time (called
 * every tick). Segments shorter than 0.2 s are dropped; gaps under 0.3 s (pauses
 * between words) are merged. */
void timeline_update(struct timeline *t, int id, double start, double end, int active);

/* Closes open segments at `end` and writes {"duration", "participants": [{"name",
 * "segments": [[start, end], ...]}]} to path. Errors name the path via the log. */
int timeline_write_json(struct timeline *t, const char *path, double end);

#endif
