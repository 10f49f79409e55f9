/* The adaptation controller of one WebRTC viewer: a state machine over a ladder
 * of profiles (lowest video bitrate first) fed one sample a second (loss, REMB),
 * deciding when the viewer moves one rung down or up. It knows no sockets and no
 * encoders; mixer/sink_adapt.c performs the moves. Thresholds and rationale:
 * docs/ARCHITECTURE.md "Adaptive WHEP viewers". */
#ifndef TESSERA_ADAPT_H
#define TESSERA_ADAPT_H

#include <stdint.h>

#define ADAPT_MAX_RUNGS 8

struct adapt_config {
    double loss_down;            /* smoothed loss at or above this is a bad second (0.05) */
    double loss_clean;           /* smoothed loss below this is a clean second (0.02) */
    double smoothing;            /* weight of the new sample in the loss average (0.5) */
    int down_after_s;            /* consecutive bad seconds before a move down (3) */
    int up_after_s;              /* consecutive clean seconds before a move up (10) */
    int holdoff_s;               /* seconds after a move during which nothing is counted (4) */
    double remb_margin;          /* an estimate under this x what we send is too low (0.8) */
    double remb_min_load;        /* ...counted only when we send this x the rung's bitrate (0.5) */
};

/* One second of feedback. */
struct adapt_sample {
    double loss;                 /* 0..1: lost share of the packets sent in that second */
    int64_t remb_bps;            /* the receiver's latest estimate, or -1 if it sends none */
    int64_t sent_bps;            /* video we sent it in that second */
};

struct adapt {
    struct adapt_config cfg;
    int rung_count;
    int bitrates[ADAPT_MAX_RUNGS];   /* video bits per second, increasing */
    int rung;                    /* current rung */
    int bad_s, clean_s, holdoff_s;
    double loss;                 /* smoothed */
    int64_t remb_bps;            /* latest sample's, -1 if none */
    int64_t sent_bps;            /* latest sample's */
    int switches_down, switches_up;  /* decisions taken */
    char reason[128];            /* why the last move happened, "" before any */
};

/* The defaults above. */
void adapt_config_defaults(struct adapt_config *cfg);

/* count rungs (clamped to 1..ADAPT_MAX_RUNGS) with increasing bitrates (borrowed);
 * the viewer starts on rung `start` (its ceiling is the top rung). */
void adapt_init(struct adapt *a, const struct adapt_config *cfg, const int *bitrates, int count,
                int start);

/* Feeds one second. Returns -1 when the viewer should move one rung down, +1
 * when it should move one up, 0 otherwise; a->rung, the counters and a->reason
 * are updated as if the move happened (the hold-off starts now). */
int adapt_step(struct adapt *a, const struct adapt_sample *s);

#endif
