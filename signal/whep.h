/* WHEP egress (draft-ietf-wish-whep): a browser views a room's profile.
 * POST /whep/{room}?profile=NAME (default low) with a recvonly SDP offer answers
 * 201 with a Location /whep/{room}/{id} and our sendonly answer; DELETE on the
 * Location stops. The viewer is an output of the room (listed with the others):
 * one video and one audio RTP sink on the profile's shared encoders, both on one
 * bundled WebRTC transport (ICE + DTLS-SRTP, net/webrtc.h). Its PLI asks the
 * profile for a keyframe; its NACKs are answered from the video sink's history.
 * Its video moves down the profile ladder on a lossy link and back up when it
 * recovers (mixer/sink_adapt.h; ?adaptive=0 keeps it on its profile).
 * A viewer whose transport fails, closes or stays silent is removed. */
#ifndef TESSERA_WHEP_H
#define TESSERA_WHEP_H

#endif
