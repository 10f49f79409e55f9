/* Jitter buffer for one RTP stream: reorders packets, detects loss and duplicates,
 * estimates interarrival jitter (RFC 3550 A.8) and releases packets after an
 * adaptive playout delay (bounded by a configurable cap). A packet that arrives
 * after its sequence number was released or declared lost is dropped and counted.
 * Knows no codec: frames are assembled by the depacketizer from what it releases.
 *
 * Playout: the stream's timeline is anchored on its fastest packet (the lowest
 * transit time, arrival minus RTP timestamp, over the last 2-4 s, so clock drift
 * and route changes are followed); a packet is due at arrival + delay - lateness,
 * its lateness (>= 0) being how far it arrived behind that timeline, capped at the
 * delay. So jittered packets of one timeline leave evenly, and none waits more than
 * delay after its arrival. A packet more than max(1 s, 2 * max_delay) behind the
 * timeline (a timestamp jump, a lasting delay step) re-anchors it.
 * Delay target: clamp(3 * jitter_ms + 10, min_delay_ms, max_delay_ms), updated on
 * every accepted packet; it applies to held packets too.
 * Loss: when the next seq is missing and the first held packet after it is due,
 * the missing ones are skipped (stats.lost) and that packet carries lost_before.
 * Overflow (a packet capacity or more ahead of the next to release): the OLDEST are
 * dropped (held ones count in stats.overflow, missing ones in stats.lost), the new
 * packet is kept, so latency stays bounded when the consumer falls behind.
 * Sequence jumps: a jump forward of more than capacity (sender restart, long outage)
 * resets the buffer at once (held packets count as overflow; stats.resets); a jump
 * backward of more than capacity resets only when the next packet follows it (the
 * first one is dropped as late), so a single stale packet cannot flush the buffer.
 * Not thread-safe: one owner (the stream's network/media hand-off). */
#ifndef TESSERA_JBUF_H
#define TESSERA_JBUF_H

#include <stddef.h>
#include <stdint.h>
#include "net/rtp.h"

struct jbuf_config {
    int clock_rate;              /* RTP clock rate of the stream */
    int min_delay_ms;            /* playout delay floor (e.g. 20) */
    int max_delay_ms;            /* cap (e.g. 200): packets later than this are lost */
    int capacity;                /* packets held at most (e.g. 512) */
};

/* A released packet: a copy owned by the buffer until the next jbuf call. */
struct jbuf_packet {
    struct rtp_header h;         /* extension pointers point into data */
    uint8_t *data;               /* the whole RTP packet */
    size_t len;
    const uint8_t *payload;
    size_t payload_len;
    uint64_t arrival_us;
    int lost_before;             /* seqs skipped just before this one (lost, dropped by
                                  * overflow; >= 1 after a sequence restart) */
};

struct jbuf_stats {
    uint64_t received, released, lost, late, duplicate, reordered, overflow;
    double jitter_ms;            /* interarrival jitter estimate */
    int delay_ms;                /* current target playout delay */
    uint16_t highest_seq;
    uint32_t cycles;             /* sequence number wrap count */
    uint64_t resets;             /* sequence restarts (jumps past the capacity) */
};

struct jbuf;

/* *out written on success only. AVERROR(EINVAL) unless clock_rate > 0,
 * 0 <= min_delay_ms <= max_delay_ms <= 60000, 1 <= capacity <= 32768. */
int jbuf_alloc(struct jbuf **out, const struct jbuf_config *cfg);
void jbuf_free(struct jbuf **p);

/* Inserts a parsed packet (copied; pkt and its buffer stay the caller's), arrived at
 * arrival_us (monotonic microseconds). pkt must have been parsed from raw (its
 * payload and extension pointers are re-pointed into the copy). Returns 0 when kept,
 * 1 when dropped and counted (late, duplicate), AVERROR(EINVAL) when pkt does not
 * point into raw, AVERROR(ENOMEM) on allocation failure. */
int jbuf_put(struct jbuf *jb, const struct rtp_packet *pkt, const uint8_t *raw, size_t raw_len,
             uint64_t arrival_us);

/* Releases the next packet in sequence order whose playout time (arrival of the
 * stream's timeline + delay) has come at now_us, skipping (and counting) missing
 * ones whose wait exceeded the delay. Returns 1 and sets *out (borrowed until the
 * next call), or 0 when nothing is due. */
int jbuf_pop(struct jbuf *jb, uint64_t now_us, const struct jbuf_packet **out);

/* Sequence numbers currently missing (candidates for a NACK), oldest first, at most
 * max. Returns their count. */
int jbuf_missing(const struct jbuf *jb, uint16_t *seqs, int max);

void jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st);

/* Forgets everything, statistics included (e.g. on SSRC change). */
void jbuf_reset(struct jbuf *jb);

#endif
