/* Internals shared by the files of the profile_out module (not for other modules). */
#ifndef TESSERA_PROFILE_OUT_PRIV_H
#define TESSERA_PROFILE_OUT_PRIV_H

#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>
#include "mixer/profile_out.h"

#define PROFILE_OUT_MAX_SINKS 1024

struct SwsContext;
struct fanout;

struct profile_out {
    struct profile_def def;
    struct profile_out_input in;
    AVCodecContext *enc[3];
    int enc_count;
    int video_index, audio_index, caption_index;
    struct SwsContext *sws;
    int64_t next_video_index;
    int keyframe_requested;
    int64_t last_forced_keyframe;
    double caption_end;          /* latest end of a caption sent */
    SwrContext *swr;
    AVAudioFifo *fifo;
    int audio_frame_size;
    int64_t audio_pts;
    AVPacket *pkt;
    struct fanout *fanout;       /* RTP payloads cut once for all RTP sinks */
    struct sink *sinks[PROFILE_OUT_MAX_SINKS];
    int sink_count;
    int started, finished;
    struct profile_out_stats stats;
};

int profile_out_drain(struct profile_out *p, int index);
int profile_out_open_audio(struct profile_out *p);
int profile_out_flush_audio(struct profile_out *p);
void profile_out_close_audio(struct profile_out *p);
int profile_out_open_captions(struct profile_out *p);
void profile_out_end_captions(struct profile_out *p, double end_time);

#endif
