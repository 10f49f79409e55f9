/* Parsing of `tessera mix` arguments and of INPUT specifications. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>
#include "mixer/cli.h"

void cli_print_usage(void)
{
    printf("usage: tessera mix [options] INPUT...\n"
           "       tessera serve [--config FILE]   live rooms with an HTTP API (docs/API.md)\n"
           "       tessera --help | --version\n"
           "\n"
           "Composites every INPUT into one layout, burns in names and captions, mixes\n"
           "the audio and encodes the result once per output profile.\n"
           "\n"
           "INPUT: [name=NAME,at=SECONDS,role=screen:]URL   any libavformat input\n"
           "       (file, SDP file of an RTP stream, rtsp://...). at= joins late.\n"
           "\n"
           "options:\n"
           "  --layout NAME|FILE.json  grid (default), speaker, filmstrip, presentation, pip\n"
           "  --captions FILE.vtt      WebVTT cues burned in; <v Name> gives the speaker\n"
           "  --profile NAME=URL       write profile NAME to URL (repeatable); built in:\n"
           "                           hd, low, legacy, phone, record, broadcast\n"
           "  --profiles FILE.json     override or add profiles (docs/PROFILES.md)\n"
           "  --timeline FILE.json     write who spoke when (speech segments)\n"
           "  --duration S             stop after S seconds (default: when inputs end)\n"
           "  --size WxH               canvas size (default 1280x720)\n"
           "  --fps N                  canvas frame rate (default 30)\n"
           "  --speaker-hold S         speaker switch hysteresis (default 1.5)\n"
           "  --quiet                  no progress line\n"
           "\n"
           "Without --profile, writes out/record.mp4.\n");
}

static int cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return AVERROR(EINVAL);
    *out = v;
    return 0;
}

/* "key=value,key=value" with known keys only: the options prefix of an INPUT. */
static int cli_is_options_prefix(const char *prefix, size_t len)
{
    const char *p = prefix, *end = prefix + len;

    if (!len || !memchr(prefix, '=', len))
        return 0;
    while (p < end) {
        const char *comma = memchr(p, ',', end - p);
        const char *item_end = comma ? comma : end;
        size_t klen = strcspn(p, "=");
        if (p + klen >= item_end)
            return 0;
        if (!((klen == 4 && !strncmp(p, "name", 4)) || (klen == 2 && !strncmp(p, "at", 2)) ||
              (klen == 4 && !strncmp(p, "role", 4))))
            return 0;
        p = item_end + (comma ? 1 : 0);
    }
    return 1;
}

static int cli_parse_input_option(struct cli_input *in, const char *item, size_t len,
                                  const char *arg, char *err, size_t err_size)
{
    char value[256];
    size_t klen = strcspn(item, "=");

    if (len - klen - 1 >= sizeof(value)) {
        snprintf(err, err_size, "input '%s': option value too long", arg);
        return AVERROR(EINVAL);
    }
    memcpy(value, item + klen + 1, len - klen - 1);
    value[len - klen - 1] = '\0';
    if (!strncmp(item, "name", 4)) {
        if (!*value || strlen(value) >= sizeof(in->name)) {
            snprintf(err, err_size, "input '%s': name must be 1-63 bytes", arg);
            return AVERROR(EINVAL);
        }
        memcpy(in->name, value, strlen(value) + 1);
    } else if (!strncmp(item, "at", 2)) {
        if (cli_parse_double(value, 0, 86400, &in->at) < 0) {
            snprintf(err, err_size, "input '%s': at= must be seconds in [0, 86400]", arg);
            return AVERROR(EINVAL);
        }
    } else {
        if (strcmp(value, "screen") && strcmp(value, "camera")) {
            snprintf(err, err_size, "input '%s': role must be screen or camera", arg);
            return AVERROR(EINVAL);
        }
        in->is_screen = !strcmp(value, "screen");
    }
    return 0;
}

int cli_parse_input(struct cli_input *in, const char *arg, char *err, size_t err_size)
{
    const char *colon = strchr(arg, ':');
    const char *url = arg;

    memset(in, 0, sizeof(*in));
    if (colon && cli_is_options_prefix(arg, colon - arg)) {
        const char *p = arg;
        while (p < colon) {
            const char *comma = memchr(p, ',', colon - p);
            const char *item_end = comma ? comma : colon;
            int ret = cli_parse_input_option(in, p, item_end - p, arg, err, err_size);
            if (ret < 0)
                return ret;
            p = item_end + (comma ? 1 : 0);
        }
        url = colon + 1;
    }
    if (!*url || strlen(url) >= sizeof(in->url)) {
        snprintf(err, err_size, "input '%s': missing or too long URL", arg);
        return AVERROR(EINVAL);
    }
    snprintf(in->url, sizeof(in->url), "%s", url);
    return 0;
}

void cli_input_display_name(const struct cli_input *in, char *buf, size_t size)
{
    const char *base, *dot;
    size_t len;

    if (in->name[0]) {
        snprintf(buf, size, "%s", in->name);
        return;
    }
    base = strrchr(in->url, '/');
    base = base ? base + 1 : in->url;
    dot = strrchr(base, '.');
    len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (len >= size)
        len = size - 1;
    memcpy(buf, base, len);
    buf[len] = '\0';
}

static int cli_parse_output(struct mix_options *o, const char *arg, char *err, size_t err_size)
{
    const char *eq = strchr(arg, '=');
    struct cli_output *out;

    if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(out->profile)) {
        snprintf(err, err_size, "--profile '%s': expected NAME=URL", arg);
        return AVERROR(EINVAL);
    }
    if (o->output_count >= CLI_MAX_OUTPUTS) {
        snprintf(err, err_size, "--profile: more than %d outputs", CLI_MAX_OUTPUTS);
        return AVERROR(EINVAL);
    }
    out = &o->outputs[o->output_count++];
    memcpy(out->profile, arg, eq - arg);
    out->profile[eq - arg] = '\0';
    snprintf(out->url, sizeof(out->url), "%s", eq + 1);
    return 0;
}

static int cli_parse_size(struct mix_options *o, const char *arg, char *err, size_t err_size)
{
    int w, h;
    char tail;

    if (sscanf(arg, "%dx%d%c", &w, &h, &tail) != 2 || w < 64 || h < 64 || w > 3840 ||
        h > 2160 || w % 2 || h % 2) {
        snprintf(err, err_size, "--size '%s': expected WxH, even, from 64x64 to 3840x2160", arg);
        return AVERROR(EINVAL);
    }
    o->width = w;
    o->height = h;
    return 0;
}

static int cli_copy_path(char *dst, const char *arg, const char *opt, char *err, size_t err_size)
{
    if (strlen(arg) >= CLI_PATH || !*arg) {
        snprintf(err, err_size, "%s: empty or too long", opt);
        return AVERROR(EINVAL);
    }
    snprintf(dst, CLI_PATH, "%s", arg);
    return 0;
}

/* One option with its value; returns 1 when it consumed the value, or < 0. */
static int cli_parse_option(struct mix_options *o, const char *opt, const char *val,
                            char *err, size_t err_size)
{
    double d;

    if (!val) {
        snprintf(err, err_size, "%s needs a value", opt);
        return AVERROR(EINVAL);
    }
    if (!strcmp(opt, "--layout"))
        return cli_copy_path(o->layout, val, opt, err, err_size);
    if (!strcmp(opt, "--captions"))
        return cli_copy_path(o->captions, val, opt, err, err_size);
    if (!strcmp(opt, "--profiles"))
        return cli_copy_path(o->profiles_file, val, opt, err, err_size);
    if (!strcmp(opt, "--timeline"))
        return cli_copy_path(o->timeline, val, opt, err, err_size);
    if (!strcmp(opt, "--profile"))
        return cli_parse_output(o, val, err, err_size);
    if (!strcmp(opt, "--size"))
        return cli_parse_size(o, val, err, err_size);
    if (!strcmp(opt, "--duration") || !strcmp(opt, "--fps") || !strcmp(opt, "--speaker-hold")) {
        int is_fps = !strcmp(opt, "--fps");
        if (cli_parse_double(val, is_fps ? 1 : 0, is_fps ? 60 : 86400, &d) < 0 ||
            (is_fps && d != (int)d) || (!strcmp(opt, "--duration") && d <= 0)) {
            snprintf(err, err_size, "%s '%s': %s", opt, val,
                     is_fps ? "expected an integer from 1 to 60" : "expected a positive number of seconds");
            return AVERROR(EINVAL);
        }
        if (is_fps)
            o->fps = (int)d;
        else if (!strcmp(opt, "--duration"))
            o->duration = d;
        else
            o->speaker_hold = d;
        return 0;
    }
    snprintf(err, err_size, "unknown option %s (see tessera --help)", opt);
    return AVERROR(EINVAL);
}

int cli_parse_mix(struct mix_options *o, int argc, char **argv, char *err, size_t err_size)
{
    int ret;

    memset(o, 0, sizeof(*o));
    snprintf(o->layout, sizeof(o->layout), "grid");
    o->width = 1280;
    o->height = 720;
    o->fps = 30;
    o->speaker_hold = 1.5;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->help = 1;
            return 0;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            ret = cli_parse_option(o, a, i + 1 < argc ? argv[i + 1] : NULL, err, err_size);
            if (ret < 0)
                return ret;
            i++;
            continue;
        }
        if (o->input_count >= CLI_MAX_INPUTS) {
            snprintf(err, err_size, "more than %d inputs", CLI_MAX_INPUTS);
            return AVERROR(EINVAL);
        }
        ret = cli_parse_input(&o->inputs[o->input_count], a, err, err_size);
        if (ret < 0)
            return ret;
        o->input_count++;
    }
    if (!o->input_count) {
        snprintf(err, err_size, "no input: give at least one INPUT (see tessera --help)");
        return AVERROR(EINVAL);
    }
    if (!o->output_count) {
        o->output_count = 1;
        snprintf(o->outputs[0].profile, sizeof(o->outputs[0].profile), "record");
        snprintf(o->outputs[0].url, sizeof(o->outputs[0].url), "out/record.mp4");
    }
    return 0;
}
