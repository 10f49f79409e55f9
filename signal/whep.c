/* WHEP routes: a viewer's offer -> a room output whose two RTP sinks (the
 * profile's shared video and audio encoders) send over one WebRTC transport.
 *
 * Threads: the routes run on the loop thread; a failed transport's removal runs
 * there too (whip_on_event -> loop_call_run -> whep_remove_on_loop). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <libavutil/random_seed.h>
#include "codecs/codec.h"
#include "mixer/log.h"
#include "mixer/profile.h"
#include "mixer/sink.h"
#include "mixer/sink_adapt.h"
#include "mixer/sink_rtp.h"
#include "net/rtp_endpoint.h"
#include "signal/http.h"
#include "signal/server.h"
#include "signal/whep.h"
#include "signal/whip_priv.h"

/* What a browser decodes over WebRTC, by tessera codec name. */
static const char *const whep_video_codecs[] = { "h264", "vp8" };
static const char *const whep_audio_codecs[] = { "opus", "g722", "pcmu", "pcma" };

static int whep_codec_ok(const char *name, const char *const *ok, int count)
{
    if (!name[0])
        return 1;
    for (int i = 0; i < count; i++)
        if (!strcmp(name, ok[i]))
            return 1;
    return 0;
}

/* The VP8 twin of an H.264 profile, for a browser that offers no H.264 (Firefox
 * without the OpenH264 plug-in): the same picture, rate and audio in VP8, named
 * NAME-vp8 (a profile of its own in the room, shared by every such viewer). */
#define WHEP_TWIN_CODEC "vp8"

static void whep_twin_def(const struct profile_def *def, struct profile_def *twin)
{
    *twin = *def;
    snprintf(twin->name, sizeof(twin->name), "%.27s-" WHEP_TWIN_CODEC, def->name);
    snprintf(twin->video_codec, sizeof(twin->video_codec), WHEP_TWIN_CODEC);
}

/* The profiles an adaptive viewer of the twin may move through: the twins of
 * the H.264 profiles, so the ladder (mixer/sink_adapt.h) is the same as for H.264. */
static void whep_twin_set(const struct profile_set *set, struct profile_set *twins)
{
    memset(twins, 0, sizeof(*twins));
    for (int i = 0; i < set->count; i++)
        if (!strcmp(set->defs[i].video_codec, "h264"))
            whep_twin_def(&set->defs[i], &twins->defs[twins->count++]);
}

/* The profile's codecs as a preference list ("H264/90000", then "VP8/90000" for
 * its twin when it is H.264), or an error naming the codec a browser cannot take. */
static int whep_profile_prefs(const struct profile_def *def, char pref[3][48], const char *list[3],
                              struct participant_prefs *prefs, char *err, size_t err_size)
{
    const struct codec_desc *video = def->video_codec[0] ? codec_find(def->video_codec) : NULL;
    const struct codec_desc *audio = def->audio_codec[0] ? codec_find(def->audio_codec) : NULL;

    if (!whep_codec_ok(def->video_codec, whep_video_codecs, 2) ||
        !whep_codec_ok(def->audio_codec, whep_audio_codecs, 4)) {
        snprintf(err, err_size, "profile %s sends %s%s%s, which browsers cannot decode over WebRTC "
                 "(they take H.264 or VP8 video and Opus, G.722, PCMU or PCMA audio): use hd or low",
                 def->name, def->video_codec, def->video_codec[0] && def->audio_codec[0] ? " + " : "",
                 def->audio_codec);
        return AVERROR(EINVAL);
    }
    if ((def->video_codec[0] && (!video || !video->rtp)) || (def->audio_codec[0] && (!audio || !audio->rtp))) {
        snprintf(err, err_size, "profile %s: no RTP payload format for its codecs", def->name);
        return AVERROR(EINVAL);
    }
    memset(prefs, 0, sizeof(*prefs));
    if (audio) {
        snprintf(pref[0], 48, "%s/%d", audio->sdp_name, audio->clock_rate);
        list[0] = pref[0];
        prefs->audio = &list[0];
        prefs->audio_count = 1;
    }
    if (video) {
        const struct codec_desc *twin = codec_find(WHEP_TWIN_CODEC);
        snprintf(pref[1], 48, "%s/%d", video->sdp_name, video->clock_rate);
        list[1] = pref[1];
        prefs->video = &list[1];
        prefs->video_count = 1;
        if (!strcmp(def->video_codec, "h264") && twin && twin->rtp) {
            snprintf(pref[2], 48, "%s/%d", twin->sdp_name, twin->clock_rate);
            list[2] = pref[2];
            prefs->video_count = 2;
        }
    }
    return 0;
}

/* Loop thread (through loop_call_run): the transport closed, remove its output. */
static void whep_remove_on_loop(struct server *s, void *arg)
{
    const struct whip_link *l = arg;
    struct server_room *r = server_find_room(s, l->room);

    if (r && server_room_remove_output(r, l->id) >= 0)
        log_info("room %s: %s stopped viewing (viewer %d)", l->room, l->name, l->id);
}

/* One RTP sink of the viewer's stream st on the shared endpoint; its SSRC and
 * stream id go into the answer's m= line a. */
static int whep_sink(struct server_room *r, const struct server_output *out, struct rtp_endpoint *ep,
                     const struct participant_stream *st, struct sdp_media *a, struct sink **sink)
{
    int is_video = st->codec->type == AVMEDIA_TYPE_VIDEO;
    struct sink_rtp_config c = { 0 };
    int ret;

    c.endpoint = ep;
    c.type = is_video ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO;
    c.codec = st->codec;
    c.payload_type = st->format->payload_type;
    c.clock_rate = st->format->clock_rate;
    c.ssrc = av_get_random_seed() | 1;
    snprintf(c.fmtp, sizeof(c.fmtp), "%s", st->format->fmtp);
    snprintf(c.url, sizeof(c.url), "%s (%s)", out->url, is_video ? "video" : "audio");
    ret = sink_rtp_alloc(sink, &c);
    if (ret < 0)
        return ret;
    a->ssrc = c.ssrc;
    snprintf(a->cname, sizeof(a->cname), "tessera");
    snprintf(a->msid, sizeof(a->msid), "tessera-%s-%d %s", r->id, out->id, is_video ? "video" : "audio");
    return 0;
}

/* The viewer's video sink (and audio, sinks[1]) wrapped as an adaptive viewer
 * (mixer/sink_adapt.h): sinks[] become the taps to attach to `def`, its ceiling.
 * ?adaptive=0 keeps it on def. Takes the sinks over also on failure. */
static int whep_adaptive(const struct profile_set *set, struct server_room *r, struct evkeyvalq *query,
                         const struct profile_def *def, const struct sdp_media *vm, struct sink *sinks[2])
{
    const char *adaptive = evhttp_find_header(query, "adaptive");
    struct sink_adapt_config c;
    struct sink *video = sinks[0], *audio = sinks[1];

    memset(&c, 0, sizeof(c));
    c.thread = r->thread;
    c.rung_count = sink_adapt_ladder(set, def, c.rungs, ADAPT_MAX_RUNGS);
    c.in = (struct profile_out_input){ r->width, r->height, r->fps, 48000, 1 };
    c.video_ssrc = vm->ssrc;
    c.adaptive = !adaptive || strcmp(adaptive, "0");
    adapt_config_defaults(&c.thresholds);
    sinks[0] = sinks[1] = NULL;
    return sink_adapt_alloc(&c, video, audio, &sinks[0], &sinks[1]);
}

/* The offer -> an output of the room with a started transport, our answer in res. */
static int whep_view(struct server *s, struct server_room *r, const char *text, size_t len,
                     struct evkeyvalq *query, struct participant_result *res, char *err, size_t err_size)
{
    const char *profile = evhttp_find_header(query, "profile");
    const char *name = evhttp_find_header(query, "name");
    const struct profile_def *def = profile_set_find(&s->profiles, profile ? profile : "low");
    const struct profile_set *ladder = &s->profiles;
    struct participant_stream *both[2];
    struct sink *sinks[2] = { NULL, NULL };
    struct whip_offer o = { 0 };
    struct participant_prefs prefs;
    struct server_output *out;
    struct profile_def twin;
    struct profile_set *twins = NULL;
    const char *list[3];
    char pref[3][48], location[192];
    int ret, id = 0;

    if (!def) {
        snprintf(err, err_size, "no profile %s", profile);
        return AVERROR(ENOENT);
    }
    if ((ret = whep_profile_prefs(def, pref, list, &prefs, err, err_size)) < 0)
        return ret;
    if (r->output_count >= SERVER_MAX_OUTPUTS) {
        snprintf(err, err_size, "room %s has the maximum of %d outputs", r->id, SERVER_MAX_OUTPUTS);
        return AVERROR(ENOSPC);
    }
    if ((ret = whip_offer_parse(&o, text, len, &prefs, err, err_size)) < 0)
        goto fail;
    if (o.video && o.video->codec != codec_find(def->video_codec)) {      /* no H.264: the VP8 twin */
        if (!(twins = av_malloc(sizeof(*twins)))) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        whep_twin_def(def, &twin);
        whep_twin_set(&s->profiles, twins);
        def = &twin;
        ladder = twins;
    }
    if ((ret = whip_peer_open(s, &o, err, err_size)) < 0)
        goto fail;
    if ((ret = whip_fill_answer(s, &o, SDP_SENDONLY)) < 0) {
        snprintf(err, err_size, "no local ICE candidate: %s", av_err2str(ret));
        goto fail;
    }
    out = &r->outputs[r->output_count];
    memset(out, 0, sizeof(*out));
    out->id = s->next_output_id++;
    snprintf(out->profile, sizeof(out->profile), "%s", def->name);
    snprintf(location, sizeof(location), "whep:/whep/%s/%d", r->id, out->id);
    snprintf(out->url, sizeof(out->url), "%s", location);
    both[0] = o.video;
    both[1] = o.audio;
    for (int i = 0; i < 2; i++) {
        if (!both[i])
            continue;
        ret = whep_sink(r, out, webrtc_peer_endpoint(o.peer), both[i], &o.answer->media[both[i] - o.streams],
                        &sinks[i]);
        if (ret < 0)
            goto fail;
        sinks[i]->id = s->next_output_id++;
        out->sink_ids[i] = sinks[i]->id;
    }
    if (!out->sink_ids[0]) {             /* an audio-only viewer: its sink id first */
        out->sink_ids[0] = out->sink_ids[1];
        out->sink_ids[1] = 0;
    }
    participant_answer_session(s, r, out->id, o.answer);
    ret = sdp_write(o.answer, res->answer, sizeof(res->answer));
    if (ret < 0)
        goto fail;
    /* The output owns the transport and an endpoint reference from now on. */
    out->endpoints[0] = rtp_endpoint_ref(webrtc_peer_endpoint(o.peer));
    out->endpoint_count = 1;
    out->transport = o.peer;
    out->transport_close = whip_transport_close;
    o.peer = NULL;
    r->output_count++;
    id = out->id;
    if (sinks[0])
        ret = whep_adaptive(ladder, r, query, def, &o.answer->media[o.video - o.streams], sinks);
    for (int i = 0; i < 2 && ret >= 0; i++) {
        struct sink *sink = sinks[i];
        sinks[i] = NULL;                 /* attaching takes it, even on failure */
        if (sink)
            ret = server_room_attach_sink(r, def, sink);
    }
    if (ret >= 0)
        ret = whip_link_start(s, out->transport, r, name ? name : "viewer", "viewer", id, whep_remove_on_loop);
    if (ret < 0) {
        snprintf(err, err_size, "cannot start the viewer: %s", av_err2str(ret));
        goto fail;
    }
    res->id = id;
    snprintf(res->profile, sizeof(res->profile), "%s", def->name);
    log_info("room %s: %s views profile %s over WHEP (viewer %d, %s%s%s)", r->id, name ? name : "viewer",
             def->name, id, def->video_codec, def->video_codec[0] && def->audio_codec[0] ? " + " : "",
             def->audio_codec);
    ret = 0;
fail:
    if (ret < 0 && id)
        server_room_remove_output(r, id);
    for (int i = 0; i < 2; i++)
        sink_free(&sinks[i]);
    whip_offer_free(&o);
    av_free(twins);
    return ret;
}

static void whep_delete(struct server *s, struct evhttp_request *req, const char *room_id, const char *oid)
{
    struct server_room *r = server_find_room(s, room_id);
    int id = atoi(oid);

    for (int i = 0; r && i < r->output_count; i++) {
        if (r->outputs[i].id != id || r->outputs[i].transport_close != whip_transport_close)
            continue;
        server_room_remove_output(r, id);
        log_info("room %s: viewer %d stopped viewing (WHEP DELETE)", r->id, id);
        http_reply_text(req, 200, "text/plain", "", 0);
        return;
    }
    http_reply_error(req, 404, "no WHEP session %s in room %s", oid, room_id);
}

/* A viewer's transport (outputs of the room with a WebRTC transport). */
static struct webrtc_peer *whep_find(struct server *s, struct server_room *r, int id)
{
    (void)s;
    for (int i = 0; i < r->output_count; i++)
        if (r->outputs[i].id == id && r->outputs[i].transport_close == whip_transport_close)
            return r->outputs[i].transport;
    return NULL;
}

void api_whep(struct server *s, struct evhttp_request *req, char seg[][128], int n)
{
    whip_route(s, req, seg, n, "whep", whep_view, whep_delete, whep_find);
}
