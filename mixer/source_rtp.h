/* A live participant's media received over RTP/SRTP: the room thread drains the
 * endpoint's queue, authenticates (SRTP), orders packets in a jitter buffer,
 * reassembles frames, decodes them and keeps the latest picture and a short audio
 * FIFO, as every source does. Sends PLI (rate-limited) when a keyframe is needed. */
#ifndef TESSERA_SOURCE_RTP_H
#define TESSERA_SOURCE_RTP_H

#include <stdint.h>
#include "net/rtpsec.h"

struct codec_desc;
struct rtp_endpoint;
struct source;

struct source_rtp_stream_config {
    const struct codec_desc *codec;      /* NULL: the participant does not send this */
    int payload_type;
    int clock_rate;
    int dtmf_payload_type;               /* telephone-event, -1 if none */
    int audio_level_ext_id;              /* RFC 6464 one-byte extension id, 0 if none */
    struct rtp_endpoint *endpoint;       /* borrowed: the source takes its own reference */
    int srtp;                            /* SDES keys given */
    enum rtpsec_suite suite;
    uint8_t key_in[RTPSEC_MASTER_LEN];   /* the participant's key (what it sends) */
    uint8_t key_out[RTPSEC_MASTER_LEN];  /* ours (the RTCP we send it) */
};

struct source_rtp_stats {
    uint64_t packets, bytes, srtp_failures, malformed, wrong_payload_type, wrong_ssrc;
    uint64_t lost, late, plis_sent, nacks_sent, frames_broken, dtmf_events;
    uint64_t queue_drops;                /* datagrams the receive queue had no room for */
    uint64_t audio_levels;               /* RFC 6464 levels read */
    double jitter_ms;
};

/* *out written on success only. jitter_max_ms caps the jitter buffer's delay. */
int source_rtp_alloc(struct source **out, const struct source_rtp_stream_config *video,
                     const struct source_rtp_stream_config *audio, int mix_rate, int jitter_max_ms);

/* Counters of a source made by source_rtp_alloc (zeroes for other sources). */
void source_rtp_get_stats(const struct source *s, struct source_rtp_stats *video,
                          struct source_rtp_stats *audio);

/* 1 when the source is an RTP source. */
int source_is_rtp(const struct source *s);

#endif
