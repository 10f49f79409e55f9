/* An adaptive WebRTC viewer: its video RTP sink moves between the profiles of a
 * ladder (same codecs, increasing video bitrate, its requested profile on top) as
 * mixer/adapt.c decides from its RTCP (receiver-report loss, NACKed packets,
 * REMB). The viewer appears in each profile it has used as a "tap" sink; only one
 * tap forwards to the real sink. A move down or up subscribes the target profile
 * (started if the room does not run it yet), asks it for a keyframe, keeps
 * sending the old profile until that keyframe and switches on it: same SSRC,
 * sequence numbers and RTP clock, so the browser sees a resolution change. Audio
 * stays on the requested profile (its clock starts with its profile).
 *
 * Threads: created on the loop thread; everything else runs on the room's media
 * thread (taps are sinks of its profiles; moves are commands queued on it). */
#ifndef TESSERA_SINK_ADAPT_H
#define TESSERA_SINK_ADAPT_H

#include <stdint.h>
#include "mixer/adapt.h"
#include "mixer/profile.h"
#include "mixer/profile_out.h"

struct room_thread;
struct sink;

struct sink_adapt_config {
    struct room_thread *thread;          /* borrowed; must outlive the taps */
    struct profile_def rungs[ADAPT_MAX_RUNGS];   /* increasing video bitrate; the last is the ceiling */
    int rung_count;
    struct profile_out_input in;         /* to start a profile the room does not run yet */
    uint32_t video_ssrc;                 /* whose RTCP report blocks count */
    int adaptive;                        /* 0: stays on the ceiling */
    struct adapt_config thresholds;
};

/* The profiles of set a viewer of `ceiling` may move between, into rungs
 * (increasing video bitrate, ceiling last): the same video and audio codec, audio
 * sample rate and channels, a video bitrate below the ceiling's. Returns the count
 * (1 when there is nowhere to go). */
int sink_adapt_ladder(const struct profile_set *set, const struct profile_def *ceiling,
                      struct profile_def *rungs, int max);

/* Takes ownership of the viewer's RTP sinks (sink_rtp; audio may be NULL), also
 * on failure. On success *video_tap and *audio_tap (NULL without audio) are the
 * sinks to attach to the ceiling profile, with the real sinks' ids and urls. */
int sink_adapt_alloc(const struct sink_adapt_config *cfg, struct sink *video, struct sink *audio,
                     struct sink **video_tap, struct sink **audio_tap);

/* Completed moves since start, over every viewer (for /metrics). */
void sink_adapt_totals(uint64_t *down, uint64_t *up);

#endif
