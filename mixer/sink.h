/* A sink receives the encoded packets of one profile: a file or broadcast muxer
 * now, an RTP/WebRTC receiver later. Every sink of a profile shares its encoders;
 * a sink's own work is only muxing or packetizing and sending. */
#ifndef TESSERA_SINK_H
#define TESSERA_SINK_H

#include <stdint.h>
#include <libavcodec/avcodec.h>

struct fanout;
struct profile_def;
struct sink;

struct sink_ops {
    const char *name;
    /* Called once before any packet with the profile's encoders (borrowed; the
     * stream index of a packet is its encoder's index). */
    int (*open)(struct sink *s, AVCodecContext *const *encoders, int count);
    /* pkt is borrowed; timestamps in the encoder's time_base. */
    int (*write)(struct sink *s, const AVPacket *pkt, int stream_index);
    /* Finishes the output (trailer, playlist end). */
    int (*close)(struct sink *s);
    /* Optional, called once per video frame of the profile: reads what the
     * receiver sent back; returns 1 when it asks for a keyframe. */
    int (*poll)(struct sink *s);
    void (*free_priv)(void *priv);
};

struct sink {
    /* What every packet touches first (one cache line for hundreds of sinks). */
    const struct sink_ops *ops;
    void *priv;
    int id;                      /* the caller's handle, e.g. an API output id */
    int opened, closed;
    /* 0: the sink takes every stream (a muxer); else 1 + the only encoder index it
     * takes, set by its open, so sink_write skips the others without calling it. */
    int only_stream;
    int64_t packets, bytes;
    int64_t write_errors;        /* failed writes, counted and logged once */
    /* Borrowed: the shared RTP packetization of the profile the sink is attached
     * to, set by profile_out_add_sink (again when a sink moves to another profile);
     * NULL outside a profile. Only RTP sinks use it. */
    struct fanout *fanout;
    char url[1024];
};

/* A file, folder (HLS) or URL (RTMP...) written by libavformat. The muxer is the
 * URL's extension when libavformat knows it, else the profile's format; parent
 * folders of a local path are created. *out written on success only. */
int sink_file_alloc(struct sink **out, const char *url, const struct profile_def *def);

/* Wrappers over the ops that keep the counters; sink_free closes first if needed. */
int sink_open(struct sink *s, AVCodecContext *const *encoders, int count);
int sink_write(struct sink *s, const AVPacket *pkt, int stream_index);
int sink_close(struct sink *s);
/* 1 when the sink's receiver asked for a keyframe since the last call. */
int sink_poll(struct sink *s);
void sink_free(struct sink **p);

#endif
