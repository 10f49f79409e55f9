/* RTP/SRTP receivers of a room's profile, described by their own SDP. */
#ifndef TESSERA_OUTPUT_RTP_H
#define TESSERA_OUTPUT_RTP_H

#include <stddef.h>

struct profile_def;
struct server;
struct server_output;
struct server_room;

/* Binds an endpoint per receiver m= line, attaches one RTP sink per stream to the
 * profile (sent with the receiver's payload types, encrypted with the SDES key in
 * its SDP) and writes tessera's side as SDP. Fills o's endpoints and sink ids.
 * Errors: a message in err (malformed SDP, codec mismatch with the profile). */
int output_rtp_create(struct server *s, struct server_room *r, const struct profile_def *def,
                      const char *sdp, struct server_output *o, char *answer, size_t answer_size,
                      char *err, size_t err_size);

/* Closes the output's transport (WHEP), then stops and drops its endpoints (its
 * sinks are removed by the caller). */
void output_rtp_release(struct server_output *o);

#endif
