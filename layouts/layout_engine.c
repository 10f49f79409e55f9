/* The placement engine: decides which participant goes into which slot, stably across calls. */
#include <errno.h>
#include <stdlib.h>

#include "layouts/layout.h"

/* What the engine remembers between calls. Slot indexes refer to the variant of the last
 * call; variant_index -1 forces the reorder path (first call, or the definition changed). */
struct layout_engine {
    const struct layout_def *def;
    int variant_index;
    int occ[LAYOUT_MAX_SLOTS];                /* participant id per slot, -1: empty */
    unsigned long stamp[LAYOUT_MAX_SLOTS];    /* call when the occupant entered or last spoke */
    unsigned long calls;
    int holder;                               /* who held the speaker's slot, -1: nobody */
    int pin_id[LAYOUT_MAX_PINS];              /* pinned participants and their slots */
    int pin_slot[LAYOUT_MAX_PINS];
    int pin_count;
};

/* One call's working state. */
struct place_ctx {
    const struct layout_variant *v;
    const struct layout_participant *parts;
    int n;
    int speaker_id;
    int occ[LAYOUT_MAX_SLOTS];
    unsigned long stamp[LAYOUT_MAX_SLOTS];
    unsigned long now;
};

int layout_engine_alloc(struct layout_engine **out, const struct layout_def *def)
{
    struct layout_engine *e;

    if (!out || !def)
        return -EINVAL;
    e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->def = def;
    e->variant_index = -1;
    e->holder = -1;
    for (int i = 0; i < LAYOUT_MAX_SLOTS; i++)
        e->occ[i] = -1;
    *out = e;
    return 0;
}

void layout_engine_free(struct layout_engine **p)
{
    if (!p)
        return;
    free(*p);
    *p = NULL;
}

void layout_engine_set_def(struct layout_engine *e, const struct layout_def *def)
{
    if (!e || !def)
        return;
    e->def = def;
    e->variant_index = -1;    /* old slot indexes only give the order now */
}

static int find_part(const struct place_ctx *c, int id)
{
    for (int i = 0; i < c->n; i++)
        if (c->parts[i].id == id)
            return i;
    return -1;
}

static int is_screen_id(const struct place_ctx *c, int id)
{
    int i = id < 0 ? -1 : find_part(c, id);
    return i >= 0 && c->parts[i].is_screen;
}

static int slot_of(const int *occ, int count, int id)
{
    for (int s = 0; s < count; s++)
        if (occ[s] == id)
            return s;
    return -1;
}

static enum layout_role role_of(const struct place_ctx *c, int s)
{
    return c->v->slots[s].role;
}

/* A screen slot without a screen share in it behaves as a speaker slot. */
static int is_screen_fallback(const struct place_ctx *c, int s)
{
    return role_of(c, s) == LAYOUT_ROLE_SCREEN && !is_screen_id(c, c->occ[s]);
}

static void swap_slots(struct place_ctx *c, int a, int b)
{
    int id = c->occ[a];
    unsigned long st = c->stamp[a];
    c->occ[a] = c->occ[b];
    c->stamp[a] = c->stamp[b];
    c->occ[b] = id;
    c->stamp[b] = st;
}

/* Who must be visible: screen shares (as many as there are screen slots), then the
 * speaker; at most slot_count of them. Returns the count written to must[]. */
static int must_show(const struct place_ctx *c, int *must)
{
    int screens = 0, count = 0, cap = c->v->slot_count;

    for (int s = 0; s < cap; s++)
        screens += role_of(c, s) == LAYOUT_ROLE_SCREEN;
    for (int i = 0; i < c->n && count < screens && count < cap; i++)
        if (c->parts[i].is_screen)
            must[count++] = c->parts[i].id;
    if (c->speaker_id >= 0 && count < cap && slot_of(must, count, c->speaker_id) < 0)
        must[count++] = c->speaker_id;
    return count;
}

/* The lowest free slot with `role`, else the lowest free slot, else -1. */
static int free_slot(const struct place_ctx *c, enum layout_role role)
{
    int any = -1;
    for (int s = 0; s < c->v->slot_count; s++) {
        if (c->occ[s] >= 0)
            continue;
        if (role_of(c, s) == role)
            return s;
        if (any < 0)
            any = s;
    }
    return any;
}

/* The slot to give up for a must-show participant: the least recently entered or
 * speaking occupant that is not itself a must-show, the highest slot on a tie. */
static int victim_slot(const struct place_ctx *c, const int *must, int nmust)
{
    int best = -1;
    for (int s = 0; s < c->v->slot_count; s++) {
        if (slot_of(must, nmust, c->occ[s]) >= 0)
            continue;
        if (best < 0 || c->stamp[s] <= c->stamp[best])
            best = s;
    }
    return best;
}

/* Same variant as last call: everyone present keeps their slot, leavers leave holes,
 * must-shows come in (evicting if full), then joiners fill holes in join order. */
static void keep_slots(struct place_ctx *c, const struct layout_engine *e, const int *must, int nmust)
{
    int cap = c->v->slot_count;

    for (int s = 0; s < cap; s++)
        if (e->occ[s] >= 0 && find_part(c, e->occ[s]) >= 0) {
            c->occ[s] = e->occ[s];
            c->stamp[s] = e->stamp[s];
        }
    for (int m = 0; m < nmust; m++) {
        int s;
        if (slot_of(c->occ, cap, must[m]) >= 0)
            continue;
        s = free_slot(c, is_screen_id(c, must[m]) ? LAYOUT_ROLE_SCREEN : LAYOUT_ROLE_SPEAKER);
        if (s < 0)
            s = victim_slot(c, must, nmust);
        c->occ[s] = must[m];
        c->stamp[s] = c->now;
    }
    for (int i = 0; i < c->n; i++) {
        int s;
        if (slot_of(c->occ, cap, c->parts[i].id) >= 0)
            continue;
        if ((s = free_slot(c, LAYOUT_ROLE_ANY)) < 0)
            break;
        c->occ[s] = c->parts[i].id;
        c->stamp[s] = c->now;
    }
}

/* Order key of the reorder path: previous slot index, then join order after them. */
static int order_rank(const struct place_ctx *c, const struct layout_engine *e, int id)
{
    int s = slot_of(e->occ, LAYOUT_MAX_SLOTS, id);
    return s >= 0 ? s : LAYOUT_MAX_SLOTS + find_part(c, id);
}

/* Variant changed: the must-shows plus the first others in (previous slot, join) order,
 * placed in that order into slots 0, 1, ... so relative order is kept and holes close. */
static void reorder_slots(struct place_ctx *c, const struct layout_engine *e, const int *must, int nmust)
{
    int vis[LAYOUT_MAX_SLOTS], nvis = 0, cap = c->v->slot_count;

    for (int m = 0; m < nmust; m++)
        vis[nvis++] = must[m];
    for (int s = 0; s < LAYOUT_MAX_SLOTS && nvis < cap; s++)
        if (e->occ[s] >= 0 && find_part(c, e->occ[s]) >= 0 && slot_of(vis, nvis, e->occ[s]) < 0)
            vis[nvis++] = e->occ[s];
    for (int i = 0; i < c->n && nvis < cap; i++)
        if (slot_of(vis, nvis, c->parts[i].id) < 0)
            vis[nvis++] = c->parts[i].id;
    for (int i = 1; i < nvis; i++) {
        int id = vis[i], rank = order_rank(c, e, id), j = i;
        while (j > 0 && order_rank(c, e, vis[j - 1]) > rank) {
            vis[j] = vis[j - 1];
            j--;
        }
        vis[j] = id;
    }
    for (int i = 0; i < nvis; i++) {
        int old = slot_of(e->occ, LAYOUT_MAX_SLOTS, vis[i]);
        c->occ[i] = vis[i];
        c->stamp[i] = old >= 0 ? e->stamp[old] : c->now;
    }
}

/* The slot (of an `any` slot occupant) to move into an empty role slot, or -1. */
static int pick_mover(const struct place_ctx *c, enum layout_role role)
{
    int cap = c->v->slot_count, s;

    if (role == LAYOUT_ROLE_SCREEN)
        for (int i = 0; i < c->n; i++) {
            s = slot_of(c->occ, cap, c->parts[i].id);
            if (c->parts[i].is_screen && s >= 0 && role_of(c, s) != LAYOUT_ROLE_SCREEN)
                return s;
        }
    s = c->speaker_id >= 0 ? slot_of(c->occ, cap, c->speaker_id) : -1;
    if (s >= 0 && role_of(c, s) == LAYOUT_ROLE_ANY)
        return s;
    for (int i = 0; i < c->n; i++) {
        s = slot_of(c->occ, cap, c->parts[i].id);
        if (s >= 0 && role_of(c, s) == LAYOUT_ROLE_ANY)
            return s;
    }
    return -1;
}

/* A speaker or screen slot is never left empty while an `any` slot is occupied. */
static void fill_role_slots(struct place_ctx *c)
{
    for (int s = 0; s < c->v->slot_count; s++) {
        int from;
        if (c->occ[s] >= 0 || role_of(c, s) == LAYOUT_ROLE_ANY)
            continue;
        if ((from = pick_mover(c, role_of(c, s))) >= 0)
            swap_slots(c, s, from);
    }
}

/* Each screen slot not holding a screen share swaps with a screen share shown elsewhere. */
static void apply_screens(struct place_ctx *c)
{
    int cap = c->v->slot_count;

    for (int s = 0; s < cap; s++) {
        if (role_of(c, s) != LAYOUT_ROLE_SCREEN || is_screen_id(c, c->occ[s]))
            continue;
        for (int i = 0; i < c->n; i++) {
            int t = slot_of(c->occ, cap, c->parts[i].id);
            if (c->parts[i].is_screen && t >= 0 && role_of(c, t) != LAYOUT_ROLE_SCREEN) {
                swap_slots(c, s, t);
                break;
            }
        }
    }
}

/* The slot the speaker belongs in: the first screen slot without a screen share if
 * there is one, else the first speaker slot, else -1. */
static int speaker_target(const struct place_ctx *c)
{
    int speaker = -1;
    for (int s = 0; s < c->v->slot_count; s++) {
        if (is_screen_fallback(c, s))
            return s;
        if (speaker < 0 && role_of(c, s) == LAYOUT_ROLE_SPEAKER)
            speaker = s;
    }
    return speaker;
}

/* Is slot t one the speaker may stay in (the same kind as its target)? */
static int speaker_fits(const struct place_ctx *c, int target, int t)
{
    if (role_of(c, target) == LAYOUT_ROLE_SCREEN)
        return is_screen_fallback(c, t);
    return role_of(c, t) == LAYOUT_ROLE_SPEAKER;
}

/* A speaker outside the slots of its target's kind swaps with the target's occupant. */
static void apply_speaker(struct place_ctx *c)
{
    int cap = c->v->slot_count, t, target;

    if (c->speaker_id < 0 || (t = slot_of(c->occ, cap, c->speaker_id)) < 0)
        return;
    if (is_screen_id(c, c->speaker_id) && role_of(c, t) == LAYOUT_ROLE_SCREEN)
        return;
    if ((target = speaker_target(c)) < 0)
        return;
    if (!speaker_fits(c, target, t))
        swap_slots(c, target, t);
    c->stamp[slot_of(c->occ, cap, c->speaker_id)] = c->now;
}

/* With no active speaker, the last holder of the speaker's slot keeps it; at first the
 * first participant in join order takes it. -1 when the variant has no such slot. */
static int default_speaker(const struct place_ctx *c, const struct layout_engine *e)
{
    int has_target = 0;
    for (int s = 0; s < c->v->slot_count; s++)
        has_target |= role_of(c, s) != LAYOUT_ROLE_ANY;
    if (!has_target || c->n < 1)
        return -1;
    if (e->holder >= 0 && find_part(c, e->holder) >= 0)
        return e->holder;
    return c->parts[0].id;
}

/* Writes the occupied slots sorted by z, then slot index; returns the count written. */
static int write_out(const struct place_ctx *c, struct layout_placement *out, int max_out)
{
    struct layout_placement all[LAYOUT_MAX_SLOTS];
    int count = 0;

    for (int s = 0; s < c->v->slot_count; s++) {
        int j;
        if (c->occ[s] < 0)
            continue;
        j = count++;
        while (j > 0 && all[j - 1].slot.z > c->v->slots[s].z) {
            all[j] = all[j - 1];
            j--;
        }
        all[j].id = c->occ[s];
        all[j].slot_index = s;
        all[j].slot = c->v->slots[s];
    }
    if (count > max_out)
        count = max_out;
    for (int i = 0; i < count; i++)
        out[i] = all[i];
    return count;
}

/* Rejects negative or repeated ids. */
static int check_parts(const struct layout_participant *parts, int n)
{
    for (int i = 0; i < n; i++) {
        if (parts[i].id < 0)
            return -EINVAL;
        for (int j = 0; j < i; j++)
            if (parts[j].id == parts[i].id)
                return -EINVAL;
    }
    return 0;
}

static void remove_pin(struct layout_engine *e, int k)
{
    e->pin_id[k] = e->pin_id[e->pin_count - 1];
    e->pin_slot[k] = e->pin_slot[e->pin_count - 1];
    e->pin_count--;
}

int layout_engine_pin(struct layout_engine *e, int id, int slot_index)
{
    if (!e || id < 0 || slot_index >= LAYOUT_MAX_SLOTS)
        return -EINVAL;
    /* Drop the participant's old pin and any other pin of that slot. */
    for (int k = e->pin_count - 1; k >= 0; k--)
        if (e->pin_id[k] == id || (slot_index >= 0 && e->pin_slot[k] == slot_index))
            remove_pin(e, k);
    if (slot_index < 0)
        return 0;
    if (e->pin_count == LAYOUT_MAX_PINS)
        return -ENOSPC;
    e->pin_id[e->pin_count] = id;
    e->pin_slot[e->pin_count] = slot_index;
    e->pin_count++;
    return 0;
}

/* Pins are applied last and win over the speaker slot: a pinned participant is
 * moved (or brought in) to its slot by swapping with the occupant. */
static void apply_pins(struct place_ctx *c, const struct layout_engine *e)
{
    for (int i = 0; i < e->pin_count; i++) {
        int id = e->pin_id[i], target = e->pin_slot[i], cur;

        if (target >= c->v->slot_count || find_part(c, id) < 0)
            continue;
        cur = slot_of(c->occ, c->v->slot_count, id);
        if (cur == target)
            continue;
        if (cur >= 0) {
            swap_slots(c, cur, target);
        } else {
            c->occ[target] = id;
            c->stamp[target] = c->now;
        }
    }
}

int layout_engine_place(struct layout_engine *e, const struct layout_participant *parts,
                        int n, int speaker_id, struct layout_placement *out, int max_out)
{
    struct place_ctx c = { .parts = parts, .n = n };
    int must[LAYOUT_MAX_SLOTS], nmust, vidx, target, ret;

    if (!e || n < 0 || (n > 0 && !parts) || max_out < 0 || (max_out > 0 && !out))
        return -EINVAL;
    if ((ret = check_parts(parts, n)) < 0)
        return ret;
    c.v = layout_def_pick_variant(e->def, n);
    if (!c.v || c.v->slot_count < 1 || c.v->slot_count > LAYOUT_MAX_SLOTS)
        return -EINVAL;
    vidx = (int)(c.v - e->def->variants);
    c.now = ++e->calls;
    c.speaker_id = speaker_id >= 0 && find_part(&c, speaker_id) >= 0 ? speaker_id
                                                                      : default_speaker(&c, e);
    for (int s = 0; s < LAYOUT_MAX_SLOTS; s++)
        c.occ[s] = -1;

    nmust = must_show(&c, must);
    if (vidx == e->variant_index)
        keep_slots(&c, e, must, nmust);
    else
        reorder_slots(&c, e, must, nmust);
    fill_role_slots(&c);
    apply_screens(&c);
    apply_speaker(&c);
    apply_pins(&c, e);

    for (int s = 0; s < LAYOUT_MAX_SLOTS; s++) {
        e->occ[s] = c.occ[s];
        e->stamp[s] = c.occ[s] >= 0 ? c.stamp[s] : 0;
    }
    e->variant_index = vidx;
    target = speaker_target(&c);
    e->holder = target >= 0 ? c.occ[target] : -1;
    return write_out(&c, out, max_out);
}
