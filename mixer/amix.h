/* Audio mixing arithmetic: sum of participants, mix-minus (everyone but yourself),
 * a peak limiter so sums never wrap or clip hard, levels and voice activity. All
 * buffers are mono float in [-1, 1] at the room's mix rate. */
#ifndef TESSERA_AMIX_H
#define TESSERA_AMIX_H

#define AMIX_CEILING 0.944f       /* -0.5 dBFS */

struct amix_limiter {
    float gain;                   /* current gain, 1 when idle */
    float release_per_sample;     /* gain recovery step */
};

/* release_s: time to recover from full reduction back to unity gain. */
void amix_limiter_init(struct amix_limiter *l, int rate, double release_s);

/* Limits buf in place so no sample exceeds AMIX_CEILING: instant attack, linear
 * release. */
void amix_limiter_process(struct amix_limiter *l, float *buf, int n);

/* out[i] = sum over k of inputs[k][i]. */
void amix_sum(float *out, const float *const *inputs, int input_count, int n);

/* out[i] = total[i] - own[i]: what a talker hears (no echo of themselves). */
void amix_mix_minus(float *out, const float *total, const float *own, int n);

/* RMS level in dBFS; -120 for silence. */
double amix_level_db(const float *buf, int n);

/* Voice activity with a threshold and a hangover so short pauses between words
 * do not end a talk spurt. */
struct amix_vad {
    double threshold_db;
    double hangover_s;
    double last_voice;            /* media time of the last frame above threshold */
    int active;
};

void amix_vad_init(struct amix_vad *v, double threshold_db, double hangover_s);

/* Feeds the level of the frame ending at time now; returns 1 while active. */
int amix_vad_update(struct amix_vad *v, double now, double level_db);

#endif
