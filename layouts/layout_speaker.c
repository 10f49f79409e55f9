/* Active speaker selection with hysteresis: the loudest active talker takes over after hold_s. */
#include "layouts/layout.h"

void layout_speaker_init(struct layout_speaker *s, double hold_s)
{
    if (!s)
        return;
    s->hold_s = hold_s > 0.0 ? hold_s : 0.0;
    s->current_id = -1;
    s->candidate_id = -1;
    s->candidate_since = 0.0;
}

/* The loudest participant with voice activity (ties: the first in the list), or -1. */
static int loudest_active(const int *ids, const double *level_db, const int *active, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!active[i] || ids[i] < 0)
            continue;
        if (best < 0 || level_db[i] > level_db[best])
            best = i;
    }
    return best < 0 ? -1 : ids[best];
}

int layout_speaker_update(struct layout_speaker *s, double now, const int *ids,
                          const double *level_db, const int *active, int n)
{
    int loudest;

    if (!s)
        return -1;
    loudest = (ids && level_db && active && n > 0) ? loudest_active(ids, level_db, active, n) : -1;
    if (loudest < 0 || loudest == s->current_id) {
        /* silence keeps the current speaker; any challenge is broken off */
        s->candidate_id = -1;
        return s->current_id;
    }
    if (s->current_id < 0) {
        s->current_id = loudest;
        s->candidate_id = -1;
        return s->current_id;
    }
    if (loudest != s->candidate_id) {
        s->candidate_id = loudest;
        s->candidate_since = now;
    }
    if (now - s->candidate_since >= s->hold_s) {
        s->current_id = s->candidate_id;
        s->candidate_id = -1;
    }
    return s->current_id;
}

void layout_speaker_remove(struct layout_speaker *s, int id)
{
    if (!s || id < 0)
        return;
    if (s->current_id == id)
        s->current_id = -1;
    if (s->candidate_id == id)
        s->candidate_id = -1;
}
