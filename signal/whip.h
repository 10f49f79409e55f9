/* WHIP ingest (RFC 9725): a browser publishes its camera and microphone into a
 * room. POST /whip/{room}?name=NAME with an SDP offer answers 201 with a Location
 * /whip/{room}/{id}, an ETag and our SDP answer; PATCH on the Location trickles
 * ICE candidates or restarts ICE (signal/whip_trickle.c); DELETE leaves. The media
 * arrives over ICE + DTLS-SRTP (net/webrtc.h) into a room source, like an RTP
 * participant's. A peer whose ICE or DTLS fails, that closes DTLS, or that stays
 * silent for ice_timeout_s is removed (its tile goes, the layout reflows). */
#ifndef TESSERA_WHIP_H
#define TESSERA_WHIP_H

struct server;

/* Loop thread, at start-up: the DTLS certificate and the ICE thread. Returns 0
 * or a negative code (logged). */
int whip_start(struct server *s);

/* Loop thread, at shutdown, once other threads no longer wait on loop calls
 * (loop_call_close): closes every WebRTC transport, stops the ICE thread and
 * frees the certificate. The participants stay until their rooms go. */
void whip_stop(struct server *s);

#endif
