/* The room's state as JSON (participants, speaker, per-profile encoder stats):
 * built on the room thread as the snapshot the HTTP API serves. */
#include <stdlib.h>
#include <jansson.h>
#include <libavutil/mem.h>
#include <libavutil/avstring.h>
#include "mixer/profile_out.h"
#include "mixer/room_priv.h"
#include "mixer/sink.h"
#include "mixer/source.h"
#include "mixer/source_rtp.h"

static json_t *room_json_participant_base(const struct room_participant *p);

static json_t *room_json_rtp_stream(const struct source_rtp_stats *st)
{
    json_t *o = json_object();

    json_object_set_new(o, "packets", json_integer((json_int_t)st->packets));
    json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
    json_object_set_new(o, "lost", json_integer((json_int_t)st->lost));
    json_object_set_new(o, "late", json_integer((json_int_t)st->late));
    json_object_set_new(o, "frames_broken", json_integer((json_int_t)st->frames_broken));
    json_object_set_new(o, "jitter_ms", json_real(st->jitter_ms));
    json_object_set_new(o, "plis_sent", json_integer((json_int_t)st->plis_sent));
    json_object_set_new(o, "nacks_sent", json_integer((json_int_t)st->nacks_sent));
    json_object_set_new(o, "srtp_failures", json_integer((json_int_t)st->srtp_failures));
    json_object_set_new(o, "malformed", json_integer((json_int_t)st->malformed));
    json_object_set_new(o, "wrong_payload_type", json_integer((json_int_t)st->wrong_payload_type));
    json_object_set_new(o, "wrong_ssrc", json_integer((json_int_t)st->wrong_ssrc));
    json_object_set_new(o, "dtmf_events", json_integer((json_int_t)st->dtmf_events));
    json_object_set_new(o, "queue_drops", json_integer((json_int_t)st->queue_drops));
    json_object_set_new(o, "audio_levels", json_integer((json_int_t)st->audio_levels));
    return o;
}

static json_t *room_json_participant(const struct room_participant *p)
{
    const struct source *s = p->src;
    json_t *obj = room_json_participant_base(p);
    struct source_rtp_stats v, a;

    /* What it hears: its own mix-minus encode, or the room's shared phone encode. */
    if (obj && p->return_audio)
        json_object_set_new(obj, "return_audio", json_string(p->on_phone_mix ? "shared" : "own"));
    if (obj && source_is_rtp(s)) {
        source_rtp_get_stats(s, &v, &a);
        json_object_set_new(obj, "srtp_failures", json_integer((json_int_t)(v.srtp_failures + a.srtp_failures)));
        json_object_set_new(obj, "rtp", json_pack("{s:o, s:o}", "video", room_json_rtp_stream(&v),
                                                  "audio", room_json_rtp_stream(&a)));
    }
    return obj;
}

static json_t *room_json_participant_base(const struct room_participant *p)
{
    const struct source *s = p->src;

    return json_pack("{s:i, s:s, s:b, s:f, s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I}",
                     "id", s->id, "name", s->name, "speaking", p->speaking,
                     "level_db", p->level_db, "muted", p->muted, "held", p->held, "video", s->has_video,
                     "audio", s->has_audio, "video_frames", (json_int_t)s->stats.video_frames,
                     "audio_frames", (json_int_t)s->stats.audio_frames,
                     "decode_errors", (json_int_t)s->stats.decode_errors,
                     "dropped_frames", (json_int_t)s->stats.dropped_frames);
}

static json_t *room_json_profile(const struct profile_out *p)
{
    struct profile_out_stats st;
    json_t *sinks = json_array();
    struct sink *s;

    profile_out_get_stats(p, &st);
    for (int i = 0; (s = profile_out_sink(p, i)); i++) {
        struct sink_status status;
        json_t *extra = s->ops->state_json ? s->ops->state_json(s) : NULL;
        json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I}", "id", s->id, "url", s->url,
                              "packets", (json_int_t)s->packets, "bytes", (json_int_t)s->bytes,
                              "write_errors", (json_int_t)s->write_errors,
                              "dropped", (json_int_t)s->dropped);

        sink_get_status(s, &status);
        if (status.state) {
            json_object_set_new(o, "state", json_string(status.state));
            json_object_set_new(o, "queued", json_integer(status.queued));
            if (status.error[0])
                json_object_set_new(o, "error", json_string(status.error));
        }
        if (o && extra)
            json_object_update(o, extra);
        json_decref(extra);
        json_array_append_new(sinks, o);
    }
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "name", profile_out_def(p)->name,
                     "video_frames", (json_int_t)st.video_frames,
                     "audio_frames", (json_int_t)st.audio_frames,
                     "video_bytes", (json_int_t)st.video_bytes,
                     "audio_bytes", (json_int_t)st.audio_bytes, "outputs", sinks);
}

char *room_stats_json(struct room *r, void *opaque)
{
    json_t *root, *parts = json_array(), *profiles = json_array();
    char *text, *copy;

    (void)opaque;
    for (int i = 0; i < r->part_count; i++)
        if (r->parts[i].src && !r->parts[i].src->waiting)
            json_array_append_new(parts, room_json_participant(&r->parts[i]));
    for (int i = 0; i < r->profile_count; i++)
        json_array_append_new(profiles, room_json_profile(r->profiles[i]));
    root = json_pack("{s:f, s:i, s:o, s:o}", "media_time", room_time(r),
                     "speaker", r->speaker_id, "participants", parts, "profiles", profiles);
    if (!root)
        return NULL;
    json_object_set_new(root, "shared_phone_listeners", json_integer(room_phone_listeners(r)));
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return NULL;
    copy = av_strdup(text);
    free(text);
    return copy;
}
