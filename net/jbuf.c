/* Jitter buffer: reorder, loss and duplicate detection, RFC 3550 jitter, adaptive playout. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>
#include "net/jbuf.h"

#define JBUF_EXT_BASE ((int64_t)1 << 40)   /* extended seq of the first packet: base + seq */
#define JBUF_MAX_CAPACITY 32768            /* half the seq space: ring index unambiguous */
#define JBUF_MAX_DELAY_MS 60000
#define JBUF_WINDOW_US 2000000             /* transit minimum kept over 2 to 4 s */
#define JBUF_RESYNC_US 1000000             /* lateness past which the timeline re-anchors */
#define JBUF_TIME_CLAMP ((int64_t)1 << 50) /* bound on time differences (us) */
#define JBUF_JITTER_STEP_MAX_S 10          /* larger transit steps are discontinuities */

struct jbuf_slot {
    uint32_t epoch;              /* valid only when equal to the buffer's epoch */
    int64_t ext;                 /* extended seq this slot last received */
    int held;                    /* holds an unreleased packet */
    int64_t excess_us;           /* arrival after the stream's timeline (>= 0) */
    struct jbuf_packet pkt;
    size_t cap;                  /* allocated bytes of pkt.data */
};

/* An (arrival, RTP timestamp) pair of one packet. */
struct jbuf_point {
    uint64_t arrival_us;
    uint32_t ts;
};

struct jbuf {
    struct jbuf_config cfg;
    struct jbuf_slot *slots;     /* cfg.capacity, indexed by extended seq */
    uint32_t epoch;              /* bumped to forget every slot at once */
    int started;                 /* a packet was accepted since the last reset */
    int released_any;            /* next_ext is final: lower seqs are late */
    int64_t max_ext;             /* highest extended seq accepted */
    int64_t next_ext;            /* next extended seq to release */
    int held;                    /* slots holding unreleased packets */
    int pending_lost;            /* skipped since the last release */
    int probe_valid;             /* a far backward jump awaits confirmation */
    uint16_t probe_seq;          /* ... by this seq */
    int have_ref;                /* timeline: lowest-transit packets of the */
    struct jbuf_point cur, prev; /* current and previous windows */
    uint64_t window_start_us;
    int have_last;               /* jitter: the previous accepted packet */
    struct jbuf_point last;
    double jitter;               /* RFC 3550 A.8, clock units */
    struct jbuf_stats st;
};

static struct jbuf_slot *slot_of(const struct jbuf *jb, int64_t ext)
{
    int64_t cap = jb->cfg.capacity;

    return &jb->slots[((ext % cap) + cap) % cap];
}

/* The slot received ext (held, or already released) since the last restart. */
static int slot_saw(const struct jbuf *jb, const struct jbuf_slot *s, int64_t ext)
{
    return s->epoch == jb->epoch && s->ext == ext;
}

static int holds(const struct jbuf *jb, const struct jbuf_slot *s, int64_t ext)
{
    return slot_saw(jb, s, ext) && s->held;
}

/* a - b in microseconds, clamped so that sums of a few stay in range. */
static int64_t us_diff(uint64_t a, uint64_t b)
{
    uint64_t d = a >= b ? a - b : b - a;
    int64_t v = d > (uint64_t)JBUF_TIME_CLAMP ? JBUF_TIME_CLAMP : (int64_t)d;

    return a >= b ? v : -v;
}

/* RTP timestamp a - b with wrap-around, in clock units. */
static int64_t ts_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;

    return d >= 0x80000000u ? (int64_t)d - ((int64_t)1 << 32) : (int64_t)d;
}

/* Transit time of a minus transit time of b, in microseconds. */
static int64_t transit_diff(const struct jbuf *jb, const struct jbuf_point *a,
                            const struct jbuf_point *b)
{
    return us_diff(a->arrival_us, b->arrival_us) -
           ts_diff(a->ts, b->ts) * 1000000 / jb->cfg.clock_rate;
}

/* Updates the timeline anchor (lowest transit over the last 2-4 s) with p and
 * returns how late p is against it, >= 0. */
static int64_t timeline_update(struct jbuf *jb, const struct jbuf_point *p)
{
    const struct jbuf_point *ref;
    int64_t excess, resync = 2 * (int64_t)jb->cfg.max_delay_ms * 1000;

    if (resync < JBUF_RESYNC_US)
        resync = JBUF_RESYNC_US;
    if (!jb->have_ref || us_diff(p->arrival_us, jb->window_start_us) >= JBUF_WINDOW_US) {
        jb->prev = jb->have_ref ? jb->cur : *p;
        jb->cur = *p;
        jb->window_start_us = p->arrival_us;
        jb->have_ref = 1;
    }
    ref = transit_diff(jb, &jb->cur, &jb->prev) < 0 ? &jb->cur : &jb->prev;
    excess = transit_diff(jb, p, ref);
    if (transit_diff(jb, p, &jb->cur) < 0)
        jb->cur = *p;
    if (excess <= 0)
        return 0;
    if (excess > resync) {
        /* Timestamp jump or a lasting delay step: this packet is the new timeline. */
        jb->cur = jb->prev = *p;
        jb->window_start_us = p->arrival_us;
        jb->have_last = 0;
        return 0;
    }
    return excess;
}

/* RFC 3550 A.8 on arrival order; delay target = clamp(3 * jitter + 10 ms). */
static void jitter_update(struct jbuf *jb, const struct jbuf_point *p)
{
    int rate = jb->cfg.clock_rate;
    double target;

    if (jb->have_last) {
        double d = (double)us_diff(p->arrival_us, jb->last.arrival_us) * rate / 1e6 -
                   (double)ts_diff(p->ts, jb->last.ts);

        if (d < 0)
            d = -d;
        if (d <= (double)rate * JBUF_JITTER_STEP_MAX_S)
            jb->jitter += (d - jb->jitter) / 16;
    }
    jb->last = *p;
    jb->have_last = 1;
    jb->st.jitter_ms = jb->jitter * 1000 / rate;
    target = 3 * jb->st.jitter_ms + 10 + 0.5;
    if (target < jb->cfg.min_delay_ms)
        target = jb->cfg.min_delay_ms;
    if (target > jb->cfg.max_delay_ms)
        target = jb->cfg.max_delay_ms;
    jb->st.delay_ms = (int)target;
}

/* Counts n more seqs skipped before the next release (saturating). */
static void add_pending(struct jbuf *jb, int64_t n)
{
    jb->pending_lost = n < INT_MAX - jb->pending_lost ? jb->pending_lost + (int)n : INT_MAX;
}

/* Forgets every slot: a new epoch, a real clear when the counter wraps. */
static void clear_slots(struct jbuf *jb)
{
    if (++jb->epoch == 0) {
        for (int i = 0; i < jb->cfg.capacity; i++)
            jb->slots[i].epoch = 0;
        jb->epoch = 1;
    }
    jb->held = 0;
}

/* Sequence restart (a jump past the capacity): drops what is held, keeps stats. */
static void restart(struct jbuf *jb, int64_t ext)
{
    if (jb->held || jb->released_any)
        jb->pending_lost = jb->held > 1 ? jb->held : 1;    /* a discontinuity */
    jb->st.overflow += jb->held;
    clear_slots(jb);
    jb->next_ext = jb->max_ext = ext;
    jb->released_any = 0;
    jb->have_ref = 0;
    jb->have_last = 0;
    jb->st.resets++;
}

/* Overflow: moves the release point to new_next, dropping the oldest packets. */
static void drop_oldest(struct jbuf *jb, int64_t new_next)
{
    for (int64_t e = jb->next_ext; e < new_next; e++) {
        struct jbuf_slot *s = slot_of(jb, e);

        if (holds(jb, s, e)) {
            s->held = 0;
            jb->held--;
            jb->st.overflow++;
        } else {
            jb->st.lost++;
        }
        add_pending(jb, 1);
    }
    jb->next_ext = new_next;
    jb->released_any = 1;
}

/* Extended seq of seq, or 1 (as a drop) when a far backward jump awaits a second packet. */
static int classify(struct jbuf *jb, uint16_t seq, int64_t *ext)
{
    int d, cap = jb->cfg.capacity;

    if (!jb->started) {
        *ext = JBUF_EXT_BASE + seq;
        jb->started = 1;
        jb->next_ext = jb->max_ext = *ext;
        return 0;
    }
    d = rtp_seq_diff(seq, (uint16_t)jb->max_ext);
    *ext = jb->max_ext + d;
    if (d < -cap && !(jb->probe_valid && seq == jb->probe_seq)) {
        jb->probe_valid = 1;
        jb->probe_seq = (uint16_t)(seq + 1);
        jb->st.late++;
        return 1;
    }
    jb->probe_valid = 0;
    if (d > cap || d < -cap)
        restart(jb, *ext);
    return 0;
}

/* Makes room for len bytes in s (its old content may be dropped). */
static int slot_reserve(struct jbuf_slot *s, size_t len)
{
    uint8_t *p;

    if (len <= s->cap)
        return 0;
    p = realloc(s->pkt.data, len);
    if (!p)
        return AVERROR(ENOMEM);
    s->pkt.data = p;
    s->cap = len;
    return 0;
}

/* Offset of ptr (len bytes) inside raw, or -1 when it lies outside. */
static int64_t offset_in(const uint8_t *raw, size_t raw_len, const uint8_t *ptr, size_t len)
{
    uintptr_t base = (uintptr_t)raw, p = (uintptr_t)ptr;

    if (!ptr)
        return len ? -1 : (int64_t)raw_len;
    if (p < base || p - base > raw_len || len > raw_len - (p - base))
        return -1;
    return (int64_t)(p - base);
}

int jbuf_alloc(struct jbuf **out, const struct jbuf_config *cfg)
{
    struct jbuf *jb = NULL;
    int ret = AVERROR(ENOMEM);

    if (!out || !cfg || cfg->clock_rate <= 0 || cfg->min_delay_ms < 0 ||
        cfg->max_delay_ms < cfg->min_delay_ms || cfg->max_delay_ms > JBUF_MAX_DELAY_MS ||
        cfg->capacity < 1 || cfg->capacity > JBUF_MAX_CAPACITY)
        return AVERROR(EINVAL);
    jb = calloc(1, sizeof(*jb));
    if (!jb)
        goto fail;
    jb->slots = calloc((size_t)cfg->capacity, sizeof(*jb->slots));
    if (!jb->slots)
        goto fail;
    jb->cfg = *cfg;
    jbuf_reset(jb);
    *out = jb;
    return 0;
fail:
    free(jb);
    return ret;
}

void jbuf_free(struct jbuf **p)
{
    struct jbuf *jb = p ? *p : NULL;

    if (!jb)
        return;
    for (int i = 0; i < jb->cfg.capacity; i++)
        free(jb->slots[i].pkt.data);
    free(jb->slots);
    free(jb);
    *p = NULL;
}

void jbuf_reset(struct jbuf *jb)
{
    if (!jb)
        return;
    clear_slots(jb);
    jb->started = jb->released_any = 0;
    jb->pending_lost = 0;
    jb->probe_valid = 0;
    jb->have_ref = jb->have_last = 0;
    jb->jitter = 0;
    memset(&jb->st, 0, sizeof(jb->st));
    jb->st.delay_ms = jb->cfg.min_delay_ms > 10 ? jb->cfg.min_delay_ms : 10;
    if (jb->st.delay_ms > jb->cfg.max_delay_ms)
        jb->st.delay_ms = jb->cfg.max_delay_ms;
}

int jbuf_put(struct jbuf *jb, const struct rtp_packet *pkt, const uint8_t *raw, size_t raw_len,
             uint64_t arrival_us)
{
    struct jbuf_point point;
    struct jbuf_slot *s;
    int64_t ext, pl_off, ext_off = -1;
    int ret;

    if (!jb || !pkt || !raw || raw_len < RTP_HEADER_MIN)
        return AVERROR(EINVAL);
    pl_off = offset_in(raw, raw_len, pkt->payload, pkt->payload_len);
    if (pkt->h.has_extension)
        ext_off = offset_in(raw, raw_len, pkt->h.ext_data, pkt->h.ext_len);
    if (pl_off < 0 || (pkt->h.has_extension && ext_off < 0))
        return AVERROR(EINVAL);
    jb->st.received++;
    if (classify(jb, pkt->h.seq, &ext))
        return 1;
    s = slot_of(jb, ext);
    if (ext < jb->next_ext) {
        if (jb->released_any || jb->max_ext - ext >= jb->cfg.capacity) {
            if (slot_saw(jb, s, ext))
                jb->st.duplicate++;
            else
                jb->st.late++;
            return 1;
        }
        jb->next_ext = ext;                     /* nothing released yet: start earlier */
    }
    if (slot_saw(jb, s, ext)) {
        jb->st.duplicate++;
        return 1;
    }
    ret = slot_reserve(s, raw_len);
    if (ret < 0)
        return ret;
    if (ext - jb->next_ext >= jb->cfg.capacity)
        drop_oldest(jb, ext - jb->cfg.capacity + 1);
    if (ext < jb->max_ext)
        jb->st.reordered++;
    else
        jb->max_ext = ext;

    point.arrival_us = arrival_us;
    point.ts = pkt->h.timestamp;
    s->excess_us = timeline_update(jb, &point);
    jitter_update(jb, &point);

    memcpy(s->pkt.data, raw, raw_len);
    s->pkt.h = pkt->h;
    s->pkt.h.ext_data = pkt->h.has_extension ? s->pkt.data + ext_off : NULL;
    s->pkt.len = raw_len;
    s->pkt.payload = s->pkt.data + pl_off;
    s->pkt.payload_len = pkt->payload_len;
    s->pkt.arrival_us = arrival_us;
    s->pkt.lost_before = 0;
    s->epoch = jb->epoch;
    s->ext = ext;
    s->held = 1;
    jb->held++;
    return 0;
}

/* Playout time of a held packet: arrival + delay, less how late it already was. */
static int is_due(const struct jbuf *jb, const struct jbuf_slot *s, uint64_t now_us)
{
    int64_t delay = (int64_t)jb->st.delay_ms * 1000;
    int64_t wait = delay - (s->excess_us < delay ? s->excess_us : delay);

    return now_us >= s->pkt.arrival_us + (uint64_t)wait;
}

/* Earliest arrival of the packets held after next_ext (when the gap was seen) and the
 * first of them; -1 when none is held. */
static int64_t first_after_gap(const struct jbuf *jb, uint64_t *gap_seen_us)
{
    int64_t first = -1;
    int found = 0;

    *gap_seen_us = UINT64_MAX;
    for (int64_t e = jb->next_ext + 1; e <= jb->max_ext && found < jb->held; e++) {
        const struct jbuf_slot *s = slot_of(jb, e);

        if (!holds(jb, s, e))
            continue;
        if (first < 0)
            first = e;
        if (s->pkt.arrival_us < *gap_seen_us)
            *gap_seen_us = s->pkt.arrival_us;
        found++;
    }
    return first;
}

int jbuf_pop(struct jbuf *jb, uint64_t now_us, const struct jbuf_packet **out)
{
    struct jbuf_slot *s;
    int64_t e;

    if (!jb || !out || !jb->held)
        return 0;
    e = jb->next_ext;
    s = slot_of(jb, e);
    if (!holds(jb, s, e)) {
        /* The next one is missing: skip it once the gap has waited the delay
         * and the first held packet after it is due. */
        uint64_t gap_seen_us;

        e = first_after_gap(jb, &gap_seen_us);
        if (e < 0 || now_us < gap_seen_us + (uint64_t)jb->st.delay_ms * 1000)
            return 0;
        s = slot_of(jb, e);
    }
    if (!is_due(jb, s, now_us))
        return 0;
    jb->st.lost += (uint64_t)(e - jb->next_ext);
    add_pending(jb, e - jb->next_ext);
    s->held = 0;
    jb->held--;
    s->pkt.lost_before = jb->pending_lost;
    jb->pending_lost = 0;
    jb->next_ext = e + 1;
    jb->released_any = 1;
    jb->st.released++;
    *out = &s->pkt;
    return 1;
}

int jbuf_missing(const struct jbuf *jb, uint16_t *seqs, int max)
{
    int n = 0;

    if (!jb || !seqs || !jb->started)
        return 0;
    for (int64_t e = jb->next_ext; e < jb->max_ext && n < max; e++) {
        const struct jbuf_slot *s = slot_of(jb, e);

        if (!slot_saw(jb, s, e))
            seqs[n++] = (uint16_t)e;
    }
    return n;
}

void jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st)
{
    int64_t cycles;

    if (!jb || !st)
        return;
    *st = jb->st;
    if (!jb->started)
        return;
    cycles = (jb->max_ext - JBUF_EXT_BASE) / 65536;
    st->highest_seq = (uint16_t)jb->max_ext;
    st->cycles = cycles > 0 ? (uint32_t)cycles : 0;
}
