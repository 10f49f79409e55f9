/* Layout definitions: JSON parsing and validation, file loading, variant pick, fit resolve. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "layouts/layout.h"

#define LAYOUT_FILE_MAX (1 << 20)      /* larger layout files are refused */
#define LAYOUT_EDGE_EPS 1e-6           /* tolerance for x + w <= 1 with rounded fractions */

static const char *const builtin_names[] = { "grid", "speaker", "filmstrip", "presentation", "pip" };

static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    if (!err || !err_size)
        return;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

/* Where a message comes from: "layout grid.json: variant 2 slot 3". Counted from 1. */
struct parse_ctx {
    const char *label;
    int variant;
    int slot;
    char *err;
    size_t err_size;
};

static int ctx_fail(const struct parse_ctx *c, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (c->slot)
        set_err(c->err, c->err_size, "%s: variant %d slot %d: %s", c->label, c->variant, c->slot, what);
    else if (c->variant)
        set_err(c->err, c->err_size, "%s: variant %d: %s", c->label, c->variant, what);
    else
        set_err(c->err, c->err_size, "%s: %s", c->label, what);
    return -EINVAL;
}

/* Fails on a key that is not in `allowed` (NULL-terminated): catches typos like "wdith". */
static int check_keys(const struct parse_ctx *c, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key))
            a++;
        if (!*a)
            return ctx_fail(c, "unknown field '%s'", key);
    }
    return 0;
}

static int parse_fraction(const struct parse_ctx *c, json_t *slot, const char *key, int allow_zero,
                          double *out)
{
    json_t *v = json_object_get(slot, key);
    if (!v)
        return ctx_fail(c, "%s is required", key);
    if (!json_is_number(v))
        return ctx_fail(c, "%s must be a number", key);
    *out = json_number_value(v);
    if (allow_zero ? (*out < 0.0 || *out >= 1.0) : (*out <= 0.0 || *out > 1.0))
        return ctx_fail(c, "%s must be in %s", key, allow_zero ? "[0,1)" : "(0,1]");
    return 0;
}

/* names has exactly 3 entries (the role and fit spellings); the index is the enum value. */
static int parse_enum(const struct parse_ctx *c, json_t *slot, const char *key,
                      const char *const *names, int *out)
{
    json_t *v = json_object_get(slot, key);
    *out = 0;
    if (!v)
        return 0;
    if (json_is_string(v))
        for (int i = 0; i < 3; i++)
            if (!strcmp(json_string_value(v), names[i])) {
                *out = i;
                return 0;
            }
    return ctx_fail(c, "%s must be one of \"%s\", \"%s\", \"%s\"", key, names[0], names[1], names[2]);
}

static int parse_slot(const struct parse_ctx *c, json_t *js, struct layout_slot *s)
{
    static const char *const keys[] = { "x", "y", "w", "h", "z", "role", "fit", NULL };
    static const char *const roles[] = { "any", "speaker", "screen" };
    static const char *const fits[] = { "auto", "crop", "letterbox" };
    int ret, role, fit;
    json_t *z;

    if (!json_is_object(js))
        return ctx_fail(c, "must be an object");
    if ((ret = check_keys(c, js, keys)) < 0 ||
        (ret = parse_fraction(c, js, "x", 1, &s->x)) < 0 ||
        (ret = parse_fraction(c, js, "y", 1, &s->y)) < 0 ||
        (ret = parse_fraction(c, js, "w", 0, &s->w)) < 0 ||
        (ret = parse_fraction(c, js, "h", 0, &s->h)) < 0)
        return ret;
    if (s->x + s->w > 1.0 + LAYOUT_EDGE_EPS)
        return ctx_fail(c, "x + w must be <= 1");
    if (s->y + s->h > 1.0 + LAYOUT_EDGE_EPS)
        return ctx_fail(c, "y + h must be <= 1");
    z = json_object_get(js, "z");
    if (z && (!json_is_integer(z) || json_integer_value(z) < -1000 || json_integer_value(z) > 1000))
        return ctx_fail(c, "z must be an integer in [-1000,1000]");
    s->z = z ? (int)json_integer_value(z) : 0;
    if ((ret = parse_enum(c, js, "role", roles, &role)) < 0 ||
        (ret = parse_enum(c, js, "fit", fits, &fit)) < 0)
        return ret;
    s->role = (enum layout_role)role;
    s->fit = (enum layout_fit)fit;
    return 0;
}

static int parse_variant(struct parse_ctx *c, json_t *jv, struct layout_variant *v)
{
    static const char *const keys[] = { "max_participants", "slots", NULL };
    json_t *maxp, *slots, *js;
    size_t i;
    int ret;

    if (!json_is_object(jv))
        return ctx_fail(c, "must be an object");
    if ((ret = check_keys(c, jv, keys)) < 0)
        return ret;
    maxp = json_object_get(jv, "max_participants");
    if (!json_is_integer(maxp) || json_integer_value(maxp) < 1 || json_integer_value(maxp) > 100000)
        return ctx_fail(c, "max_participants must be an integer >= 1");
    v->max_participants = (int)json_integer_value(maxp);
    slots = json_object_get(jv, "slots");
    if (!json_is_array(slots) || json_array_size(slots) < 1 || json_array_size(slots) > LAYOUT_MAX_SLOTS)
        return ctx_fail(c, "slots must be an array of 1 to %d slots", LAYOUT_MAX_SLOTS);
    v->slot_count = (int)json_array_size(slots);
    json_array_foreach(slots, i, js) {
        c->slot = (int)i + 1;
        if ((ret = parse_slot(c, js, &v->slots[i])) < 0)
            return ret;
    }
    c->slot = 0;
    return 0;
}

/* Sorts variants by max_participants (insertion sort, stable) and rejects duplicates. */
static int sort_variants(const struct parse_ctx *c, struct layout_def *def)
{
    for (int i = 1; i < def->variant_count; i++) {
        struct layout_variant tmp = def->variants[i];
        int j = i;
        while (j > 0 && def->variants[j - 1].max_participants > tmp.max_participants) {
            def->variants[j] = def->variants[j - 1];
            j--;
        }
        def->variants[j] = tmp;
    }
    for (int i = 1; i < def->variant_count; i++)
        if (def->variants[i].max_participants == def->variants[i - 1].max_participants)
            return ctx_fail(c, "two variants have max_participants %d", def->variants[i].max_participants);
    return 0;
}

static int parse_labelled(struct layout_def **out, const char *json, size_t len, const char *label,
                          char *err, size_t err_size)
{
    static const char *const keys[] = { "name", "description", "variants", NULL };
    struct parse_ctx c = { label, 0, 0, err, err_size };
    struct layout_def *def = NULL;
    json_error_t jerr;
    json_t *root = NULL, *name, *variants, *jv;
    size_t i;
    int ret;

    if (!out || (!json && len)) {
        ret = ctx_fail(&c, "no input");
        goto fail;
    }
    root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        ret = ctx_fail(&c, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if (!json_is_object(root)) {
        ret = ctx_fail(&c, "top level must be an object");
        goto fail;
    }
    if ((ret = check_keys(&c, root, keys)) < 0)
        goto fail;
    def = calloc(1, sizeof(*def));
    if (!def) {
        ret = -ENOMEM;
        set_err(err, err_size, "%s: out of memory", label);
        goto fail;
    }
    name = json_object_get(root, "name");
    if (!json_is_string(name) || !json_string_length(name) ||
        json_string_length(name) >= sizeof(def->name)) {
        ret = ctx_fail(&c, "name must be a string of 1 to %zu characters", sizeof(def->name) - 1);
        goto fail;
    }
    memcpy(def->name, json_string_value(name), json_string_length(name) + 1);
    variants = json_object_get(root, "variants");
    if (!json_is_array(variants) || json_array_size(variants) < 1 ||
        json_array_size(variants) > LAYOUT_MAX_VARIANTS) {
        ret = ctx_fail(&c, "variants must be an array of 1 to %d variants", LAYOUT_MAX_VARIANTS);
        goto fail;
    }
    def->variant_count = (int)json_array_size(variants);
    json_array_foreach(variants, i, jv) {
        c.variant = (int)i + 1;
        if ((ret = parse_variant(&c, jv, &def->variants[i])) < 0)
            goto fail;
    }
    c.variant = 0;
    if ((ret = sort_variants(&c, def)) < 0)
        goto fail;
    json_decref(root);
    *out = def;
    return 0;
fail:
    free(def);
    json_decref(root);
    return ret;
}

int layout_def_parse(struct layout_def **out, const char *json, size_t len,
                     char *err, size_t err_size)
{
    return parse_labelled(out, json, len, "layout", err, err_size);
}

/* Reads a whole file (at most LAYOUT_FILE_MAX bytes) into a malloc'ed buffer. */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t err_size)
{
    char *data = NULL;
    size_t n;
    int ret;
    FILE *f = fopen(path, "rb");

    if (!f) {
        ret = errno ? -errno : -ENOENT;
        set_err(err, err_size, "layout %s: cannot open: %s", path, strerror(-ret));
        goto fail;
    }
    data = malloc(LAYOUT_FILE_MAX + 1);
    if (!data) {
        ret = -ENOMEM;
        set_err(err, err_size, "layout %s: out of memory", path);
        goto fail;
    }
    n = fread(data, 1, LAYOUT_FILE_MAX + 1, f);
    if (ferror(f)) {
        ret = -EIO;
        set_err(err, err_size, "layout %s: read error", path);
        goto fail;
    }
    if (n > LAYOUT_FILE_MAX) {
        ret = -EFBIG;
        set_err(err, err_size, "layout %s: larger than %d bytes", path, LAYOUT_FILE_MAX);
        goto fail;
    }
    fclose(f);
    *buf = data;
    *len = n;
    return 0;
fail:
    free(data);
    if (f)
        fclose(f);
    return ret;
}

static int is_path(const char *s)
{
    size_t len = strlen(s);
    return strchr(s, '/') || (len >= 5 && !strcmp(s + len - 5, ".json"));
}

static int is_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
        if (!strcmp(name, builtin_names[i]))
            return 1;
    return 0;
}

int layout_def_load(struct layout_def **out, const char *name_or_path, const char *dir,
                    char *err, size_t err_size)
{
    char path[4096], label[4200];
    char *data = NULL;
    size_t len = 0;
    int ret;

    if (!out || !name_or_path) {
        ret = -EINVAL;
        set_err(err, err_size, "layout: no name given");
        goto fail;
    }
    if (is_path(name_or_path)) {
        if (snprintf(path, sizeof(path), "%s", name_or_path) >= (int)sizeof(path)) {
            ret = -ENAMETOOLONG;
            set_err(err, err_size, "layout: path too long");
            goto fail;
        }
        snprintf(label, sizeof(label), "layout %s", path);
    } else {
        if (!is_builtin(name_or_path)) {
            ret = -ENOENT;
            set_err(err, err_size, "unknown layout '%s' (built in: %s)", name_or_path, LAYOUT_BUILTIN_NAMES);
            goto fail;
        }
        if (!dir) {
            ret = -EINVAL;
            set_err(err, err_size, "layout %s: no layout folder given", name_or_path);
            goto fail;
        }
        if (snprintf(path, sizeof(path), "%s/%s.json", dir, name_or_path) >= (int)sizeof(path)) {
            ret = -ENAMETOOLONG;
            set_err(err, err_size, "layout %s: folder path too long", name_or_path);
            goto fail;
        }
        snprintf(label, sizeof(label), "layout %s.json", name_or_path);
    }
    if ((ret = read_file(path, &data, &len, err, err_size)) < 0)
        goto fail;
    ret = parse_labelled(out, data, len, label, err, err_size);
fail:
    free(data);
    return ret;
}

void layout_def_free(struct layout_def **p)
{
    if (!p)
        return;
    free(*p);
    *p = NULL;
}

const struct layout_variant *layout_def_pick_variant(const struct layout_def *def, int n)
{
    if (!def || def->variant_count < 1)
        return NULL;
    for (int i = 0; i < def->variant_count; i++)
        if (def->variants[i].max_participants >= n)
            return &def->variants[i];
    return &def->variants[def->variant_count - 1];
}

enum layout_fit layout_fit_resolve(enum layout_fit fit, double src_aspect, double slot_aspect)
{
    double ratio;

    if (fit == LAYOUT_FIT_CROP || fit == LAYOUT_FIT_LETTERBOX)
        return fit;
    if (!(src_aspect > 0.0) || !(slot_aspect > 0.0))
        return LAYOUT_FIT_LETTERBOX;   /* unknown shape: never cut anything off */
    ratio = src_aspect > slot_aspect ? src_aspect / slot_aspect : slot_aspect / src_aspect;
    return ratio < LAYOUT_FIT_AUTO_MAX_RATIO ? LAYOUT_FIT_CROP : LAYOUT_FIT_LETTERBOX;
}
