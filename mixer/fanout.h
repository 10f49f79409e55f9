/* RTP packetization shared by the receivers of one profile: each encoded packet is
 * cut into RTP payloads ONCE per payload variant (stream, codec, fmtp, MTU, in-band
 * parameter sets) and every RTP sink of the profile sends those payloads behind its
 * own RTP header. The payloads stay in a ring that is also the NACK history of all
 * the receivers (a receiver keeps only seq -> payload id). Media thread only. */
#ifndef TESSERA_FANOUT_H
#define TESSERA_FANOUT_H

#include <stddef.h>
#include <stdint.h>
#include <libavcodec/avcodec.h>

#define FANOUT_MTU 1400              /* largest payload (plain RTP receivers; WebRTC uses 1200) */
#define FANOUT_RING 1024             /* payloads kept (all variants together) */
#define FANOUT_MAX_VARIANTS 4        /* ways of cutting one packet kept at once */
/* Payloads of one encoded packet in one variant; more is refused. The ring holds
 * a packet in every variant, so no sink finds a current payload overwritten. */
#define FANOUT_MAX_PAYLOADS (FANOUT_RING / FANOUT_MAX_VARIANTS)

struct codec_desc;
struct fanout;

struct fanout_payload {
    uint64_t id;                     /* the ring slot is id % FANOUT_RING */
    uint16_t len;
    uint8_t marker;                  /* the codec's marker (end of a video frame) */
    uint8_t data[FANOUT_MTU];
};

/* What a receiver needs to find a payload again (its NACK history entry). */
struct fanout_ref {
    uint32_t tag;                    /* which fanout (ids of another one never match) */
    uint64_t id;
};

int fanout_alloc(struct fanout **out);
void fanout_free(struct fanout **p);

/* The profile is about to hand a new encoded packet of stream_index to its sinks:
 * payloads computed for the previous packet are no longer current. */
void fanout_begin_packet(struct fanout *f, int stream_index);

/* The payloads of pkt (the current packet, borrowed) for this variant, computed on
 * the first call of the packet and shared by later calls. parameter_sets (Annex B,
 * may be NULL) go before a keyframe's data. On success *first is the id of the
 * first payload and the return value their count (ids first .. first + count - 1,
 * read with fanout_get). Negative: the codec refused the packet, or it needs more
 * than FANOUT_MAX_PAYLOADS payloads (AVERROR(EMSGSIZE)). */
int fanout_payloads(struct fanout *f, const AVPacket *pkt, int stream_index, const struct codec_desc *codec,
                    const char *fmtp, size_t mtu, const uint8_t *parameter_sets, int parameter_sets_len,
                    struct fanout_ref *first);

/* The payload of ref, borrowed until the ring wraps over it; NULL when it is gone
 * or ref belongs to another fanout. */
const struct fanout_payload *fanout_get(const struct fanout *f, struct fanout_ref ref);

/* Bytes allocated (the ring, once a sink used it). */
size_t fanout_memory(const struct fanout *f);

#endif
