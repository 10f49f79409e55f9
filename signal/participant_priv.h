/* The building blocks of participant.c that other ways in (WHIP) assemble
 * differently: codec choice per m= line, the participant's entry in the room and
 * its room-side objects. Loop thread, like participant.h. */
#ifndef TESSERA_PARTICIPANT_PRIV_H
#define TESSERA_PARTICIPANT_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include "net/rtpsec.h"
#include "signal/participant.h"
#include "signal/sdp.h"

struct codec_desc;
struct rtp_endpoint;

/* What one negotiated m= line gives. */
struct participant_stream {
    int used;
    const struct codec_desc *codec;
    const struct sdp_format *format;     /* in the answer (or own_format) */
    struct sdp_format own_format;        /* late offer: our format with the peer's fmtp */
    int dtmf_pt;
    int audio_level_id;                  /* RFC 6464 extension id agreed, 0: none */
    int receives, sends;                 /* from the participant's point of view */
    struct rtp_endpoint *ep;             /* one reference per stream */
    int srtp;                            /* SDES keys below (0: clear, or the transport's own SRTP) */
    enum rtpsec_suite suite;
    uint8_t key_in[RTPSEC_MASTER_LEN], key_out[RTPSEC_MASTER_LEN];
};

/* Answers one offered m= line (sdp_answer_media with prefs) and picks the codec
 * tessera decodes (st->codec, st->format in answer, st->dtmf_pt). Returns 0 or
 * SDP_ERROR_NO_COMMON_CODEC (or sdp_answer_media's error) with a message in err. */
int participant_choose_codec(const struct sdp_media *offer, struct sdp_media *answer,
                             const struct participant_prefs *prefs, struct participant_stream *st,
                             char *err, size_t err_size);

/* Answers an m= line we do not take: port 0, inactive, its type, proto, mid and
 * first format. */
void participant_reject_media(const struct sdp_media *offer, struct sdp_media *answer);

/* AVERROR(ENOSPC) with a message when the room has no room for one more. */
int participant_room_full(const struct server_room *r, char *err, size_t err_size);

/* Adds the participant of the negotiated streams to the room: their endpoint
 * references (streams[0..SDP_MAX_MEDIA-1]) and req->transport move into it on
 * success. Returns 0 with the new participant in *out (borrowed: valid until the
 * room's list changes), or a negative code with a message in err. */
int participant_add(struct server *s, struct server_room *r, const struct participant_request *req,
                    struct participant_stream *streams, struct participant_stream *audio,
                    struct participant_stream *video, const char *addr,
                    struct participant_result *res, struct server_participant **out,
                    char *err, size_t err_size);

/* Drops the endpoint references still held by streams[0..SDP_MAX_MEDIA-1]. */
void participant_streams_release(struct participant_stream *streams);

/* o=, s= and c= of our answer to participant id. */
void participant_answer_session(const struct server *s, const struct server_room *r, int id,
                                struct sdp_session *answer);

void participant_log_joined(const struct server_room *r, const struct server_participant *sp);

#endif
