/* An RTP/SRTP receiver of one stream (video or audio) of a profile: packetizes the
 * profile's shared encoder output, encrypts it for this receiver and sends it;
 * keeps a short send history to answer NACKs; reads the receiver's RTCP for
 * PLI/FIR (a keyframe from the profile's encoder, rate-limited there); sends SR. */
#ifndef TESSERA_SINK_RTP_H
#define TESSERA_SINK_RTP_H

#include <stdint.h>
#include <libavutil/avutil.h>
#include <libavcodec/avcodec.h>
#include "net/rtpsec.h"

struct codec_desc;
struct rtp_endpoint;
struct sink;

struct sink_rtp_config {
    struct rtp_endpoint *endpoint;       /* borrowed; the sink takes a reference */
    enum AVMediaType type;               /* which encoder of the profile it sends */
    const struct codec_desc *codec;
    int payload_type;
    uint32_t ssrc;                       /* 0: a random one */
    int clock_rate;
    char fmtp[512];                      /* negotiated (H.264 packetization-mode) */
    int srtp;
    enum rtpsec_suite suite;
    uint8_t key_out[RTPSEC_MASTER_LEN];  /* ours */
    uint8_t key_in[RTPSEC_MASTER_LEN];   /* the receiver's (its RTCP) */
    char url[256];                       /* for logs and stats, e.g. "rtp://127.0.0.1:40000" */
    int mtu;                             /* largest RTP payload; 0: 1200 (WebRTC-safe), at most 1400 */
};

struct sink_rtp_stats {
    uint64_t packets, bytes, nacks_received, retransmitted, plis_received, rtcp_failures, srtp_failures;
};

int sink_rtp_alloc(struct sink **out, const struct sink_rtp_config *cfg);
void sink_rtp_get_stats(const struct sink *s, struct sink_rtp_stats *st);

/* Called with every RTCP compound the sink reads (info borrowed), on the thread
 * that polls or writes the sink; opaque must outlive the sink. */
struct rtcp_info;
typedef void (*sink_rtp_rtcp_fn)(void *opaque, const struct rtcp_info *info);
void sink_rtp_set_rtcp_observer(struct sink *s, sink_rtp_rtcp_fn fn, void *opaque);

/* Re-opens the sink on another profile's encoders (borrowed) from its next packet,
 * keeping SSRC, sequence numbers and the RTP clock: the next frame's timestamp is
 * moved just past the last one sent if it would not advance. For a switch at a
 * keyframe (mixer/sink_adapt.c). */
int sink_rtp_reopen(struct sink *s, AVCodecContext *const *encoders, int count);

/* The sink has just been (re)opened on another encoder of the same codec: its
 * next packet continues the RTP clock from the last one sent (timestamp + that
 * packet's duration), whatever the new encoder's own clock says. No-op for a
 * sink that is not an RTP sink. */
void sink_rtp_continue(struct sink *s);

#endif
