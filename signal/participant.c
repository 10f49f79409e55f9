/* RTP participants from SDP offers: negotiate each m= line, bind its endpoint,
 * build the room source, the video sink on a matching profile and the mix-minus
 * audio return, and write the answer. */
#include <string.h>
#include <libavutil/mem.h>
#include "codecs/codec.h"
#include "mixer/log.h"
#include "mixer/profile_out.h"
#include "mixer/room.h"
#include "mixer/room_thread.h"
#include "mixer/sink.h"
#include "mixer/sink_rtp.h"
#include "mixer/source.h"
#include "mixer/source_rtp.h"
#include "net/rtp_endpoint.h"
#include "signal/participant.h"
#include "signal/sdp.h"
#include "signal/server.h"

static const char *const prefs_default_audio[] = { "opus/48000", "G722/8000", "PCMU/8000", "PCMA/8000" };
static const char *const prefs_default_video[] = { "H264/90000", "VP8/90000", "H263-1998/90000",
                                                   "H263-2000/90000" };
static const char *const prefs_legacy_audio[] = { "G722/8000", "PCMU/8000", "PCMA/8000", "opus/48000" };
static const char *const prefs_legacy_video[] = { "H264/90000", "H263-1998/90000", "H263-2000/90000" };

const struct participant_prefs participant_prefs_default = {
    prefs_default_audio, 4, prefs_default_video, 4,
};
const struct participant_prefs participant_prefs_legacy = {
    prefs_legacy_audio, 4, prefs_legacy_video, 3,
};

/* What one negotiated m= line gives. */
struct participant_stream {
    int used;
    const struct codec_desc *codec;
    const struct sdp_format *format;     /* in the answer */
    int dtmf_pt;
    int receives, sends;                 /* from the participant's point of view */
    struct rtp_endpoint *ep;
    int srtp;
    enum rtpsec_suite suite;
    uint8_t key_in[RTPSEC_MASTER_LEN], key_out[RTPSEC_MASTER_LEN];
};

static void participant_reject_media(const struct sdp_media *offer, struct sdp_media *answer)
{
    memset(answer, 0, sizeof(*answer));
    snprintf(answer->type, sizeof(answer->type), "%s", offer->type);
    snprintf(answer->proto, sizeof(answer->proto), "%s", offer->proto);
    snprintf(answer->other_formats, sizeof(answer->other_formats), "%s", offer->other_formats);
    if (offer->format_count) {
        answer->formats[0] = offer->formats[0];
        answer->format_count = 1;
    }
    answer->port = 0;
    answer->direction = SDP_INACTIVE;
}

static int participant_crypto(const struct sdp_media *offer, struct sdp_media *answer,
                              struct participant_stream *st)
{
    struct sdp_crypto chosen;
    char inline_key[RTPSEC_INLINE_SIZE + 8];
    int ret = sdp_pick_crypto(offer, &chosen);

    if (ret < 0 || (ret = rtpsec_suite_from_name(chosen.suite, &st->suite)) < 0 ||
        (ret = rtpsec_key_from_inline(chosen.key_params, st->key_in)) < 0 ||
        (ret = rtpsec_key_random(st->key_out)) < 0 ||
        (ret = rtpsec_key_to_inline(st->key_out, inline_key, sizeof(inline_key))) < 0)
        return ret < 0 ? ret : SDP_ERROR_NO_CRYPTO;
    answer->crypto[0].tag = chosen.tag;
    snprintf(answer->crypto[0].suite, sizeof(answer->crypto[0].suite), "%s", chosen.suite);
    snprintf(answer->crypto[0].key_params, sizeof(answer->crypto[0].key_params), "%s", inline_key);
    answer->crypto_count = 1;
    st->srtp = 1;
    return 0;
}

/* Negotiates one audio or video m= line and binds its endpoint. */
static int participant_media(struct server *s, const struct sdp_media *offer, struct sdp_media *answer,
                             const struct participant_prefs *prefs, struct participant_stream *st,
                             char *err, size_t err_size)
{
    int is_video = !strcmp(offer->type, "video");
    int savp = !strcmp(offer->proto, "RTP/SAVP");
    int ret;

    ret = sdp_answer_media(offer, is_video ? prefs->video : prefs->audio,
                           is_video ? prefs->video_count : prefs->audio_count, answer, err, err_size);
    if (ret < 0)
        return ret;
    st->dtmf_pt = -1;
    for (int i = 0; i < answer->format_count; i++) {
        const struct codec_desc *d = codec_find_sdp(answer->formats[i].encoding, answer->formats[i].clock_rate);
        if (d && !st->codec) {
            st->codec = d;
            st->format = &answer->formats[i];
        } else if (!strcasecmp(answer->formats[i].encoding, "telephone-event")) {
            st->dtmf_pt = answer->formats[i].payload_type;
        }
    }
    if (!st->codec) {
        snprintf(err, err_size, "%s: no codec tessera can decode", offer->type);
        return SDP_ERROR_NO_COMMON_CODEC;
    }
    if (savp && (ret = participant_crypto(offer, answer, st)) < 0) {
        snprintf(err, err_size, "%s: RTP/SAVP without a usable a=crypto line", offer->type);
        return ret;
    }
    ret = rtp_endpoint_open(&st->ep, s->base, s->cfg.rtp_address, s->cfg.rtp_port_min,
                            s->cfg.rtp_port_max, &s->port_cursor, offer->rtcp_mux, is_video ? 512 : 128);
    if (ret < 0) {
        snprintf(err, err_size, "no free RTP port in %d-%d", s->cfg.rtp_port_min, s->cfg.rtp_port_max);
        return ret;
    }
    st->sends = offer->direction == SDP_SENDRECV || offer->direction == SDP_SENDONLY;
    st->receives = (offer->direction == SDP_SENDRECV || offer->direction == SDP_RECVONLY) &&
                   offer->port > 0 && strcmp(offer->addr, "0.0.0.0");
    /* RTCP (PLI, NACK, RR) goes back even to a participant that only sends. */
    if (offer->port > 0 && strcmp(offer->addr, "0.0.0.0") &&
        rtp_endpoint_set_remote(st->ep, offer->addr, offer->port, offer->rtcp_port) < 0)
        st->receives = 0;
    answer->port = rtp_endpoint_rtp_port(st->ep);
    snprintf(answer->addr, sizeof(answer->addr), "%s", s->cfg.rtp_address);
    st->used = 1;
    return 0;
}

/* The profile whose video codec is the negotiated one: the requested profile
 * first, then "low", then any. */
static const struct profile_def *participant_video_profile(struct server *s, const char *wanted,
                                                           const struct codec_desc *codec)
{
    const char *order[2] = { wanted, "low" };

    for (int i = 0; i < 2; i++) {
        const struct profile_def *d = order[i] ? profile_set_find(&s->profiles, order[i]) : NULL;
        if (d && codec_find(d->video_codec) == codec)
            return d;
    }
    for (int i = 0; i < s->profiles.count; i++)
        if (codec_find(s->profiles.defs[i].video_codec) == codec)
            return &s->profiles.defs[i];
    return NULL;
}

static void participant_sink_config(struct sink_rtp_config *c, const struct participant_stream *st,
                                    enum AVMediaType type, const char *addr)
{
    memset(c, 0, sizeof(*c));
    c->endpoint = st->ep;
    c->type = type;
    c->codec = st->codec;
    c->payload_type = st->format->payload_type;
    c->clock_rate = st->format->clock_rate;
    snprintf(c->fmtp, sizeof(c->fmtp), "%s", st->format->fmtp);
    c->srtp = st->srtp;
    c->suite = st->suite;
    memcpy(c->key_out, st->key_out, RTPSEC_MASTER_LEN);
    memcpy(c->key_in, st->key_in, RTPSEC_MASTER_LEN);
    snprintf(c->url, sizeof(c->url), "%s://%s", st->srtp ? "srtp" : "rtp", addr);
}

/* The audio the participant hears: an audio-only profile of its own codec, fed
 * with the mix minus itself. */
static int participant_return_audio(struct server_room *r, int id, const struct participant_stream *st,
                                    const char *addr, struct profile_out **out)
{
    struct profile_def def = { 0 };
    struct profile_out_input in = { r->width, r->height, r->fps, 48000, 0 };
    struct sink_rtp_config c;
    struct sink *sink = NULL;
    int ret;

    snprintf(def.name, sizeof(def.name), "return-%d", id);
    snprintf(def.audio_codec, sizeof(def.audio_codec), "%s", st->codec->name);
    def.sample_rate = st->codec == &codec_opus ? 48000 : st->codec == &codec_g722 ? 16000 : 8000;
    def.channels = 1;
    def.audio_bitrate = st->codec == &codec_opus ? 32000 : 64000;
    snprintf(def.format, sizeof(def.format), "rtp");
    ret = profile_out_alloc(out, &def, &in);
    if (ret < 0)
        return ret;
    participant_sink_config(&c, st, AVMEDIA_TYPE_AUDIO, addr);
    ret = sink_rtp_alloc(&sink, &c);
    if (ret >= 0)
        ret = profile_out_add_sink(*out, sink);
    if (ret < 0)
        profile_out_free(out);
    return ret;
}

struct participant_add_cmd {
    struct source *src;
    int id;
    struct profile_out *return_audio;
};

static void participant_cmd_add(struct room *room, void *arg)
{
    struct participant_add_cmd *c = arg;

    if (room_add_source_id(room, c->src, c->id) >= 0 && c->return_audio)
        room_add_return_audio(room, c->id, c->return_audio);
    else
        profile_out_free(&c->return_audio);
    c->src = NULL;
    c->return_audio = NULL;
}

static void participant_cmd_add_free(void *arg)
{
    struct participant_add_cmd *c = arg;

    source_free(&c->src);
    profile_out_free(&c->return_audio);
    av_free(c);
}

static void participant_source_config(struct source_rtp_stream_config *c, const struct participant_stream *st)
{
    memset(c, 0, sizeof(*c));
    if (!st->used || !st->sends)
        return;
    c->codec = st->codec;
    c->payload_type = st->format->payload_type;
    c->clock_rate = st->format->clock_rate;
    c->dtmf_payload_type = st->dtmf_pt;
    c->endpoint = st->ep;
    c->srtp = st->srtp;
    c->suite = st->suite;
    memcpy(c->key_in, st->key_in, RTPSEC_MASTER_LEN);
    memcpy(c->key_out, st->key_out, RTPSEC_MASTER_LEN);
}

/* Builds the room-side objects and queues them to the room thread. */
static int participant_attach(struct server *s, struct server_room *r, struct server_participant *sp,
                              const struct participant_request *req, struct participant_stream *audio,
                              struct participant_stream *video, const struct sdp_session *offer_sdp,
                              struct participant_result *res)
{
    struct source_rtp_stream_config vc, ac;
    struct participant_add_cmd *cmd = av_mallocz(sizeof(*cmd));
    const char *addr = offer_sdp->addr[0] ? offer_sdp->addr : offer_sdp->media[0].addr;
    int ret;

    if (!cmd)
        return AVERROR(ENOMEM);
    cmd->id = sp->id;
    participant_source_config(&vc, video);
    participant_source_config(&ac, audio);
    ret = source_rtp_alloc(&cmd->src, &vc, &ac, 48000, s->cfg.jitter_max_ms);
    if (ret < 0)
        goto fail;
    snprintf(cmd->src->name, sizeof(cmd->src->name), "%s", sp->name);
    cmd->src->is_phone = req->is_phone || !video->used;
    if (audio->used && audio->receives &&
        (ret = participant_return_audio(r, sp->id, audio, addr, &cmd->return_audio)) < 0)
        goto fail;
    ret = room_thread_post(r->thread, participant_cmd_add, cmd, participant_cmd_add_free);
    cmd = NULL;
    if (ret < 0)
        return ret;
    if (video->used && video->receives) {
        const struct profile_def *def = participant_video_profile(s, req->profile, video->codec);
        struct sink_rtp_config c;
        struct sink *sink = NULL;

        if (def) {
            participant_sink_config(&c, video, AVMEDIA_TYPE_VIDEO, addr);
            if (sink_rtp_alloc(&sink, &c) >= 0) {
                sink->id = s->next_output_id++;
                sp->video_sink_id = sink->id;
                snprintf(sp->profile, sizeof(sp->profile), "%s", def->name);
                server_room_attach_sink(r, def, sink);
            }
        }
    }
    snprintf(res->profile, sizeof(res->profile), "%s", sp->profile);
    return 0;
fail:
    participant_cmd_add_free(cmd);
    return ret;
}

static void participant_release(struct server_participant *sp)
{
    for (int i = 0; i < sp->endpoint_count; i++) {
        rtp_endpoint_stop(sp->endpoints[i]);
        rtp_endpoint_unref(&sp->endpoints[i]);
    }
    sp->endpoint_count = 0;
}

int participant_create(struct server *s, struct server_room *r, const struct participant_request *req,
                       struct participant_result *res, char *err, size_t err_size)
{
    const struct participant_prefs *prefs = req->prefs ? req->prefs : &participant_prefs_default;
    struct sdp_session *offer = NULL, *answer = NULL;
    struct participant_stream streams[SDP_MAX_MEDIA];
    struct participant_stream *audio = NULL, *video = NULL;
    struct server_participant *sp;
    int ret, first_error = 0;

    memset(streams, 0, sizeof(streams));
    if (r->participant_count >= SERVER_MAX_PARTICIPANTS) {
        snprintf(err, err_size, "room %s is full (%d participants)", r->id, SERVER_MAX_PARTICIPANTS);
        return AVERROR(ENOSPC);
    }
    if ((ret = sdp_session_alloc(&offer)) < 0 || (ret = sdp_session_alloc(&answer)) < 0)
        goto fail;
    ret = sdp_parse(offer, req->offer, req->offer_len, err, err_size);
    if (ret < 0)
        goto fail;
    for (int i = 0; i < offer->media_count; i++) {
        const struct sdp_media *m = &offer->media[i];
        int is_audio = !strcmp(m->type, "audio"), is_video = !strcmp(m->type, "video");
        int rtp = !strcmp(m->proto, "RTP/AVP") || !strcmp(m->proto, "RTP/SAVP");

        answer->media_count++;
        if (!rtp || m->port == 0 || (is_audio && audio) || (is_video && video) || (!is_audio && !is_video)) {
            participant_reject_media(m, &answer->media[i]);
            continue;
        }
        ret = participant_media(s, m, &answer->media[i], prefs, &streams[i], err, err_size);
        if (ret < 0) {
            if (!first_error)
                first_error = ret;
            participant_reject_media(m, &answer->media[i]);
            continue;
        }
        if (is_audio)
            audio = &streams[i];
        else
            video = &streams[i];
    }
    if (!audio && !video) {
        ret = first_error ? first_error : SDP_ERROR_NO_COMMON_CODEC;
        if (!first_error)
            snprintf(err, err_size, "no usable RTP audio or video m= line (RTP/AVP or RTP/SAVP)");
        goto fail;
    }
    sp = &r->participants[r->participant_count];
    memset(sp, 0, sizeof(*sp));
    sp->id = ++r->next_participant_id;
    snprintf(sp->name, sizeof(sp->name), "%s", req->name && *req->name ? req->name : "");
    if (!sp->name[0])
        snprintf(sp->name, sizeof(sp->name), "Participant %d", sp->id);
    {
        struct participant_stream none = { 0 };
        ret = participant_attach(s, r, sp, req, audio ? audio : &none, video ? video : &none, offer, res);
    }
    if (ret < 0) {
        snprintf(err, err_size, "cannot set the participant up: %s", av_err2str(ret));
        goto fail;
    }
    for (int i = 0; i < offer->media_count; i++)
        if (streams[i].ep) {
            sp->endpoints[sp->endpoint_count++] = streams[i].ep;
            streams[i].ep = NULL;
        }
    r->participant_count++;
    res->id = sp->id;
    snprintf(answer->origin_user, sizeof(answer->origin_user), "tessera");
    answer->session_id = (uint64_t)sp->id;
    answer->session_version = 1;
    snprintf(answer->origin_addr, sizeof(answer->origin_addr), "%s", s->cfg.rtp_address);
    snprintf(answer->name, sizeof(answer->name), "tessera %s", r->id);
    snprintf(answer->addr, sizeof(answer->addr), "%s", s->cfg.rtp_address);
    ret = sdp_write(answer, res->answer, sizeof(res->answer));
    if (ret < 0) {
        snprintf(err, err_size, "cannot write the answer: %s", av_err2str(ret));
        participant_delete(s, r, sp->id);
        goto fail;
    }
    ret = 0;
    log_info("room %s: %s joined (participant %d%s%s)", r->id, sp->name, sp->id,
             sp->profile[0] ? ", receives " : "", sp->profile);
fail:
    for (int i = 0; i < SDP_MAX_MEDIA; i++)
        if (streams[i].ep) {
            rtp_endpoint_stop(streams[i].ep);
            rtp_endpoint_unref(&streams[i].ep);
        }
    sdp_session_free(&offer);
    sdp_session_free(&answer);
    return ret;
}

struct participant_remove_cmd {
    int id, sink_id;
    char profile[32];
};

static void participant_cmd_remove(struct room *room, void *arg)
{
    struct participant_remove_cmd *c = arg;
    struct profile_out *p = c->profile[0] ? room_find_profile(room, c->profile) : NULL;

    if (p && c->sink_id)
        profile_out_remove_sink(p, c->sink_id);
    room_remove_source(room, c->id);
}

int participant_delete(struct server *s, struct server_room *r, int id)
{
    (void)s;
    for (int i = 0; i < r->participant_count; i++) {
        struct server_participant *sp = &r->participants[i];
        struct participant_remove_cmd *c;

        if (sp->id != id)
            continue;
        c = av_mallocz(sizeof(*c));
        if (c) {
            c->id = id;
            c->sink_id = sp->video_sink_id;
            snprintf(c->profile, sizeof(c->profile), "%s", sp->profile);
            room_thread_post(r->thread, participant_cmd_remove, c, av_free);
        }
        participant_release(sp);
        memmove(sp, sp + 1, (size_t)(r->participant_count - i - 1) * sizeof(*sp));
        r->participant_count--;
        return 0;
    }
    return AVERROR(ENOENT);
}

void participant_delete_all(struct server *s, struct server_room *r)
{
    (void)s;
    for (int i = 0; i < r->participant_count; i++)
        participant_release(&r->participants[i]);
    r->participant_count = 0;
}
