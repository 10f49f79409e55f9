/* Trickle ICE SDP fragments (RFC 8840, application/trickle-ice-sdpfrag), as WHIP
 * and WHEP PATCH requests carry them (RFC 9725 §4.3): the ICE credentials, the
 * candidates and end-of-candidates of one bundled transport. */
#ifndef TESSERA_SDPFRAG_H
#define TESSERA_SDPFRAG_H

#include <stddef.h>
#include "signal/sdp.h"

#define SDPFRAG_MAX_SIZE 16384           /* a larger fragment is refused */

struct sdpfrag {
    char ice_ufrag[64], ice_pwd[128];    /* "" when the fragment has none */
    char media[160];                     /* the first m= line's value ("audio 9 UDP/TLS/RTP/SAVPF 111"), or "" */
    char mid[32];                        /* its a=mid, or "" */
    struct sdp_candidate candidates[SDP_MAX_CANDIDATES];   /* of every m= section; more are ignored */
    int candidate_count;
    int end_of_candidates;
};

/* Parses text (len bytes, borrowed) into *out (overwritten, also on failure):
 * a= lines at session level, m= lines and their a= lines; credentials may stand
 * at either level. A malformed line, credentials that differ between sections,
 * an a=ice-pwd without a=ice-ufrag, a fragment with nothing of the above or over
 * SDPFRAG_MAX_SIZE give AVERROR_INVALIDDATA and a message in err (may be NULL).
 * Candidates outside an m= section are ignored. Returns 0 or a negative code. */
int sdpfrag_parse(struct sdpfrag *out, const char *text, size_t len, char *err, size_t err_size);

/* Writes f as an sdpfrag with CRLF line ends and a NUL: a=ice-ufrag, a=ice-pwd,
 * then, under f->media and f->mid when set, the candidates and
 * a=end-of-candidates. Returns the length, AVERROR(ENOSPC) when it does not fit,
 * or AVERROR(EINVAL) when a field would break the syntax. */
int sdpfrag_write(const struct sdpfrag *f, char *buf, size_t size);

#endif
