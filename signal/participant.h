/* RTP participants of a live room, created from an SDP offer (RTP/AVP, or RTP/SAVP
 * with SDES a=crypto) by the HTTP API and, later, by SIP and WHIP. Each m= line gets
 * an RTP endpoint; what the participant sends becomes a room source; what it
 * receives is the room's video profile that matches its codecs and its own
 * mix-minus audio (everyone but itself). All functions run on the loop thread. */
#ifndef TESSERA_PARTICIPANT_H
#define TESSERA_PARTICIPANT_H

#include <stddef.h>
#include "signal/server.h"

struct keybox;

/* Codec preferences, best first, "ENCODING/CLOCK" (see sdp_answer_media). */
struct participant_prefs {
    const char *const *audio;
    int audio_count;
    const char *const *video;
    int video_count;
};

/* The default preference (WebRTC/ffmpeg-first: Opus, G.722, PCMU, PCMA; H.264, VP8,
 * H.263+) and the legacy-first one for SIP (G.722, PCMU, PCMA, Opus; H.264, H.263+). */
extern const struct participant_prefs participant_prefs_default;
extern const struct participant_prefs participant_prefs_legacy;

struct participant_request {
    const char *offer;           /* SDP text */
    size_t offer_len;
    const char *name;            /* display name, may be NULL */
    const char *profile;         /* preferred video profile to receive, may be NULL */
    const struct participant_prefs *prefs;   /* NULL: participant_prefs_default */
    int is_phone;                /* show a phone glyph while it has no video */
    struct keybox *waiting;      /* set: joins waiting for admission, its keys go
                                  * there (a reference is taken); see source.h */
    /* What carries its endpoints when not plain UDP (WebRTC), closed when it
     * leaves; NULL otherwise. */
    void *transport;
    server_transport_close_fn transport_close;
};

struct participant_result {
    int id;                      /* participant id in the room */
    char profile[32];            /* video profile it receives, "" when none */
    char answer[8192];           /* our SDP answer */
};

/* Returns 0, or a negative code with a message in err: malformed SDP and no common
 * codec are the caller's 400/488 (SDP_ERROR_NO_COMMON_CODEC). */
int participant_create(struct server *s, struct server_room *r, const struct participant_request *req,
                       struct participant_result *res, char *err, size_t err_size);

/* A late offer (a SIP INVITE without SDP): we offer first, on ports bound now, and
 * the participant is created when the peer's answer comes (participant_complete).
 * Owned by the caller; freed on the loop thread (its sockets close). */
struct participant_pending;

/* Writes our offer into offer (offer_size bytes): an audio and a video m= line
 * (RTP/AVP, no rtcp-mux) listing every codec of prefs that tessera decodes, in
 * that order, H.264 profile-level-id 42e01f in packetization modes 1 and 0, and
 * telephone-event/8000; binds their ports. *out written on success only. Returns 0
 * or a negative code with a message in err (room full: AVERROR(ENOSPC)). */
int participant_offer(struct server *s, struct server_room *r, const struct participant_prefs *prefs,
                      struct participant_pending **out, char *offer, size_t offer_size,
                      char *err, size_t err_size);

/* The same offer, with the video m= line only when with_video is set (SIP dial-out). */
int participant_offer_media(struct server *s, struct server_room *r, const struct participant_prefs *prefs,
                            int with_video, struct participant_pending **out, char *offer, size_t offer_size,
                            char *err, size_t err_size);

/* Creates the participant from the peer's answer (req->offer holds the ANSWER's text;
 * name, profile and is_phone as for participant_create) to the offer of *pending,
 * which it takes (always freed, *pending set to NULL). For each m= line the codec is
 * the first of the answer's formats we offered. res->answer gets our offer again
 * (our side of the session). Returns 0 or a negative code with a message in err:
 * malformed answer, m= lines that do not match the offer, no codec of ours. */
int participant_complete(struct server *s, struct server_room *r, struct participant_pending **pending,
                         const struct participant_request *req, struct participant_result *res,
                         char *err, size_t err_size);

/* Frees a pending offer that no answer completed (closes its ports). NULL-safe. */
void participant_pending_free(struct participant_pending **p);

/* Stops (paused 1) or resumes sending the room's video to participant id (a SIP
 * caller waiting for its PIN, or on hold); resuming asks for a keyframe. A
 * participant that joined with req->waiting starts paused. Returns 0 (also when
 * it receives no video) or AVERROR(ENOENT). */
int participant_pause_video(struct server *s, struct server_room *r, int id, int paused);

/* Removes participant id (its tile goes, its sockets close). 0 or AVERROR(ENOENT). */
int participant_delete(struct server *s, struct server_room *r, int id);

/* Frees every participant of a room (room deletion / shutdown). */
void participant_delete_all(struct server *s, struct server_room *r);

#endif
