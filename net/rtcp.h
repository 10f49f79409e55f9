/* RTCP (RFC 3550, RFC 4585, RFC 5104): parse compound packets (SR, RR, SDES, BYE,
 * generic NACK, PLI, FIR, REMB) and build the ones tessera sends. Knows no codec. */
#ifndef TESSERA_RTCP_H
#define TESSERA_RTCP_H

#include <stddef.h>
#include <stdint.h>

#define RTCP_MAX_REPORTS 31
#define RTCP_MAX_NACKS 256

struct rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;       /* out of 256 */
    int32_t cumulative_lost;     /* 24-bit signed */
    uint32_t highest_seq;        /* extended */
    uint32_t jitter;             /* timestamp units */
    uint32_t lsr, dlsr;
};

struct rtcp_sender_info {
    uint32_t ssrc;
    uint32_t ntp_sec, ntp_frac;
    uint32_t rtp_timestamp;
    uint32_t packet_count, octet_count;
};

/* Everything found in one compound packet. */
struct rtcp_info {
    int has_sr;
    struct rtcp_sender_info sr;
    uint32_t reporter_ssrc;      /* of the SR or RR */
    int report_count;
    struct rtcp_report_block reports[RTCP_MAX_REPORTS];
    char cname[256];             /* first SDES CNAME, "" if none */
    int bye;
    int pli;                     /* a PLI was present */
    uint32_t pli_media_ssrc;
    int fir;
    uint32_t fir_media_ssrc;
    uint8_t fir_seq;
    int nack_count;              /* lost sequence numbers requested */
    uint32_t nack_media_ssrc;
    uint16_t nacks[RTCP_MAX_NACKS];
    int has_remb;
    uint64_t remb_bitrate;       /* bits per second */
};

/* Parses a compound RTCP packet (borrowed). Unknown packet types are skipped.
 * Returns 0, or a negative code when the compound is malformed (bad version,
 * a length running past the end, truncated blocks): nothing is trusted then, and
 * *out is left untouched. sr is the first SR's; reporter_ssrc the first SR's or
 * RR's; report blocks of every SR/RR are appended (capped); NACKs of every generic
 * NACK are expanded and appended (capped), nack_media_ssrc is the first one's; the
 * FIR is its first FCI entry. Feedback types other than these are skipped. */
int rtcp_parse(struct rtcp_info *out, const uint8_t *buf, size_t len);

/* Builders write into buf and return the length, or a negative code if cap is
 * too small (AVERROR(ENOSPC)) or an argument is invalid (AVERROR(EINVAL): more than
 * RTCP_MAX_REPORTS blocks, a CNAME over 255 bytes, no NACK). NTP time is given as
 * sender_info's ntp_sec/ntp_frac (split rtcp_ntp_from_unix_us's value). A
 * cumulative_lost outside 24 bits is clamped. The FIR carries media_ssrc in its FCI. */
int rtcp_build_sr(uint8_t *buf, size_t cap, const struct rtcp_sender_info *sr,
                  const struct rtcp_report_block *reports, int report_count);
int rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                  const struct rtcp_report_block *reports, int report_count);
int rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);
int rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
int rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                   uint8_t seq);
/* Generic NACK (RFC 4585 6.2.1) with PID/BLP pairs covering seqs (a seq joins the
 * open pair when 1..16 after its PID: seqs in increasing order, as jbuf_missing
 * gives them, pack into the fewest pairs). */
int rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                    const uint16_t *seqs, int count);

/* NTP time (seconds since 1900, 32.32 fixed point) of a Unix time in microseconds. */
uint64_t rtcp_ntp_from_unix_us(uint64_t unix_us);

#endif
