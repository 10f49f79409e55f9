/* Speech segments per participant, merged and written as JSON. */
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "mixer/timeline.h"

#define TIMELINE_MIN_SEGMENT 0.2
#define TIMELINE_MERGE_GAP 0.3

struct timeline_segment {
    double start, end;
};

struct timeline_track {
    int id;
    char name[64];
    int open;                    /* a segment is in progress */
    struct timeline_segment *segments;
    int count, capacity;
};

struct timeline {
    struct timeline_track *tracks;
    int count, capacity;
};

int timeline_alloc(struct timeline **out)
{
    struct timeline *t = av_mallocz(sizeof(*t));

    if (!t)
        return AVERROR(ENOMEM);
    *out = t;
    return 0;
}

void timeline_free(struct timeline **p)
{
    struct timeline *t = *p;

    if (!t)
        return;
    for (int i = 0; i < t->count; i++)
        av_free(t->tracks[i].segments);
    av_free(t->tracks);
    av_free(t);
    *p = NULL;
}

int timeline_add_participant(struct timeline *t, int id, const char *name)
{
    struct timeline_track *track;

    if (t->count == t->capacity) {
        int cap = t->capacity ? 2 * t->capacity : 8;
        void *n = av_realloc_array(t->tracks, cap, sizeof(*t->tracks));
        if (!n)
            return AVERROR(ENOMEM);
        t->tracks = n;
        t->capacity = cap;
    }
    track = &t->tracks[t->count++];
    memset(track, 0, sizeof(*track));
    track->id = id;
    snprintf(track->name, sizeof(track->name), "%s", name);
    return 0;
}

static struct timeline_track *timeline_find(struct timeline *t, int id)
{
    for (int i = 0; i < t->count; i++)
        if (t->tracks[i].id == id)
            return &t->tracks[i];
    return NULL;
}

static void timeline_close(struct timeline_track *track)
{
    struct timeline_segment *last = &track->segments[track->count - 1];

    track->open = 0;
    if (last->end - last->start < TIMELINE_MIN_SEGMENT)
        track->count--;
}

void timeline_update(struct timeline *t, int id, double start, double end, int active)
{
    struct timeline_track *track = timeline_find(t, id);
    struct timeline_segment *last;

    if (!track)
        return;
    last = track->count ? &track->segments[track->count - 1] : NULL;
    if (active) {
        if (track->open) {
            last->end = end;
        } else if (last && start - last->end < TIMELINE_MERGE_GAP) {
            last->end = end;
            track->open = 1;
        } else {
            if (track->count == track->capacity) {
                int cap = track->capacity ? 2 * track->capacity : 16;
                void *n = av_realloc_array(track->segments, cap, sizeof(*track->segments));
                if (!n)
                    return;
                track->segments = n;
                track->capacity = cap;
            }
            track->segments[track->count++] = (struct timeline_segment){ start, end };
            track->open = 1;
        }
    } else if (track->open) {
        timeline_close(track);
    }
}

int timeline_write_json(struct timeline *t, const char *path, double end)
{
    json_t *root = json_object();
    json_t *parts = json_array();
    int ret = 0;

    if (!root || !parts) {
        json_decref(root);
        json_decref(parts);
        return AVERROR(ENOMEM);
    }
    json_object_set_new(root, "duration", json_real(end));
    json_object_set_new(root, "participants", parts);
    for (int i = 0; i < t->count; i++) {
        struct timeline_track *track = &t->tracks[i];
        json_t *p = json_object();
        json_t *segs = json_array();

        if (track->open) {
            track->segments[track->count - 1].end = end;
            timeline_close(track);
        }
        for (int k = 0; k < track->count; k++)
            json_array_append_new(segs, json_pack("[f, f]", track->segments[k].start,
                                                  track->segments[k].end));
        json_object_set_new(p, "name", json_string(track->name));
        json_object_set_new(p, "segments", segs);
        json_array_append_new(parts, p);
    }
    if (json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(4)) < 0) {
        log_error("timeline %s: cannot write: %s", path, strerror(errno));
        ret = AVERROR(EIO);
    }
    json_decref(root);
    return ret;
}
