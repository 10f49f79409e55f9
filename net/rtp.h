/* RTP packets (RFC 3550): parse and build headers, header extensions (RFC 8285
 * one-byte and two-byte forms), the audio level extension (RFC 6464), and the
 * RTP/RTCP demultiplexing rule of rtcp-mux (RFC 5761). Knows no codec. */
#ifndef TESSERA_RTP_H
#define TESSERA_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_MIN 12
#define RTP_MAX_CSRC 15
#define RTP_EXT_PROFILE_ONE_BYTE 0xBEDE  /* RFC 8285 4.2 */
#define RTP_EXT_PROFILE_TWO_BYTE 0x1000  /* RFC 8285 4.3: 0x100X, X = appbits */

struct rtp_header {
    int marker;
    int payload_type;            /* 0..127 */
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    int csrc_count;
    uint32_t csrc[RTP_MAX_CSRC];
    /* Header extension block (when present): profile word and its data, borrowed. */
    int has_extension;
    uint16_t ext_profile;        /* 0xBEDE one-byte, 0x1000-0x100F two-byte */
    const uint8_t *ext_data;
    size_t ext_len;              /* bytes, a multiple of 4 */
};

struct rtp_packet {
    struct rtp_header h;
    const uint8_t *payload;      /* borrowed from the parsed buffer */
    size_t payload_len;          /* padding removed */
};

/* Parses buf (borrowed; the packet points into it). Returns 0, or AVERROR_INVALIDDATA
 * style negative codes for: too short, version != 2, CSRC/extension/padding past the
 * end, padding larger than the payload. */
int rtp_parse(struct rtp_packet *out, const uint8_t *buf, size_t len);

/* Writes the fixed header, CSRCs and extension block of h into buf (never the
 * padding bit; h->ext_data may lie inside buf). Returns the header length, or a
 * negative code if cap is too small (ENOSPC) or h is invalid (EINVAL). */
int rtp_write_header(uint8_t *buf, size_t cap, const struct rtp_header *h);

/* Finds extension element `id` (RFC 8285) in h. Returns 1 and sets data/len when
 * found (borrowed from h's buffer), 0 when absent (or the block is of another
 * profile), negative when the block is malformed. */
int rtp_find_extension(const struct rtp_header *h, int id, const uint8_t **data, size_t *len);

/* Builds a one-byte-form extension block holding one element (id 1..14, len 1..16),
 * zero-padded to 32 bits. buf receives the block's data only: set h.has_extension,
 * h.ext_profile = RTP_EXT_PROFILE_ONE_BYTE, h.ext_data = buf, h.ext_len = the return
 * value, and rtp_write_header writes the profile word. Returns the block length
 * (multiple of 4) written to buf, or a negative code. */
int rtp_build_extension(uint8_t *buf, size_t cap, int id, const uint8_t *data, size_t len);

/* RFC 6464: level in -dBov (0 loudest .. 127 silence) and the voice flag. */
int rtp_parse_audio_level(const uint8_t *data, size_t len, int *level, int *voice);

/* rtcp-mux demultiplexing: 1 when the second byte marks an RTCP packet
 * (packet types 192-223), 0 for RTP. */
int rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Sequence number arithmetic with wrap-around: a - b as a signed distance. */
int rtp_seq_diff(uint16_t a, uint16_t b);

#endif
