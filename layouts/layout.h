/* The layout engine: loads layout definitions (JSON data files) and decides which
 * participant goes into which canvas-relative slot, keeping tiles stable across
 * joins and leaves, and picks the active speaker with hysteresis.
 * Knows nothing about pixels: slots are fractions of the canvas. */
#ifndef TESSERA_LAYOUT_H
#define TESSERA_LAYOUT_H

#include <stddef.h>

#define LAYOUT_MAX_SLOTS 32
#define LAYOUT_MAX_VARIANTS 16

/* The built-in layout names, for messages and help text. */
#define LAYOUT_BUILTIN_NAMES "grid, speaker, filmstrip, presentation, pip"

enum layout_role {
    LAYOUT_ROLE_ANY = 0,     /* any participant, in join order */
    LAYOUT_ROLE_SPEAKER,     /* follows the active speaker */
    LAYOUT_ROLE_SCREEN,      /* takes a screen share (falls back to the speaker) */
};

enum layout_fit {
    LAYOUT_FIT_AUTO = 0,     /* crop when the aspect ratios differ by less than
                                LAYOUT_FIT_AUTO_MAX_RATIO, else letterbox */
    LAYOUT_FIT_CROP,         /* scale to cover the slot, crop the overflow */
    LAYOUT_FIT_LETTERBOX,    /* scale to fit inside the slot, bars around */
};

#define LAYOUT_FIT_AUTO_MAX_RATIO 1.5

/* Resolves a fit for a source of aspect src_aspect (w/h) shown in a slot of aspect
 * slot_aspect: returns LAYOUT_FIT_CROP or LAYOUT_FIT_LETTERBOX. */
enum layout_fit layout_fit_resolve(enum layout_fit fit, double src_aspect, double slot_aspect);

/* One region of the canvas, in fractions of its width/height (0..1). */
struct layout_slot {
    double x, y, w, h;
    int z;                   /* drawing order: higher is drawn later (on top) */
    enum layout_role role;
    enum layout_fit fit;
};

/* The slots to use when up to max_participants are shown. */
struct layout_variant {
    int max_participants;
    int slot_count;
    struct layout_slot slots[LAYOUT_MAX_SLOTS];
};

/* A loaded layout file. Variants are sorted by max_participants. */
struct layout_def {
    char name[64];
    int variant_count;
    struct layout_variant variants[LAYOUT_MAX_VARIANTS];
};

/* Parses a layout definition from JSON text. On error returns a negative code and
 * writes a message naming the cause into err (if err_size > 0). *out is written
 * only on success; the caller frees it with layout_def_free(). */
int layout_def_parse(struct layout_def **out, const char *json, size_t len,
                     char *err, size_t err_size);

/* Loads a layout: `name_or_path` is either a built-in name (grid, speaker,
 * filmstrip, presentation, pip: read from `dir`/NAME.json) or a path to a .json file.
 * Unknown name or bad file: negative code and a message in err. */
int layout_def_load(struct layout_def **out, const char *name_or_path, const char *dir,
                    char *err, size_t err_size);

void layout_def_free(struct layout_def **p);

/* The variant used for n visible participants: the smallest one with
 * max_participants >= n, else the largest. Borrowed from def. */
const struct layout_variant *layout_def_pick_variant(const struct layout_def *def, int n);

/* A participant as the layout engine sees it. */
struct layout_participant {
    int id;                  /* caller-chosen, unique, >= 0 */
    int is_screen;           /* a screen share */
};

/* Where one participant goes. */
struct layout_placement {
    int id;
    int slot_index;          /* index into the chosen variant's slots */
    struct layout_slot slot;
};

struct layout_engine;

/* def is borrowed and must outlive the engine. */
int layout_engine_alloc(struct layout_engine **out, const struct layout_def *def);
void layout_engine_free(struct layout_engine **p);

/* Switches the definition used from now on (live layout change); borrowed. */
void layout_engine_set_def(struct layout_engine *e, const struct layout_def *def);

/* Computes the placement of the participants present now (in join order) given the
 * active speaker (-1: none). Stable: a participant keeps its slot while the variant
 * does not change; a join fills the first free slot; a leave frees its slot only;
 * a variant change keeps participants in their previous relative order; the speaker
 * enters a speaker slot by swapping with its occupant. Participants beyond the slot
 * count are not shown. Writes up to max_out placements sorted by z, returns their
 * count (>= 0). */
int layout_engine_place(struct layout_engine *e, const struct layout_participant *parts,
                        int n, int speaker_id, struct layout_placement *out, int max_out);

#define LAYOUT_MAX_PINS 8

/* Pins participant id to slot_index of whatever variant is in use (slot -1:
 * unpin). A pin wins over the speaker slot; pinning a slot already pinned moves
 * that pin to the new participant. Ignored while the variant has no such slot.
 * Returns 0, -EINVAL or -ENOSPC (more than LAYOUT_MAX_PINS pins). */
int layout_engine_pin(struct layout_engine *e, int id, int slot_index);

/* Active speaker selection with hysteresis: a new speaker takes over only after
 * being the loudest active talker for hold_s seconds, and the current speaker is
 * kept while nobody else qualifies. */
struct layout_speaker {
    double hold_s;
    int current_id;          /* -1 until somebody spoke */
    int candidate_id;
    double candidate_since;
};

void layout_speaker_init(struct layout_speaker *s, double hold_s);

/* ids[i] speaks (voice activity) when active[i] is non-zero, with level_db[i] dBFS.
 * now is media time in seconds (monotonic). Returns the current speaker id or -1. */
int layout_speaker_update(struct layout_speaker *s, double now, const int *ids,
                          const double *level_db, const int *active, int n);

/* Forgets a participant who left (it stops being speaker or candidate). */
void layout_speaker_remove(struct layout_speaker *s, int id);

#endif
