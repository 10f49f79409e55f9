/* Mixing arithmetic: sum, mix-minus, peak limiter, RMS level, voice activity. */
#include <math.h>
#include "mixer/amix.h"

void amix_limiter_init(struct amix_limiter *l, int rate, double release_s)
{
    l->gain = 1.0f;
    l->release_per_sample = (float)(1.0 / (release_s * rate));
}

void amix_limiter_process(struct amix_limiter *l, float *buf, int n)
{
    float gain = l->gain;

    for (int i = 0; i < n; i++) {
        float peak = fabsf(buf[i]);
        float y;

        if (peak * gain > AMIX_CEILING)
            gain = AMIX_CEILING / peak;
        y = buf[i] * gain;
        /* Rounding guard: never past the ceiling. */
        if (y > AMIX_CEILING)
            y = AMIX_CEILING;
        else if (y < -AMIX_CEILING)
            y = -AMIX_CEILING;
        buf[i] = y;
        gain += l->release_per_sample;
        if (gain > 1.0f)
            gain = 1.0f;
    }
    l->gain = gain;
}

void amix_sum(float *out, const float *const *inputs, int input_count, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = 0.0f;
    for (int k = 0; k < input_count; k++)
        for (int i = 0; i < n; i++)
            out[i] += inputs[k][i];
}

void amix_mix_minus(float *out, const float *total, const float *own, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = total[i] - own[i];
}

double amix_level_db(const float *buf, int n)
{
    double sum = 0;

    for (int i = 0; i < n; i++)
        sum += (double)buf[i] * buf[i];
    if (n <= 0 || sum <= 0)
        return -120.0;
    sum = 10.0 * log10(sum / n);
    return sum < -120.0 ? -120.0 : sum;
}

void amix_vad_init(struct amix_vad *v, double threshold_db, double hangover_s)
{
    v->threshold_db = threshold_db;
    v->hangover_s = hangover_s;
    v->last_voice = -1e9;
    v->active = 0;
}

int amix_vad_update(struct amix_vad *v, double now, double level_db)
{
    if (level_db >= v->threshold_db)
        v->last_voice = now;
    v->active = now - v->last_voice <= v->hangover_s;
    return v->active;
}
