/* A sink receives the encoded packets of one profile: a file or broadcast muxer
 * now, an RTP/WebRTC receiver later. Every sink of a profile shares its encoders;
 * a sink's own work is only muxing or packetizing and sending. */
#ifndef TESSERA_SINK_H
#define TESSERA_SINK_H

#include <stdint.h>
#include <libavcodec/avcodec.h>

struct fanout;
struct json_t;
struct profile_def;
struct sink;

/* A write that the sink chose not to deliver (e.g. its queue to a slow server is
 * full): counted in `dropped`, not an error. */
#define SINK_DROPPED 1

/* What a sink with its own connection reports about it (see sink_get_status). */
struct sink_status {
    const char *state;           /* e.g. "connecting", "live", "failed"; NULL: none */
    char error[160];             /* why it failed, "" otherwise */
    int queued;                  /* packets waiting to be sent */
};

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
    /* Optional: the state of the sink's own connection (any thread that owns s). */
    void (*status)(struct sink *s, struct sink_status *out);
    void (*free_priv)(void *priv);
    /* Optional: extra state for the room's JSON (a new jansson object, or NULL). */
    struct json_t *(*state_json)(const struct sink *s);
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
    int64_t dropped;             /* packets the sink chose not to deliver */
    int paused;                  /* packets are dropped (a receiver on hold, or not
                                  * admitted yet); set on the thread that writes */
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
/* Lets a blocking connect/write of a sink_file be given up (libavformat's
 * interrupt callback: returns nonzero to give up). Before sink_open. */
int sink_file_set_interrupt(struct sink *s, int (*interrupted)(void *opaque), void *opaque);

/* A live broadcast output (rtmp://, rtmps://): the muxer runs on its own thread
 * behind a queue of at most buffer_ms of media (<= 0: the default); beyond that,
 * packets are dropped and counted (mixer/sink_stream.c). */
#define SINK_STREAM_DEFAULT_BUFFER_MS 10000
int sink_stream_is_network_url(const char *url);
int sink_stream_alloc(struct sink **out, const char *url, const struct profile_def *def, int buffer_ms);
/* Waits until every closed stream's writer thread has finished (or timeout_ms);
 * returns how many are still running. For a clean process exit. */
int sink_stream_wait_all(int timeout_ms);

/* Wrappers over the ops that keep the counters; sink_free closes first if needed. */
int sink_open(struct sink *s, AVCodecContext *const *encoders, int count);
int sink_write(struct sink *s, const AVPacket *pkt, int stream_index);
int sink_close(struct sink *s);
/* 1 when the sink's receiver asked for a keyframe since the last call. */
int sink_poll(struct sink *s);
/* Fills *out (state NULL when the sink has no connection of its own). */
void sink_get_status(struct sink *s, struct sink_status *out);
void sink_free(struct sink **p);

#endif
