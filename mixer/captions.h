/* Captions: a WebVTT parser (cues with <v Speaker> voice tags) and the caption
 * track of a room, which knows which cue is active at a media time. */
#ifndef TESSERA_CAPTIONS_H
#define TESSERA_CAPTIONS_H

#include <stddef.h>

struct caption_cue {
    double start, end;       /* seconds */
    char *speaker;           /* from <v Name>, NULL when none */
    char *text;              /* UTF-8, tags removed, entities decoded, lines joined by '\n' */
};

/* Limits on parsed input: larger files or more cues are rejected (AVERROR(EFBIG)). */
#define CAPTION_MAX_FILE_SIZE (16 * 1024 * 1024)
#define CAPTION_MAX_CUES 100000

struct caption_track {
    int count;
    struct caption_cue *cues;  /* sorted by start */
    double *end_max;           /* end_max[i]: latest end of cues[0..i]; lets
                                * caption_track_active stop early (NULL: no index) */
};

/* Parses WebVTT text. Malformed input (no WEBVTT header, bad timestamp, end before
 * start) returns a negative code with a message naming the line in err. *out is
 * written on success only; free with caption_track_free(). */
int caption_track_parse_vtt(struct caption_track **out, const char *buf, size_t len,
                            char *err, size_t err_size);

/* Reads and parses a .vtt file; errors as above (a missing file names the path). */
int caption_track_load_vtt(struct caption_track **out, const char *path,
                           char *err, size_t err_size);

void caption_track_free(struct caption_track **p);

/* The cue shown at time t (start <= t < end); the latest-starting one when cues
 * overlap; NULL when none. Borrowed from the track. */
const struct caption_cue *caption_track_active(const struct caption_track *track, double t);

/* Decodes WebVTT cue text (payload lines joined by '\n') into cue->speaker and
 * cue->text, replacing any previous values: the first <v Name> (or <v.class Name>)
 * gives the speaker, a later voice with another name starts a new line "Name: ";
 * other tags are removed; &amp; &lt; &gt; &quot; &apos; &nbsp; &lrm; &rlm; and
 * &#...; / &#x...; are decoded; NUL bytes and invalid UTF-8 become U+FFFD. Returns 0
 * or AVERROR(ENOMEM) (cue unchanged). */
int caption_cue_set_payload(struct caption_cue *cue, const char *payload, size_t len);

/* Formats the text burned in for a cue: "Speaker: text" or "text". Returns a
 * malloc'd string (caller frees) or NULL on allocation failure. */
char *caption_cue_display_text(const struct caption_cue *cue);

#endif
