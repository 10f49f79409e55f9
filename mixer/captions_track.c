/* The caption track of a room: which cue is shown at a media time, and its text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mixer/captions.h"

void caption_track_free(struct caption_track **p)
{
    if (!p || !*p)
        return;
    for (int i = 0; i < (*p)->count; i++) {
        free((*p)->cues[i].speaker);
        free((*p)->cues[i].text);
    }
    free((*p)->cues);
    free((*p)->end_max);
    free(*p);
    *p = NULL;
}

/* Binary search for the last cue starting at or before t, then back to the first
 * (latest-starting) one still running; end_max stops the walk as soon as no earlier
 * cue can still be running, so gaps between cues cost one search. */
const struct caption_cue *caption_track_active(const struct caption_track *track, double t)
{
    if (!track || !track->count || !(t == t))
        return NULL;
    int lo = 0, hi = track->count;           /* first cue with start > t */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (track->cues[mid].start <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int i = lo - 1; i >= 0; i--) {
        if (track->end_max && track->end_max[i] <= t)
            break;
        if (t < track->cues[i].end)
            return &track->cues[i];
    }
    return NULL;
}

char *caption_cue_display_text(const struct caption_cue *cue)
{
    const char *text = cue->text ? cue->text : "";
    if (!cue->speaker || !cue->speaker[0])
        return strdup(text);
    size_t n = strlen(cue->speaker) + strlen(text) + 3;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s: %s", cue->speaker, text);
    return s;
}
