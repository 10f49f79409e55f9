/* RTP participants from SDP offers: negotiate each m= line, bind its endpoint,
 * build the room source, the video sink on a matching profile and the mix-minus
 * audio return, and write the answer. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libavutil/mem.h>
#include "codecs/codec.h"
#include "mixer/keybox.h"
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
#include "signal/participant_priv.h"
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

void participant_reject_media(const struct sdp_media *offer, struct sdp_media *answer)
{
    memset(answer, 0, sizeof(*answer));
    snprintf(answer->type, sizeof(answer->type), "%s", offer->type);
    snprintf(answer->proto, sizeof(answer->proto), "%s", offer->proto);
    snprintf(answer->mid, sizeof(answer->mid), "%s", offer->mid);
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

/* What the peer's m= line says of directions and where it receives. */
static void participant_stream_remote(struct participant_stream *st, const struct sdp_media *m)
{
    st->sends = m->direction == SDP_SENDRECV || m->direction == SDP_SENDONLY;
    st->receives = (m->direction == SDP_SENDRECV || m->direction == SDP_RECVONLY) &&
                   m->port > 0 && strcmp(m->addr, "0.0.0.0");
    /* RTCP (PLI, NACK, RR) goes back even to a participant that only sends. */
    if (m->port > 0 && strcmp(m->addr, "0.0.0.0") &&
        rtp_endpoint_set_remote(st->ep, m->addr, m->port, m->rtcp_port) < 0)
        st->receives = 0;
    st->used = 1;
}

int participant_choose_codec(const struct sdp_media *offer, struct sdp_media *answer,
                             const struct participant_prefs *prefs, struct participant_stream *st,
                             char *err, size_t err_size)
{
    int is_video = !strcmp(offer->type, "video");
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
    /* RFC 6464: the sender's own audio level in each packet, used for speaker
     * detection when offered. */
    for (int i = 0; !is_video && i < offer->extmap_count && answer->extmap_count < SDP_MAX_EXTMAP; i++) {
        if (strcmp(offer->extmap[i].uri, SDP_EXTMAP_AUDIO_LEVEL) || offer->extmap[i].id > 14)
            continue;
        answer->extmap[answer->extmap_count] = offer->extmap[i];
        answer->extmap[answer->extmap_count].direction = SDP_SENDRECV;
        answer->extmap_count++;
        st->audio_level_id = offer->extmap[i].id;
    }
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

    ret = participant_choose_codec(offer, answer, prefs, st, err, err_size);
    if (ret < 0)
        return ret;
    if (savp && (ret = participant_crypto(offer, answer, st)) < 0) {
        snprintf(err, err_size, "%s: RTP/SAVP without a usable a=crypto line", offer->type);
        return ret;
    }
    ret = rtp_endpoint_open(&st->ep, s->base, s->cfg.rtp_address, s->cfg.rtp_port_min,
                            s->cfg.rtp_port_max, &s->port_cursor, offer->rtcp_mux, is_video ? 512 : 256);
    if (ret < 0) {
        snprintf(err, err_size, "no free RTP port in %d-%d", s->cfg.rtp_port_min, s->cfg.rtp_port_max);
        return ret;
    }
    participant_stream_remote(st, offer);
    answer->port = rtp_endpoint_rtp_port(st->ep);
    snprintf(answer->addr, sizeof(answer->addr), "%s", s->cfg.rtp_address);
    return 0;
}

/* Late offer: the peer's answer m= line `remote` to our offered `ours` (same index),
 * on the endpoint bound for the offer (moved into st). The codec is the first of
 * the answer's formats that we offered under the same payload type. */
static int participant_media_answered(const struct sdp_media *remote, const struct sdp_media *ours,
                                      struct rtp_endpoint **ep, struct participant_stream *st,
                                      char *err, size_t err_size)
{
    st->dtmf_pt = -1;
    for (int i = 0; i < remote->format_count; i++) {
        const struct sdp_format *f = &remote->formats[i], *o = NULL;
        const struct codec_desc *d;

        for (int j = 0; j < ours->format_count && !o; j++)
            if (ours->formats[j].payload_type == f->payload_type)
                o = &ours->formats[j];
        if (!o || (f->encoding[0] && (strcasecmp(f->encoding, o->encoding) || f->clock_rate != o->clock_rate)))
            continue;
        if (!strcasecmp(o->encoding, "telephone-event")) {
            st->dtmf_pt = o->payload_type;
            continue;
        }
        d = codec_find_sdp(o->encoding, o->clock_rate);
        if (d && !st->codec) {
            st->codec = d;
            st->own_format = *o;
            if (f->encoding[0])
                snprintf(st->own_format.fmtp, sizeof(st->own_format.fmtp), "%s", f->fmtp);
            st->format = &st->own_format;
        }
    }
    if (!st->codec) {
        snprintf(err, err_size, "%s: the answer picks no codec of our offer", remote->type);
        return SDP_ERROR_NO_COMMON_CODEC;
    }
    st->ep = *ep;
    *ep = NULL;
    participant_stream_remote(st, remote);
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
    c->audio_level_ext_id = st->audio_level_id;
    c->endpoint = st->ep;
    c->srtp = st->srtp;
    c->suite = st->suite;
    memcpy(c->key_in, st->key_in, RTPSEC_MASTER_LEN);
    memcpy(c->key_out, st->key_out, RTPSEC_MASTER_LEN);
}

/* Builds the room-side objects and queues them to the room thread. */
static int participant_attach(struct server *s, struct server_room *r, struct server_participant *sp,
                              const struct participant_request *req, struct participant_stream *audio,
                              struct participant_stream *video, const char *addr,
                              struct participant_result *res)
{
    struct source_rtp_stream_config vc, ac;
    struct participant_add_cmd *cmd = av_mallocz(sizeof(*cmd));
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
    cmd->src->waiting = keybox_ref(req->waiting);
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
                sink->paused = req->waiting != NULL;
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
    /* The transport first: it stops using the endpoints before they go. */
    if (sp->transport_close)
        sp->transport_close(sp->transport);
    sp->transport_close = NULL;
    sp->transport = NULL;
    for (int i = 0; i < sp->endpoint_count; i++) {
        rtp_endpoint_stop(sp->endpoints[i]);
        rtp_endpoint_unref(&sp->endpoints[i]);
    }
    sp->endpoint_count = 0;
}

/* The peer's address for the sinks' names: session c=, else the first media's. */
static const char *participant_peer_addr(const struct sdp_session *peer)
{
    return peer->addr[0] ? peer->addr : peer->media[0].addr;
}

int participant_add(struct server *s, struct server_room *r, const struct participant_request *req,
                    struct participant_stream *streams, struct participant_stream *audio,
                    struct participant_stream *video, const char *addr,
                    struct participant_result *res, struct server_participant **out,
                    char *err, size_t err_size)
{
    struct participant_stream none = { 0 };
    struct server_participant *sp = &r->participants[r->participant_count];
    int ret;

    memset(sp, 0, sizeof(*sp));
    sp->id = ++r->next_participant_id;
    snprintf(sp->name, sizeof(sp->name), "%s", req->name && *req->name ? req->name : "");
    if (!sp->name[0])
        snprintf(sp->name, sizeof(sp->name), "Participant %d", sp->id);
    ret = participant_attach(s, r, sp, req, audio ? audio : &none, video ? video : &none, addr, res);
    if (ret < 0) {
        snprintf(err, err_size, "cannot set the participant up: %s", av_err2str(ret));
        return ret;
    }
    for (int i = 0; i < SDP_MAX_MEDIA; i++)
        if (streams[i].ep) {
            sp->endpoints[sp->endpoint_count++] = streams[i].ep;
            streams[i].ep = NULL;
        }
    sp->transport = req->transport;
    sp->transport_close = req->transport_close;
    r->participant_count++;
    res->id = sp->id;
    *out = sp;
    return 0;
}

void participant_streams_release(struct participant_stream *streams)
{
    for (int i = 0; i < SDP_MAX_MEDIA; i++)
        if (streams[i].ep) {
            rtp_endpoint_stop(streams[i].ep);
            rtp_endpoint_unref(&streams[i].ep);
        }
}

void participant_log_joined(const struct server_room *r, const struct server_participant *sp)
{
    log_info("room %s: %s joined (participant %d%s%s)", r->id, sp->name, sp->id,
             sp->profile[0] ? ", receives " : "", sp->profile);
}

int participant_room_full(const struct server_room *r, char *err, size_t err_size)
{
    if (r->participant_count < SERVER_MAX_PARTICIPANTS)
        return 0;
    snprintf(err, err_size, "room %s is full (%d participants)", r->id, SERVER_MAX_PARTICIPANTS);
    return AVERROR(ENOSPC);
}

void participant_answer_session(const struct server *s, const struct server_room *r, int id,
                                struct sdp_session *answer)
{
    snprintf(answer->origin_user, sizeof(answer->origin_user), "tessera");
    answer->session_id = (uint64_t)id;
    answer->session_version = 1;
    snprintf(answer->origin_addr, sizeof(answer->origin_addr), "%s", s->cfg.rtp_address);
    snprintf(answer->name, sizeof(answer->name), "tessera %s", r->id);
    snprintf(answer->addr, sizeof(answer->addr), "%s", s->cfg.rtp_address);
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
    if ((ret = participant_room_full(r, err, err_size)) < 0)
        return ret;
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
    ret = participant_add(s, r, req, streams, audio, video, participant_peer_addr(offer), res, &sp,
                          err, err_size);
    if (ret < 0)
        goto fail;
    participant_answer_session(s, r, sp->id, answer);
    ret = sdp_write(answer, res->answer, sizeof(res->answer));
    if (ret < 0) {
        snprintf(err, err_size, "cannot write the answer: %s", av_err2str(ret));
        participant_delete(s, r, sp->id);
        goto fail;
    }
    ret = 0;
    participant_log_joined(r, sp);
fail:
    participant_streams_release(streams);
    sdp_session_free(&offer);
    sdp_session_free(&answer);
    return ret;
}

/* ---- late offer: we offer, the peer answers ---- */

struct participant_pending {
    struct sdp_session *offer;                       /* ours */
    struct rtp_endpoint *endpoints[SDP_MAX_MEDIA];   /* one per m= line of the offer */
};

void participant_pending_free(struct participant_pending **p)
{
    struct participant_pending *pp = *p;

    if (!pp)
        return;
    for (int i = 0; i < SDP_MAX_MEDIA; i++)
        if (pp->endpoints[i]) {
            rtp_endpoint_stop(pp->endpoints[i]);
            rtp_endpoint_unref(&pp->endpoints[i]);
        }
    sdp_session_free(&pp->offer);
    av_free(pp);
    *p = NULL;
}

/* Appends one format to an m= line of our offer (ignored past SDP_MAX_FORMATS). */
static void participant_offer_format(struct sdp_media *m, const char *encoding, int clock, int channels,
                                     int pt, const char *fmtp)
{
    struct sdp_format *f;

    if (m->format_count >= SDP_MAX_FORMATS)
        return;
    f = &m->formats[m->format_count++];
    memset(f, 0, sizeof(*f));
    f->payload_type = pt;
    snprintf(f->encoding, sizeof(f->encoding), "%s", encoding);
    f->clock_rate = clock;
    f->channels = channels;
    snprintf(f->fmtp, sizeof(f->fmtp), "%s", fmtp ? fmtp : "");
}

/* An m= line offering every codec of a preference list that tessera can decode,
 * in that order (H.264 in packetization mode 1, then 0), plus telephone-event for
 * audio. Returns the number of codecs offered. */
static int participant_offer_codecs(struct sdp_media *m, const char *const *pref, int count, int is_video)
{
    int next_pt = 96, codecs = 0, has_8k = 0;

    for (int i = 0; i < count; i++) {
        char enc[32];
        const char *slash = strchr(pref[i], '/');
        int clock = slash ? atoi(slash + 1) : 0;
        const struct codec_desc *d;

        if (!slash || (size_t)(slash - pref[i]) >= sizeof(enc))
            continue;
        memcpy(enc, pref[i], (size_t)(slash - pref[i]));
        enc[slash - pref[i]] = '\0';
        d = codec_find_sdp(enc, clock);
        if (!d || (d->type == AVMEDIA_TYPE_VIDEO) != is_video)
            continue;
        if (d == &codec_h264) {
            participant_offer_format(m, enc, clock, 0, next_pt++, "profile-level-id=42e01f;packetization-mode=1");
            participant_offer_format(m, enc, clock, 0, next_pt++, "profile-level-id=42e01f;packetization-mode=0");
        } else {
            participant_offer_format(m, enc, clock, d == &codec_opus ? 2 : is_video ? 0 : 1,
                                     d->static_payload_type >= 0 ? d->static_payload_type : next_pt++,
                                     d->default_fmtp);
        }
        has_8k |= clock == 8000;
        codecs++;
    }
    if (codecs && !is_video && has_8k)
        participant_offer_format(m, "telephone-event", 8000, 1, 101, "0-16");
    return codecs;
}

int participant_offer(struct server *s, struct server_room *r, const struct participant_prefs *prefs,
                      struct participant_pending **out, char *offer, size_t offer_size,
                      char *err, size_t err_size)
{
    return participant_offer_media(s, r, prefs, 1, out, offer, offer_size, err, err_size);
}

int participant_offer_media(struct server *s, struct server_room *r, const struct participant_prefs *prefs,
                            int with_video, struct participant_pending **out, char *offer, size_t offer_size,
                            char *err, size_t err_size)
{
    struct participant_pending *pp = NULL;
    int ret;

    if (!prefs)
        prefs = &participant_prefs_default;
    if ((ret = participant_room_full(r, err, err_size)) < 0)
        return ret;
    pp = av_mallocz(sizeof(*pp));
    if (!pp || (ret = sdp_session_alloc(&pp->offer)) < 0) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    for (int v = 0; v < 1 + !!with_video; v++) {
        struct sdp_media *m = &pp->offer->media[pp->offer->media_count];
        int idx = pp->offer->media_count;

        snprintf(m->type, sizeof(m->type), "%s", v ? "video" : "audio");
        if (!participant_offer_codecs(m, v ? prefs->video : prefs->audio,
                                      v ? prefs->video_count : prefs->audio_count, v)) {
            memset(m, 0, sizeof(*m));
            continue;
        }
        ret = rtp_endpoint_open(&pp->endpoints[idx], s->base, s->cfg.rtp_address, s->cfg.rtp_port_min,
                                s->cfg.rtp_port_max, &s->port_cursor, 0, v ? 512 : 128);
        if (ret < 0) {
            snprintf(err, err_size, "no free RTP port in %d-%d", s->cfg.rtp_port_min, s->cfg.rtp_port_max);
            goto fail;
        }
        snprintf(m->proto, sizeof(m->proto), "RTP/AVP");
        m->port = rtp_endpoint_rtp_port(pp->endpoints[idx]);
        snprintf(m->addr, sizeof(m->addr), "%s", s->cfg.rtp_address);
        m->direction = SDP_SENDRECV;
        pp->offer->media_count++;
    }
    if (!pp->offer->media_count) {
        snprintf(err, err_size, "no codec to offer");
        ret = SDP_ERROR_NO_COMMON_CODEC;
        goto fail;
    }
    snprintf(pp->offer->origin_user, sizeof(pp->offer->origin_user), "tessera");
    pp->offer->session_id = (uint64_t)(r->next_participant_id + 1);
    pp->offer->session_version = 1;
    snprintf(pp->offer->origin_addr, sizeof(pp->offer->origin_addr), "%s", s->cfg.rtp_address);
    snprintf(pp->offer->name, sizeof(pp->offer->name), "tessera %s", r->id);
    snprintf(pp->offer->addr, sizeof(pp->offer->addr), "%s", s->cfg.rtp_address);
    ret = sdp_write(pp->offer, offer, offer_size);
    if (ret < 0) {
        snprintf(err, err_size, "cannot write the offer: %s", av_err2str(ret));
        goto fail;
    }
    *out = pp;
    return 0;
fail:
    participant_pending_free(&pp);
    return ret;
}

int participant_complete(struct server *s, struct server_room *r, struct participant_pending **pending,
                         const struct participant_request *req, struct participant_result *res,
                         char *err, size_t err_size)
{
    struct participant_pending *pp = *pending;
    struct sdp_session *answer = NULL;
    struct participant_stream streams[SDP_MAX_MEDIA];
    struct participant_stream *audio = NULL, *video = NULL;
    struct server_participant *sp;
    int ret, first_error = 0;

    *pending = NULL;
    memset(streams, 0, sizeof(streams));
    if ((ret = participant_room_full(r, err, err_size)) < 0 || (ret = sdp_session_alloc(&answer)) < 0)
        goto fail;
    ret = sdp_parse(answer, req->offer, req->offer_len, err, err_size);
    if (ret < 0)
        goto fail;
    if (answer->media_count != pp->offer->media_count) {
        snprintf(err, err_size, "the answer has %d m= lines, our offer %d", answer->media_count,
                 pp->offer->media_count);
        ret = AVERROR_INVALIDDATA;
        goto fail;
    }
    for (int i = 0; i < answer->media_count; i++) {
        const struct sdp_media *m = &answer->media[i], *o = &pp->offer->media[i];
        int is_audio = !strcmp(o->type, "audio");

        if (m->port == 0 || strcmp(m->type, o->type))
            continue;
        ret = participant_media_answered(m, o, &pp->endpoints[i], &streams[i], err, err_size);
        if (ret < 0) {
            if (!first_error)
                first_error = ret;
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
            snprintf(err, err_size, "the answer accepts no m= line of our offer");
        goto fail;
    }
    ret = participant_add(s, r, req, streams, audio, video, participant_peer_addr(answer), res, &sp,
                          err, err_size);
    if (ret < 0)
        goto fail;
    ret = sdp_write(pp->offer, res->answer, sizeof(res->answer));
    if (ret < 0) {
        snprintf(err, err_size, "cannot write the offer: %s", av_err2str(ret));
        participant_delete(s, r, sp->id);
        goto fail;
    }
    ret = 0;
    participant_log_joined(r, sp);
fail:
    participant_streams_release(streams);
    sdp_session_free(&answer);
    participant_pending_free(&pp);
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

struct participant_pause_cmd {
    int sink_id, paused;
    char profile[32];
};

static void participant_cmd_pause(struct room *room, void *arg)
{
    const struct participant_pause_cmd *c = arg;
    struct profile_out *p = room_find_profile(room, c->profile);

    if (p)
        profile_out_pause_sink(p, c->sink_id, c->paused);
}

int participant_pause_video(struct server *s, struct server_room *r, int id, int paused)
{
    (void)s;
    for (int i = 0; i < r->participant_count; i++) {
        const struct server_participant *sp = &r->participants[i];
        struct participant_pause_cmd *c;

        if (sp->id != id)
            continue;
        if (!sp->video_sink_id)
            return 0;
        if (!(c = av_mallocz(sizeof(*c))))
            return AVERROR(ENOMEM);
        c->sink_id = sp->video_sink_id;
        c->paused = paused;
        snprintf(c->profile, sizeof(c->profile), "%s", sp->profile);
        return room_thread_post(r->thread, participant_cmd_pause, c, av_free);
    }
    return AVERROR(ENOENT);
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
