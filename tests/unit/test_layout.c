/* Unit tests of the layout engine: definition files, placement stability, speaker hysteresis. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layouts/layout.h"
#include "tests/unit/test.h"

static int load_builtin(struct layout_def **out, const char *name)
{
    char dir[4096], err[256] = "";
    int ret;

    snprintf(dir, sizeof(dir), "%s/layouts", test_source_dir());
    ret = layout_def_load(out, name, dir, err, sizeof(err));
    if (ret < 0)
        fprintf(stderr, "    %s\n", err);
    return ret;
}

static int slots_overlap(const struct layout_slot *a, const struct layout_slot *b)
{
    double ix = (a->x + a->w < b->x + b->w ? a->x + a->w : b->x + b->w) - (a->x > b->x ? a->x : b->x);
    double iy = (a->y + a->h < b->y + b->h ? a->y + a->h : b->y + b->h) - (a->y > b->y ? a->y : b->y);
    return ix > 1e-6 && iy > 1e-6;
}

static int variant_overlaps(const struct layout_variant *v)
{
    for (int i = 0; i < v->slot_count; i++)
        for (int j = i + 1; j < v->slot_count; j++)
            if (slots_overlap(&v->slots[i], &v->slots[j]))
                return 1;
    return 0;
}

static int test_builtins_load(void)
{
    static const char *const names[] = { "grid", "speaker", "filmstrip", "presentation", "pip" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct layout_def *def = NULL;
        TEST_CHECK(load_builtin(&def, names[i]) == 0);
        TEST_CHECK(def && !strcmp(def->name, names[i]));
        for (int v = 0; v < def->variant_count; v++) {
            const struct layout_variant *var = &def->variants[v];
            TEST_CHECK(v == 0 || var->max_participants > def->variants[v - 1].max_participants);
            TEST_CHECK(var->slot_count == var->max_participants);
            /* only pip's inset overlaps, and it is drawn on top */
            TEST_CHECK(!strcmp(names[i], "pip") || !variant_overlaps(var));
        }
        layout_def_free(&def);
        TEST_CHECK(def == NULL);
    }
    return 0;
}

static int test_grid_variants(void)
{
    static const int counts[] = { 1, 2, 4, 6, 9, 12, 16, 25 };
    struct layout_def *def = NULL;

    TEST_CHECK(load_builtin(&def, "grid") == 0);
    TEST_CHECK(def->variant_count == 8);
    for (int v = 0; v < 8; v++) {
        const struct layout_variant *var = &def->variants[v];
        TEST_CHECK(var->max_participants == counts[v]);
        TEST_CHECK(var->slot_count == counts[v]);
        TEST_CHECK(!variant_overlaps(var));
        for (int s = 0; s < var->slot_count; s++) {
            const struct layout_slot *sl = &var->slots[s];
            TEST_CHECK(sl->role == LAYOUT_ROLE_ANY && sl->fit == LAYOUT_FIT_AUTO && sl->z == 0);
            TEST_CHECK(sl->w > 0 && sl->h > 0 && sl->x + sl->w <= 1 + 1e-9 && sl->y + sl->h <= 1 + 1e-9);
            TEST_CHECK(sl->w - sl->h < 1e-9 && sl->h - sl->w < 1e-9);   /* 16:9 tiles on 16:9 */
            if (s > 0) {   /* row-major: same row to the right, or a lower row */
                const struct layout_slot *p = &var->slots[s - 1];
                TEST_CHECK(sl->y > p->y + 1e-9 || (sl->y - p->y < 1e-9 && sl->x > p->x));
            }
        }
    }
    /* 6: rows centred at 1/6 and 1/2; 12: rows at 1/8, 3/8, 5/8 */
    TEST_CHECK(def->variants[3].slots[0].y > 0.1666 && def->variants[3].slots[0].y < 0.1667);
    TEST_CHECK(def->variants[3].slots[3].y > 0.4999 && def->variants[3].slots[3].y < 0.5001);
    TEST_CHECK(def->variants[5].slots[8].y > 0.6249 && def->variants[5].slots[8].y < 0.6251);
    layout_def_free(&def);
    return 0;
}

static int test_pick_variant(void)
{
    static const int n[] = { 1, 3, 5, 9, 10, 26, 0 };
    static const int want[] = { 1, 4, 6, 9, 12, 25, 1 };
    struct layout_def *def = NULL;

    TEST_CHECK(load_builtin(&def, "grid") == 0);
    for (int i = 0; i < 7; i++)
        TEST_CHECK(layout_def_pick_variant(def, n[i])->max_participants == want[i]);
    TEST_CHECK(layout_def_pick_variant(NULL, 1) == NULL);
    layout_def_free(&def);
    return 0;
}

/* Parses `json` expecting failure with a message containing `want`. */
static int parse_fails(const char *json, const char *want)
{
    struct layout_def *def = (struct layout_def *)&def;   /* must stay untouched */
    char err[256] = "";
    int ret = layout_def_parse(&def, json, strlen(json), err, sizeof(err));

    if (ret >= 0 || def != (struct layout_def *)&def || !strstr(err, want)) {
        fprintf(stderr, "    ret %d, message '%s', wanted '%s'\n", ret, err, want);
        return 1;
    }
    return 0;
}

#define V1 "{\"max_participants\":1,\"slots\":[{\"x\":0,\"y\":0,\"w\":1,\"h\":1}]}"
#define S "{\"x\":0,\"y\":0,\"w\":0.5,\"h\":0.5}"

static int test_parse_errors(void)
{
    TEST_CHECK(!parse_fails("{\"name\":\"x\",", "line 1"));
    TEST_CHECK(!parse_fails("[]", "top level must be an object"));
    TEST_CHECK(!parse_fails("{\"variants\":[" V1 "]}", "name must be"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[]}", "variants must be"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[" V1 "," V1 "]}",
                            "two variants have max_participants 1"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[" V1 ",{\"max_participants\":3,\"slots\":["
                            S "," S ",{\"x\":0,\"y\":0,\"w\":1.5,\"h\":0.5}]}]}",
                            "layout: variant 2 slot 3: w must be in (0,1]"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":1,\"slots\":"
                            "[{\"x\":0,\"y\":0,\"w\":0,\"h\":1}]}]}", "variant 1 slot 1: w must be in (0,1]"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":1,\"slots\":"
                            "[{\"x\":-0.1,\"y\":0,\"w\":0.5,\"h\":1}]}]}", "slot 1: x must be in [0,1)"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":1,\"slots\":"
                            "[{\"x\":0.6,\"y\":0,\"w\":0.5,\"h\":1}]}]}", "slot 1: x + w must be <= 1"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":1,\"slots\":"
                            "[{\"x\":0,\"w\":0.5,\"h\":1}]}]}", "slot 1: y is required"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":1,\"slots\":"
                            "[{\"x\":0,\"y\":0,\"w\":1,\"h\":1,\"role\":\"boss\"}]}]}",
                            "slot 1: role must be one of"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":1,\"slots\":"
                            "[{\"x\":0,\"y\":0,\"wdith\":1,\"h\":1}]}]}", "unknown field 'wdith'"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":1,\"slots\":"
                            "[{\"x\":0,\"y\":0,\"w\":1,\"h\":1,\"z\":1.5}]}]}", "z must be an integer"));
    TEST_CHECK(!parse_fails("{\"name\":\"x\",\"variants\":[{\"max_participants\":0,\"slots\":[" S "]}]}",
                            "variant 1: max_participants must be"));
    return 0;
}

static int test_parse_ok(void)
{
    const char *json = "{\"name\":\"two\",\"variants\":[{\"max_participants\":2,\"slots\":["
                       "{\"x\":0,\"y\":0,\"w\":1,\"h\":1,\"role\":\"speaker\",\"fit\":\"letterbox\"},"
                       "{\"x\":0.5,\"y\":0.5,\"w\":0.5,\"h\":0.5,\"z\":2,\"role\":\"screen\",\"fit\":\"crop\"}]},"
                       V1 "]}";
    struct layout_def *def = NULL;
    char err[256] = "";

    TEST_CHECK(layout_def_parse(&def, json, strlen(json), err, sizeof(err)) == 0);
    TEST_CHECK(!strcmp(def->name, "two") && def->variant_count == 2);
    TEST_CHECK(def->variants[0].max_participants == 1);   /* sorted */
    TEST_CHECK(def->variants[1].slots[0].role == LAYOUT_ROLE_SPEAKER);
    TEST_CHECK(def->variants[1].slots[0].fit == LAYOUT_FIT_LETTERBOX);
    TEST_CHECK(def->variants[1].slots[1].z == 2 && def->variants[1].slots[1].role == LAYOUT_ROLE_SCREEN);
    TEST_CHECK(def->variants[1].slots[1].fit == LAYOUT_FIT_CROP);
    layout_def_free(&def);
    layout_def_free(&def);   /* freeing twice is harmless */
    return 0;
}

static int test_load_errors(void)
{
    const char *bad = "{\"name\":\"bad\",\"variants\":[" V1 ",{\"max_participants\":3,\"slots\":["
                      S "," S ",{\"x\":0,\"y\":0,\"w\":0.5,\"h\":2}]}]}";
    char path[] = "/tmp/tessera_layout_XXXXXX.json", err[512] = "", want[600];
    struct layout_def *def = NULL;
    FILE *f;
    int fd;

    TEST_CHECK(layout_def_load(&def, "foo", "/nowhere", err, sizeof(err)) == -ENOENT);
    TEST_CHECK(!strcmp(err, "unknown layout 'foo' (built in: grid, speaker, filmstrip, presentation, pip)"));
    TEST_CHECK(layout_def_load(&def, "/nonexistent/x.json", NULL, err, sizeof(err)) == -ENOENT);
    TEST_CHECK(strstr(err, "/nonexistent/x.json") && strstr(err, "cannot open"));
    TEST_CHECK(layout_def_load(&def, "grid", "/nonexistent", err, sizeof(err)) == -ENOENT);
    TEST_CHECK(def == NULL);

    fd = mkstemps(path, 5);
    TEST_CHECK(fd >= 0);
    f = fdopen(fd, "w");
    TEST_CHECK(f);
    fputs(bad, f);
    fclose(f);
    err[0] = 0;
    TEST_CHECK(layout_def_load(&def, path, NULL, err, sizeof(err)) == -EINVAL);
    unlink(path);
    snprintf(want, sizeof(want), "layout %s: variant 2 slot 3: h must be in (0,1]", path);
    TEST_CHECK(!strcmp(err, want));
    TEST_CHECK(def == NULL);
    return 0;
}

static int test_fit_resolve(void)
{
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_AUTO, 9.0 / 16, 16.0 / 9) == LAYOUT_FIT_LETTERBOX);
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_AUTO, 4.0 / 3, 16.0 / 9) == LAYOUT_FIT_CROP);
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_AUTO, 16.0 / 9, 16.0 / 9) == LAYOUT_FIT_CROP);
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_AUTO, 16.0 / 9, 4.0 / 3) == LAYOUT_FIT_CROP);
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_AUTO, 1.0, 16.0 / 9) == LAYOUT_FIT_LETTERBOX);
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_CROP, 9.0 / 16, 16.0 / 9) == LAYOUT_FIT_CROP);
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_LETTERBOX, 4.0 / 3, 16.0 / 9) == LAYOUT_FIT_LETTERBOX);
    TEST_CHECK(layout_fit_resolve(LAYOUT_FIT_AUTO, 0.0, 16.0 / 9) == LAYOUT_FIT_LETTERBOX);
    return 0;
}

/* --- placement ---------------------------------------------------------------------- */

static int place(struct layout_engine *e, const int *ids, int n, int speaker, struct layout_placement *out)
{
    struct layout_participant parts[64];
    for (int i = 0; i < n; i++) {
        parts[i].id = ids[i];
        parts[i].is_screen = 0;
    }
    return layout_engine_place(e, parts, n, speaker, out, LAYOUT_MAX_SLOTS);
}

/* The slot of `id` in a placement, -1 when not shown. */
static int slot_in(const struct layout_placement *p, int count, int id)
{
    for (int i = 0; i < count; i++)
        if (p[i].id == id)
            return p[i].slot_index;
    return -1;
}

static int test_stable_leave_join(void)
{
    struct layout_def *def = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[LAYOUT_MAX_SLOTS];
    int ids[] = { 10, 11, 12, 13 };
    int left[] = { 10, 12, 13 };
    int joined[] = { 10, 12, 13, 14 };

    TEST_CHECK(load_builtin(&def, "grid") == 0);
    TEST_CHECK(layout_engine_alloc(&e, def) == 0);
    TEST_CHECK(place(e, ids, 4, -1, p) == 4);
    for (int i = 0; i < 4; i++)
        TEST_CHECK(slot_in(p, 4, ids[i]) == i);
    TEST_CHECK(place(e, left, 3, -1, p) == 3);          /* 11 leaves from the middle */
    TEST_CHECK(slot_in(p, 3, 10) == 0 && slot_in(p, 3, 12) == 2 && slot_in(p, 3, 13) == 3);
    TEST_CHECK(slot_in(p, 3, 11) == -1);
    TEST_CHECK(place(e, joined, 4, -1, p) == 4);        /* 14 joins into the hole */
    TEST_CHECK(slot_in(p, 4, 14) == 1);
    TEST_CHECK(slot_in(p, 4, 10) == 0 && slot_in(p, 4, 12) == 2 && slot_in(p, 4, 13) == 3);
    TEST_CHECK(p[1].slot.x == 0.5 && p[1].slot.y == 0.0);
    layout_engine_free(&e);
    TEST_CHECK(e == NULL);
    layout_def_free(&def);
    return 0;
}

static int test_variant_change_order(void)
{
    struct layout_def *def = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[LAYOUT_MAX_SLOTS];
    int four[] = { 1, 2, 3, 4 }, hole[] = { 1, 3, 4, 5 }, six[] = { 1, 3, 4, 5, 6, 7 };
    int down[] = { 1, 5, 7 };

    TEST_CHECK(load_builtin(&def, "grid") == 0);
    TEST_CHECK(layout_engine_alloc(&e, def) == 0);
    TEST_CHECK(place(e, four, 4, -1, p) == 4);
    TEST_CHECK(place(e, hole, 4, -1, p) == 4);          /* 5 took 2's slot 1 */
    TEST_CHECK(slot_in(p, 4, 5) == 1);
    TEST_CHECK(place(e, six, 6, -1, p) == 6);           /* grid 4 -> 6: order 1 5 3 4, then 6 7 */
    TEST_CHECK(p[0].slot.w < 0.34);
    TEST_CHECK(slot_in(p, 6, 1) == 0 && slot_in(p, 6, 5) == 1 && slot_in(p, 6, 3) == 2);
    TEST_CHECK(slot_in(p, 6, 4) == 3 && slot_in(p, 6, 6) == 4 && slot_in(p, 6, 7) == 5);
    TEST_CHECK(place(e, down, 3, -1, p) == 3);          /* 6 -> 4: compacted, order kept */
    TEST_CHECK(slot_in(p, 3, 1) == 0 && slot_in(p, 3, 5) == 1 && slot_in(p, 3, 7) == 2);
    layout_engine_free(&e);
    layout_def_free(&def);
    return 0;
}

static int test_speaker_swap(void)
{
    struct layout_def *def = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[LAYOUT_MAX_SLOTS], q[LAYOUT_MAX_SLOTS];
    int ids[] = { 1, 2, 3, 4, 5 }, moved = 0;

    TEST_CHECK(load_builtin(&def, "speaker") == 0);
    TEST_CHECK(layout_engine_alloc(&e, def) == 0);
    TEST_CHECK(place(e, ids, 5, -1, p) == 5);
    TEST_CHECK(slot_in(p, 5, 1) == 0);                  /* first joiner holds the speaker slot */
    TEST_CHECK(p[0].slot.role == LAYOUT_ROLE_SPEAKER);
    TEST_CHECK(place(e, ids, 5, 4, q) == 5);
    TEST_CHECK(slot_in(q, 5, 4) == 0 && slot_in(q, 5, 1) == slot_in(p, 5, 4));
    for (int i = 0; i < 5; i++)
        moved += slot_in(p, 5, ids[i]) != slot_in(q, 5, ids[i]);
    TEST_CHECK(moved == 2);
    TEST_CHECK(place(e, ids, 5, -1, p) == 5);           /* silence: the holder keeps it */
    TEST_CHECK(slot_in(p, 5, 4) == 0);
    TEST_CHECK(place(e, ids, 5, 99, p) == 5);           /* unknown speaker: same as none */
    TEST_CHECK(slot_in(p, 5, 4) == 0);
    layout_engine_free(&e);
    layout_def_free(&def);
    return 0;
}

static int test_pins(void)
{
    struct layout_def *grid = NULL, *speaker = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[LAYOUT_MAX_SLOTS];
    int ids[] = { 1, 2, 3, 4 }, many[12];

    TEST_CHECK(load_builtin(&grid, "grid") == 0 && load_builtin(&speaker, "speaker") == 0);
    TEST_CHECK(layout_engine_alloc(&e, grid) == 0);
    TEST_CHECK(place(e, ids, 4, -1, p) == 4 && slot_in(p, 4, 1) == 0 && slot_in(p, 4, 4) == 3);
    TEST_CHECK(layout_engine_pin(e, 4, 0) == 0);          /* pin the last joiner top-left */
    TEST_CHECK(place(e, ids, 4, -1, p) == 4 && slot_in(p, 4, 4) == 0 && slot_in(p, 4, 1) == 3);
    TEST_CHECK(layout_engine_pin(e, 2, 0) == 0);          /* a new pin of the slot wins */
    TEST_CHECK(place(e, ids, 4, -1, p) == 4 && slot_in(p, 4, 2) == 0);
    TEST_CHECK(layout_engine_pin(e, 2, -1) == 0);         /* unpin: nobody is pinned now */
    TEST_CHECK(layout_engine_pin(e, 99, 0) == 0);         /* a pin of someone absent is ignored */
    TEST_CHECK(place(e, ids, 4, -1, p) == 4 && slot_in(p, 4, 2) == 0);
    layout_engine_set_def(e, speaker);                    /* a pin beats the active speaker */
    TEST_CHECK(layout_engine_pin(e, 3, 0) == 0);
    TEST_CHECK(place(e, ids, 4, 1, p) == 4 && slot_in(p, 4, 3) == 0 && slot_in(p, 4, 1) > 0);
    for (int i = 0; i < 12; i++)
        many[i] = 10 + i;
    layout_engine_set_def(e, grid);
    TEST_CHECK(layout_engine_pin(e, 21, 1) == 0);          /* brings in someone beyond the slots */
    TEST_CHECK(place(e, many, 12, -1, p) == 12 && slot_in(p, 12, 21) == 1);
    for (int i = 0; i < LAYOUT_MAX_PINS - 2; i++)
        TEST_CHECK(layout_engine_pin(e, 100 + i, 2 + i) == 0);
    TEST_CHECK(layout_engine_pin(e, 200, 20) == -ENOSPC);
    TEST_CHECK(layout_engine_pin(e, 1, LAYOUT_MAX_SLOTS) == -EINVAL);
    layout_engine_free(&e);
    layout_def_free(&grid);
    layout_def_free(&speaker);
    return 0;
}

static int test_beyond_capacity(void)
{
    struct layout_def *grid = NULL, *pip = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[LAYOUT_MAX_SLOTS];
    int ids[30], count, evicted = -1;

    for (int i = 0; i < 30; i++)
        ids[i] = 100 + i;
    TEST_CHECK(load_builtin(&pip, "pip") == 0);
    TEST_CHECK(layout_engine_alloc(&e, pip) == 0);
    TEST_CHECK(place(e, ids, 3, -1, p) == 2);
    TEST_CHECK(slot_in(p, 2, 100) == 0 && slot_in(p, 2, 101) == 1 && slot_in(p, 2, 102) == -1);
    TEST_CHECK(p[0].slot.z == 0 && p[1].slot.z == 1);   /* sorted by z */
    TEST_CHECK(place(e, ids, 3, 102, p) == 2);          /* the speaker is always shown */
    TEST_CHECK(slot_in(p, 2, 102) == 0 && slot_in(p, 2, 100) == 1 && slot_in(p, 2, 101) == -1);
    layout_engine_free(&e);

    TEST_CHECK(load_builtin(&grid, "grid") == 0);
    TEST_CHECK(layout_engine_alloc(&e, grid) == 0);
    TEST_CHECK(place(e, ids, 30, -1, p) == 25);
    TEST_CHECK(slot_in(p, 25, 124) == 24 && slot_in(p, 25, 125) == -1);
    count = place(e, ids, 30, 128, p);
    TEST_CHECK(count == 25 && slot_in(p, 25, 128) >= 0);
    for (int i = 0; i < 25; i++)
        if (slot_in(p, 25, ids[i]) < 0)
            evicted = ids[i];
    TEST_CHECK(evicted == 124 && slot_in(p, 25, 128) == 24);   /* one tile changed hands */
    TEST_CHECK(place(e, ids, 30, -1, p) == 25 && slot_in(p, 25, 128) == 24);
    TEST_CHECK(layout_engine_place(e, NULL, 0, -1, p, 4) == 0);
    layout_engine_free(&e);
    layout_def_free(&grid);
    layout_def_free(&pip);
    return 0;
}

static int test_screen_share(void)
{
    struct layout_def *def = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[LAYOUT_MAX_SLOTS];
    struct layout_participant parts[4] = { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 9, 1 } };

    TEST_CHECK(load_builtin(&def, "presentation") == 0);
    TEST_CHECK(layout_engine_alloc(&e, def) == 0);
    /* no share yet: the screen slot acts as the speaker slot */
    TEST_CHECK(layout_engine_place(e, parts, 3, 2, p, LAYOUT_MAX_SLOTS) == 3);
    TEST_CHECK(slot_in(p, 3, 2) == 0 && p[0].slot.role == LAYOUT_ROLE_SCREEN);
    /* the share joins last and takes the screen slot; the speaker goes to the speaker slot */
    TEST_CHECK(layout_engine_place(e, parts, 4, 2, p, LAYOUT_MAX_SLOTS) == 4);
    TEST_CHECK(slot_in(p, 4, 9) == 0);
    TEST_CHECK(def->variants[3].slots[slot_in(p, 4, 2)].role == LAYOUT_ROLE_SPEAKER);
    TEST_CHECK(layout_engine_place(e, parts, 4, 3, p, LAYOUT_MAX_SLOTS) == 4);
    TEST_CHECK(slot_in(p, 4, 9) == 0 && slot_in(p, 4, 3) == 1);
    layout_engine_free(&e);
    layout_def_free(&def);
    return 0;
}

/* A custom layout whose speaker slot is not slot 0 and whose z order differs from slot order. */
static int test_custom_roles(void)
{
    const char *json = "{\"name\":\"custom\",\"variants\":[{\"max_participants\":4,\"slots\":["
                       "{\"x\":0,\"y\":0,\"w\":0.25,\"h\":0.25,\"z\":1},"
                       "{\"x\":0.25,\"y\":0,\"w\":0.25,\"h\":0.25},"
                       "{\"x\":0,\"y\":0.25,\"w\":0.75,\"h\":0.75,\"role\":\"speaker\"},"
                       "{\"x\":0.5,\"y\":0,\"w\":0.25,\"h\":0.25}]}]}";
    struct layout_def *def = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[LAYOUT_MAX_SLOTS];
    struct layout_participant parts[3] = { { 1, 0 }, { 2, 0 }, { 3, 0 } };
    struct layout_participant later[3] = { { 2, 0 }, { 3, 0 }, { 4, 0 } };
    char err[256] = "";

    TEST_CHECK(layout_def_parse(&def, json, strlen(json), err, sizeof(err)) == 0);
    TEST_CHECK(layout_engine_alloc(&e, def) == 0);
    /* nobody spoke yet: the first joiner takes the speaker slot */
    TEST_CHECK(layout_engine_place(e, parts, 3, -1, p, LAYOUT_MAX_SLOTS) == 3);
    TEST_CHECK(slot_in(p, 3, 1) == 2 && slot_in(p, 3, 2) == 1 && slot_in(p, 3, 3) == 0);
    TEST_CHECK(p[0].slot_index == 1 && p[1].slot_index == 2 && p[2].slot_index == 0);   /* by z */
    TEST_CHECK(layout_engine_place(e, parts, 3, -1, p, 2) == 2);      /* truncated to max_out */
    TEST_CHECK(p[0].slot_index == 1 && p[1].slot_index == 2);
    /* the holder leaves: the first in join order moves in, nobody else moves */
    TEST_CHECK(layout_engine_place(e, later, 2, -1, p, LAYOUT_MAX_SLOTS) == 2);
    TEST_CHECK(slot_in(p, 2, 2) == 2 && slot_in(p, 2, 3) == 0);
    /* a joiner takes the freed `any` slot */
    TEST_CHECK(layout_engine_place(e, later, 3, -1, p, LAYOUT_MAX_SLOTS) == 3);
    TEST_CHECK(slot_in(p, 3, 2) == 2 && slot_in(p, 3, 3) == 0 && slot_in(p, 3, 4) == 1);
    layout_engine_free(&e);
    layout_def_free(&def);
    return 0;
}

static int test_bad_arguments(void)
{
    struct layout_def *def = NULL;
    struct layout_engine *e = NULL;
    struct layout_placement p[4];
    int dup[] = { 1, 2, 1 }, neg[] = { 1, -2 };

    TEST_CHECK(load_builtin(&def, "grid") == 0);
    TEST_CHECK(layout_engine_alloc(&e, NULL) == -EINVAL && e == NULL);
    TEST_CHECK(layout_engine_alloc(&e, def) == 0);
    TEST_CHECK(place(e, dup, 3, -1, p) == -EINVAL);
    TEST_CHECK(place(e, neg, 2, -1, p) == -EINVAL);
    TEST_CHECK(layout_engine_place(e, NULL, 2, -1, p, 4) == -EINVAL);
    TEST_CHECK(place(e, dup, 2, -1, p) == 2);
    TEST_CHECK(layout_engine_place(e, NULL, 0, -1, NULL, 0) == 0);
    layout_engine_free(&e);
    layout_engine_free(&e);
    layout_def_free(&def);
    return 0;
}

/* Random joins, leaves, speakers and layout switches; checks the invariants every call. */
static int test_random_invariants(void)
{
    static const char *const names[] = { "grid", "speaker", "filmstrip", "presentation", "pip" };
    struct layout_def *defs[5] = { NULL };
    struct layout_engine *e = NULL;
    struct layout_participant parts[40];
    struct layout_placement p[LAYOUT_MAX_SLOTS], prev[LAYOUT_MAX_SLOTS];
    const struct layout_variant *prev_v = NULL;
    unsigned seed = 12345;
    int n = 0, next_id = 0, prev_count = 0, d = 0;

    for (int i = 0; i < 5; i++)
        TEST_CHECK(load_builtin(&defs[i], names[i]) == 0);
    TEST_CHECK(layout_engine_alloc(&e, defs[0]) == 0);
    for (int step = 0; step < 3000; step++) {
        const struct layout_variant *v;
        int r, speaker, count, switched = 0;

        seed = seed * 1103515245u + 12345u;
        r = (int)((seed >> 16) % 100);
        if (r < 30 && n < 40) {
            parts[n].id = next_id++;
            parts[n++].is_screen = (seed >> 8) % 10 == 0;
        } else if (r < 50 && n > 0) {
            int k = (int)((seed >> 4) % (unsigned)n);
            memmove(&parts[k], &parts[k + 1], (size_t)(n - k - 1) * sizeof(parts[0]));
            n--;
        } else if (r == 99) {
            d = (d + 1) % 5;
            layout_engine_set_def(e, defs[d]);
            switched = 1;
        }
        speaker = n > 0 && (seed >> 12) % 3 ? parts[(seed >> 3) % (unsigned)n].id : -1;
        count = layout_engine_place(e, parts, n, speaker, p, LAYOUT_MAX_SLOTS);
        v = layout_def_pick_variant(defs[d], n);
        TEST_CHECK(count == (n < v->slot_count ? n : v->slot_count));
        for (int i = 0; i < count; i++) {
            TEST_CHECK(i == 0 || p[i - 1].slot.z <= p[i].slot.z);
            for (int j = 0; j < i; j++)
                TEST_CHECK(p[j].id != p[i].id && p[j].slot_index != p[i].slot_index);
        }
        TEST_CHECK(speaker < 0 || slot_in(p, count, speaker) >= 0);
        if (v == prev_v && !switched) {
            /* same variant: at most two present participants changed slots (a swap), plus
             * those displaced by a must-show entry */
            int moved = 0;
            for (int i = 0; i < prev_count; i++) {
                int now = slot_in(p, count, prev[i].id);
                moved += now >= 0 && now != prev[i].slot_index;
            }
            TEST_CHECK(moved <= 3);
        }
        memcpy(prev, p, sizeof(p));
        prev_count = count;
        prev_v = v;
    }
    layout_engine_free(&e);
    for (int i = 0; i < 5; i++)
        layout_def_free(&defs[i]);
    return 0;
}

/* --- speaker hysteresis ------------------------------------------------------------- */

static int test_speaker_hysteresis(void)
{
    struct layout_speaker s;
    int ids[] = { 1, 2 }, active[2];
    double level[2];
    int switched_at = -1;

    layout_speaker_init(&s, 1.5);
    TEST_CHECK(s.current_id == -1);
    active[0] = 0, active[1] = 0, level[0] = level[1] = -90;
    TEST_CHECK(layout_speaker_update(&s, 0.0, ids, level, active, 2) == -1);
    /* the first talker becomes current at once */
    active[0] = 1, level[0] = -20;
    TEST_CHECK(layout_speaker_update(&s, 0.02, ids, level, active, 2) == 1);
    /* a brief interjection (1.0 s) of a louder talker does not switch */
    for (int k = 0; k < 50; k++) {
        active[1] = 1, level[1] = -10;
        TEST_CHECK(layout_speaker_update(&s, 1.0 + k * 0.02, ids, level, active, 2) == 1);
    }
    active[1] = 0;
    TEST_CHECK(layout_speaker_update(&s, 2.0, ids, level, active, 2) == 1);
    /* silence keeps the current speaker */
    active[0] = 0;
    for (int k = 0; k < 200; k++)
        TEST_CHECK(layout_speaker_update(&s, 2.02 + k * 0.02, ids, level, active, 2) == 1);
    /* a sustained talker takes over after 1.5 s */
    active[1] = 1, level[1] = -15;
    for (int k = 0; k <= 100; k++) {
        double now = 10.0 + k * 0.02;
        if (layout_speaker_update(&s, now, ids, level, active, 2) == 2 && switched_at < 0)
            switched_at = k;
    }
    TEST_CHECK(switched_at >= 74 && switched_at <= 76);   /* 1.5 s of 20 ms ticks */
    /* an interrupted challenge starts over */
    active[0] = 1, level[0] = -5;
    TEST_CHECK(layout_speaker_update(&s, 20.0, ids, level, active, 2) == 2);
    active[0] = 0;
    TEST_CHECK(layout_speaker_update(&s, 21.0, ids, level, active, 2) == 2);
    active[0] = 1;
    TEST_CHECK(layout_speaker_update(&s, 21.2, ids, level, active, 2) == 2);
    TEST_CHECK(layout_speaker_update(&s, 22.5, ids, level, active, 2) == 2);
    TEST_CHECK(layout_speaker_update(&s, 22.8, ids, level, active, 2) == 1);
    /* a leaving speaker is forgotten; the next talker takes over at once */
    layout_speaker_remove(&s, 1);
    TEST_CHECK(s.current_id == -1);
    active[0] = 0, active[1] = 1;
    TEST_CHECK(layout_speaker_update(&s, 23.0, ids, level, active, 2) == 2);
    return 0;
}

static const struct test_case layout_cases[] = {
    { "builtins_load", test_builtins_load },
    { "grid_variants", test_grid_variants },
    { "pick_variant", test_pick_variant },
    { "parse_errors", test_parse_errors },
    { "parse_ok", test_parse_ok },
    { "load_errors", test_load_errors },
    { "fit_resolve", test_fit_resolve },
    { "stable_leave_join", test_stable_leave_join },
    { "variant_change_order", test_variant_change_order },
    { "speaker_swap", test_speaker_swap },
    { "beyond_capacity", test_beyond_capacity },
    { "pins", test_pins },
    { "screen_share", test_screen_share },
    { "custom_roles", test_custom_roles },
    { "bad_arguments", test_bad_arguments },
    { "random_invariants", test_random_invariants },
    { "speaker_hysteresis", test_speaker_hysteresis },
    { NULL, NULL },
};

const struct test_suite layout_suite = { "layout", layout_cases };
