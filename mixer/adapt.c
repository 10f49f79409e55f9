/* The per-viewer adaptation state machine (see adapt.h): bad seconds move a
 * viewer down, a long clean stretch moves it back up, a hold-off after each move. */
#include <stdio.h>
#include <string.h>
#include "mixer/adapt.h"

void adapt_config_defaults(struct adapt_config *cfg)
{
    cfg->loss_down = 0.05;
    cfg->loss_clean = 0.02;
    cfg->smoothing = 0.5;
    cfg->down_after_s = 3;
    cfg->up_after_s = 10;
    cfg->holdoff_s = 4;
    cfg->remb_margin = 0.8;
    cfg->remb_min_load = 0.5;
}

void adapt_init(struct adapt *a, const struct adapt_config *cfg, const int *bitrates, int count,
                int start)
{
    memset(a, 0, sizeof(*a));
    a->cfg = *cfg;
    a->rung_count = count < 1 ? 1 : count > ADAPT_MAX_RUNGS ? ADAPT_MAX_RUNGS : count;
    for (int i = 0; i < a->rung_count; i++)
        a->bitrates[i] = count >= 1 ? bitrates[i] : 0;
    a->rung = start < 0 ? 0 : start >= a->rung_count ? a->rung_count - 1 : start;
    a->remb_bps = -1;
}

/* The receiver estimates less than we send it, and less than this rung's
 * bitrate. A receive-side estimate (REMB) follows what arrives, so a picture that
 * encodes far under the profile's bitrate gets a low estimate without any
 * congestion (Chromium then reports its floor, 5 kb/s): only an estimate under
 * the actual send rate, while we send a good part of the rung's bitrate, counts. */
static int adapt_estimate_low(const struct adapt *a)
{
    return a->remb_bps >= 0 && a->remb_bps < a->bitrates[a->rung] &&
           (double)a->sent_bps >= a->cfg.remb_min_load * (double)a->bitrates[a->rung] &&
           (double)a->remb_bps < a->cfg.remb_margin * (double)a->sent_bps;
}

/* A bad second: lossy, or an estimate below what we send. */
static int adapt_bad(const struct adapt *a, char *why, size_t size)
{
    if (a->loss >= a->cfg.loss_down) {
        snprintf(why, size, "loss %.1f%% >= %.0f%% for %d s", a->loss * 100, a->cfg.loss_down * 100,
                 a->cfg.down_after_s);
        return 1;
    }
    if (adapt_estimate_low(a)) {
        snprintf(why, size, "estimate %lld kb/s < %.0f%% of the %lld kb/s sent for %d s",
                 (long long)(a->remb_bps / 1000), a->cfg.remb_margin * 100,
                 (long long)(a->sent_bps / 1000), a->cfg.down_after_s);
        return 1;
    }
    return 0;
}

/* A clean second: little loss and no low estimate. (An estimate cannot show room
 * for a higher rung: it does not rise above what we send.) */
static int adapt_clean(const struct adapt *a)
{
    return a->loss < a->cfg.loss_clean && !adapt_estimate_low(a);
}

static int adapt_move(struct adapt *a, int dir)
{
    a->rung += dir;
    a->bad_s = a->clean_s = 0;
    a->holdoff_s = a->cfg.holdoff_s;
    if (dir < 0)
        a->switches_down++;
    else
        a->switches_up++;
    return dir;
}

int adapt_step(struct adapt *a, const struct adapt_sample *s)
{
    double loss = s->loss < 0 ? 0 : s->loss > 1 ? 1 : s->loss;
    char why[80];

    a->loss = a->cfg.smoothing * loss + (1 - a->cfg.smoothing) * a->loss;
    a->remb_bps = s->remb_bps;
    a->sent_bps = s->sent_bps;
    if (a->holdoff_s > 0) {
        a->holdoff_s--;
        return 0;
    }
    if (adapt_bad(a, why, sizeof(why))) {
        a->clean_s = 0;
        if (++a->bad_s >= a->cfg.down_after_s && a->rung > 0) {
            snprintf(a->reason, sizeof(a->reason), "down: %s", why);
            return adapt_move(a, -1);
        }
        return 0;
    }
    a->bad_s = 0;
    if (!adapt_clean(a)) {
        a->clean_s = 0;
        return 0;
    }
    if (++a->clean_s >= a->cfg.up_after_s && a->rung + 1 < a->rung_count) {
        snprintf(a->reason, sizeof(a->reason), "up: loss < %.0f%% for %d s", a->cfg.loss_clean * 100,
                 a->cfg.up_after_s);
        return adapt_move(a, +1);
    }
    return 0;
}
