/* RTP/SRTP receivers attached to a profile, described by the receiver's own SDP
 * (what it listens on: address, ports, payload types, and the SDES key it will
 * decrypt with). tessera sends the profile's shared encoder output to it and
 * answers with an SDP saying where the media comes from. Loop thread. */
#include <string.h>
#include <libavutil/mem.h>
#include "codecs/codec.h"
#include "mixer/profile.h"
#include "mixer/sink.h"
#include "mixer/sink_rtp.h"
#include "net/rtp_endpoint.h"
#include "signal/output_rtp.h"
#include "signal/sdp.h"
#include "signal/server.h"

/* The receiver's format for the profile's codec of this media type. */
static const struct sdp_format *output_rtp_format(const struct sdp_media *m, const struct codec_desc *codec)
{
    for (int i = 0; i < m->format_count; i++) {
        const struct codec_desc *d = codec_find_sdp(m->formats[i].encoding, m->formats[i].clock_rate);
        if (d == codec)
            return &m->formats[i];
    }
    return NULL;
}

static int output_rtp_media(struct server *s, struct server_room *r, const struct profile_def *def,
                            const struct sdp_media *m, struct server_output *o, struct sdp_media *answer,
                            char *err, size_t err_size)
{
    int is_video = !strcmp(m->type, "video");
    const struct codec_desc *codec = codec_find(is_video ? def->video_codec : def->audio_codec);
    const struct sdp_format *fmt = codec ? output_rtp_format(m, codec) : NULL;
    struct sink_rtp_config c = { 0 };
    struct rtp_endpoint *ep = NULL;
    struct sink *sink = NULL;
    int ret;

    if (!fmt) {
        snprintf(err, err_size, "%s: the receiver does not take %s, the codec of profile %s",
                 m->type, codec ? codec->sdp_name : "(none)", def->name);
        return SDP_ERROR_NO_COMMON_CODEC;
    }
    if (!strcmp(m->proto, "RTP/SAVP")) {
        struct sdp_crypto chosen;
        if (sdp_pick_crypto(m, &chosen) < 0 || rtpsec_suite_from_name(chosen.suite, &c.suite) < 0 ||
            rtpsec_key_from_inline(chosen.key_params, c.key_out) < 0) {
            snprintf(err, err_size, "%s: RTP/SAVP without a usable a=crypto line", m->type);
            return SDP_ERROR_NO_CRYPTO;
        }
        memcpy(c.key_in, c.key_out, RTPSEC_MASTER_LEN);
        c.srtp = 1;
        answer->crypto[0] = chosen;
        answer->crypto_count = 1;
    }
    ret = rtp_endpoint_open(&ep, s->base, s->cfg.rtp_address, s->cfg.rtp_port_min, s->cfg.rtp_port_max,
                            &s->port_cursor, m->rtcp_mux, 16);
    if (ret < 0) {
        snprintf(err, err_size, "no free RTP port");
        return ret;
    }
    ret = rtp_endpoint_set_remote(ep, m->addr, m->port, m->rtcp_port);
    if (ret < 0) {
        snprintf(err, err_size, "%s: bad receiver address %s port %d", m->type, m->addr, m->port);
        goto fail;
    }
    /* Send-only RTP socket (RTCP comes back on the other one): a connected socket
     * skips the route lookup per datagram. */
    if (!m->rtcp_mux)
        rtp_endpoint_connect_rtp(ep);
    c.endpoint = ep;
    c.type = is_video ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO;
    c.codec = codec;
    c.payload_type = fmt->payload_type;
    c.clock_rate = fmt->clock_rate;
    /* A plain RTP receiver (a LAN, an ffmpeg, a gateway): 1400-byte payloads fit
     * Ethernet with room for SRTP, and most `low` frames then take one packet. */
    c.mtu = 1400;
    snprintf(c.fmtp, sizeof(c.fmtp), "%s", fmt->fmtp);
    snprintf(c.url, sizeof(c.url), "%s://%s:%d", c.srtp ? "srtp" : "rtp", m->addr, m->port);
    ret = sink_rtp_alloc(&sink, &c);
    if (ret < 0)
        goto fail;
    sink->id = s->next_output_id++;
    o->sink_ids[o->endpoint_count] = sink->id;
    o->endpoints[o->endpoint_count++] = ep;
    snprintf(answer->type, sizeof(answer->type), "%s", m->type);
    snprintf(answer->proto, sizeof(answer->proto), "%s", m->proto);
    snprintf(answer->addr, sizeof(answer->addr), "%s", s->cfg.rtp_address);
    answer->port = rtp_endpoint_rtp_port(ep);
    answer->rtcp_mux = m->rtcp_mux;
    answer->direction = SDP_SENDONLY;
    answer->formats[0] = *fmt;
    answer->format_count = 1;
    return server_room_attach_sink(r, def, sink);
fail:
    rtp_endpoint_stop(ep);
    rtp_endpoint_unref(&ep);
    return ret;
}

int output_rtp_create(struct server *s, struct server_room *r, const struct profile_def *def,
                      const char *sdp, struct server_output *o, char *answer_text, size_t answer_size,
                      char *err, size_t err_size)
{
    struct sdp_session *offer = NULL, *answer = NULL;
    int ret;

    if ((ret = sdp_session_alloc(&offer)) < 0 || (ret = sdp_session_alloc(&answer)) < 0)
        goto fail;
    ret = sdp_parse(offer, sdp, strlen(sdp), err, err_size);
    if (ret < 0)
        goto fail;
    for (int i = 0; i < offer->media_count && o->endpoint_count < 2; i++) {
        const struct sdp_media *m = &offer->media[i];
        int wanted = (!strcmp(m->type, "video") && def->video_codec[0]) ||
                     (!strcmp(m->type, "audio") && def->audio_codec[0]);
        if (!wanted || m->port == 0 || (strcmp(m->proto, "RTP/AVP") && strcmp(m->proto, "RTP/SAVP")))
            continue;
        ret = output_rtp_media(s, r, def, m, o, &answer->media[answer->media_count], err, err_size);
        if (ret < 0)
            goto fail;
        answer->media_count++;
    }
    if (!o->endpoint_count) {
        snprintf(err, err_size, "the receiver's SDP has no RTP audio or video m= line for profile %s", def->name);
        ret = SDP_ERROR_NO_COMMON_CODEC;
        goto fail;
    }
    snprintf(o->url, sizeof(o->url), "rtp://%s:%d", offer->media[0].addr, offer->media[0].port);
    snprintf(answer->origin_user, sizeof(answer->origin_user), "tessera");
    answer->session_id = (uint64_t)o->id;
    answer->session_version = 1;
    snprintf(answer->origin_addr, sizeof(answer->origin_addr), "%s", s->cfg.rtp_address);
    snprintf(answer->name, sizeof(answer->name), "tessera %s %s", r->id, def->name);
    ret = sdp_write(answer, answer_text, answer_size);
    if (ret >= 0)
        ret = 0;
fail:
    if (ret < 0)
        output_rtp_release(o);
    sdp_session_free(&offer);
    sdp_session_free(&answer);
    return ret;
}

void output_rtp_release(struct server_output *o)
{
    /* The transport first: it stops using the endpoint before it goes. */
    if (o->transport_close)
        o->transport_close(o->transport);
    o->transport_close = NULL;
    o->transport = NULL;
    for (int i = 0; i < o->endpoint_count; i++) {
        rtp_endpoint_stop(o->endpoints[i]);
        rtp_endpoint_unref(&o->endpoints[i]);
    }
    o->endpoint_count = 0;
}
