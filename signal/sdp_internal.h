/* sdp_internal: the parser state and token helpers shared by sdp_parse.c and sdp_attr.c. */
#ifndef TESSERA_SDP_INTERNAL_H
#define TESSERA_SDP_INTERNAL_H

#include "signal/sdp.h"

struct sdp_parser {
    struct sdp_session *s;
    struct sdp_media *m;             /* current m= section; NULL at session level */
    int line;                        /* 1-based, for messages */
    const char *what;                /* the line being parsed, e.g. "a=rtpmap" */
    char what_buf[40];
    char *err;
    size_t err_size;
    int session_direction_set;
    enum sdp_direction session_direction;
    int session_end_of_candidates;
    int media_direction_set[SDP_MAX_MEDIA];
};

/* Writes "line N: <what>: <message>" to the error buffer; returns AVERROR_INVALIDDATA. */
int sdp_fail(struct sdp_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the next space-separated token at *cur into out (size bytes with the NUL).
 * Returns 0, or fails naming `name` when it is missing or too long. */
int sdp_get_token(struct sdp_parser *p, const char **cur, char *out, size_t size, const char *name);

/* Reads the next token as a decimal number in [min, max]. */
int sdp_get_uint(struct sdp_parser *p, const char **cur, uint64_t min, uint64_t max,
                 uint64_t *out, const char *name);

/* Parses all of tok as a decimal number <= max. Returns 0 or -1. */
int sdp_parse_uint(const char *tok, uint64_t max, uint64_t *out);

/* Skips spaces and tabs. */
const char *sdp_skip_space(const char *s);

/* Copies text into a field of size bytes; fails naming `name` when it does not fit. */
int sdp_copy_field(struct sdp_parser *p, char *field, size_t size, const char *text, const char *name);

/* 1 when s is a plausible address or host name: [0-9A-Za-z.:-_], 1..63 characters. */
int sdp_valid_addr(const char *s);

/* a= lines. `value` is what follows the colon (or NULL for a flag attribute). */
int sdp_attr_session(struct sdp_parser *p, const char *name, const char *value);
int sdp_attr_media(struct sdp_parser *p, const char *name, const char *value);

/* Parses a direction attribute name; returns 0 or -1. */
int sdp_direction_from_name(const char *name, enum sdp_direction *out);

#endif
