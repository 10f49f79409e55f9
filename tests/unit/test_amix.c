/* Unit tests of the mixing arithmetic: sum, mix-minus, limiter, levels, VAD. */
#include <math.h>
#include "mixer/amix.h"
#include "test.h"

#define RATE 48000

static void sine(float *buf, int n, double freq, double amp)
{
    for (int i = 0; i < n; i++)
        buf[i] = (float)(amp * sin(2 * M_PI * freq * i / RATE));
}

static int test_sum_and_mix_minus(void)
{
    float a[480], b[480], c[480], total[480], minus[480];
    const float *inputs[3] = { a, b, c };

    sine(a, 480, 440, 0.1);
    sine(b, 480, 620, 0.1);
    sine(c, 480, 830, 0.1);
    amix_sum(total, inputs, 3, 480);
    for (int i = 0; i < 480; i++)
        TEST_CHECK(fabsf(total[i] - (a[i] + b[i] + c[i])) < 1e-6f);
    amix_mix_minus(minus, total, b, 480);
    for (int i = 0; i < 480; i++)
        TEST_CHECK(fabsf(minus[i] - (a[i] + c[i])) < 1e-6f);
    return 0;
}

static int test_limiter_never_exceeds_ceiling(void)
{
    static float buf[RATE];
    struct amix_limiter l;
    float peak = 0;

    /* Nine full-scale talkers summed: 9x over full scale. */
    sine(buf, RATE, 440, 9.0);
    amix_limiter_init(&l, RATE, 0.5);
    amix_limiter_process(&l, buf, RATE);
    for (int i = 0; i < RATE; i++)
        peak = fmaxf(peak, fabsf(buf[i]));
    TEST_CHECK(peak <= AMIX_CEILING + 1e-6f);
    /* No wrap-around: the waveform keeps its sign. */
    TEST_CHECK(buf[RATE / 440 / 4] > 0.5f);
    TEST_CHECK(buf[3 * RATE / 440 / 4] < -0.5f);
    return 0;
}

static int test_limiter_transparent_below_ceiling(void)
{
    float buf[4800], ref[4800];
    struct amix_limiter l;

    sine(buf, 4800, 440, 0.5);
    sine(ref, 4800, 440, 0.5);
    amix_limiter_init(&l, RATE, 0.5);
    amix_limiter_process(&l, buf, 4800);
    for (int i = 0; i < 4800; i++)
        TEST_CHECK(buf[i] == ref[i]);
    return 0;
}

static int test_limiter_recovers(void)
{
    static float loud[RATE / 10], quiet[RATE];
    struct amix_limiter l;

    amix_limiter_init(&l, RATE, 0.5);
    sine(loud, RATE / 10, 440, 4.0);
    amix_limiter_process(&l, loud, RATE / 10);
    TEST_CHECK(l.gain < 0.5f);
    sine(quiet, RATE, 440, 0.3);
    amix_limiter_process(&l, quiet, RATE);
    TEST_CHECK(l.gain == 1.0f);
    return 0;
}

static int test_level_db(void)
{
    float buf[4800] = { 0 };

    TEST_CHECK(amix_level_db(buf, 4800) == -120.0);
    sine(buf, 4800, 1000, 1.0);
    TEST_CHECK(fabs(amix_level_db(buf, 4800) - (-3.01)) < 0.05);
    sine(buf, 4800, 1000, 0.125);
    TEST_CHECK(fabs(amix_level_db(buf, 4800) - (-21.07)) < 0.05);
    return 0;
}

static int test_vad_hangover(void)
{
    struct amix_vad v;

    amix_vad_init(&v, -45, 0.3);
    TEST_CHECK(!amix_vad_update(&v, 0.0, -80));
    TEST_CHECK(amix_vad_update(&v, 0.1, -20));
    TEST_CHECK(amix_vad_update(&v, 0.3, -80));    /* a pause between words */
    TEST_CHECK(amix_vad_update(&v, 0.39, -80));
    TEST_CHECK(!amix_vad_update(&v, 0.45, -80));  /* hangover over */
    return 0;
}

static const struct test_case amix_cases[] = {
    { "sum_and_mix_minus", test_sum_and_mix_minus },
    { "limiter_never_exceeds_ceiling", test_limiter_never_exceeds_ceiling },
    { "limiter_transparent_below_ceiling", test_limiter_transparent_below_ceiling },
    { "limiter_recovers", test_limiter_recovers },
    { "level_db", test_level_db },
    { "vad_hangover", test_vad_hangover },
    { NULL, NULL },
};

const struct test_suite amix_suite = { "amix", amix_cases };
