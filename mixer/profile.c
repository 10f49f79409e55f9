/* Built-in output profiles and the JSON profiles file that overrides them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "codecs/codec.h"
#include "mixer/profile.h"

static const struct profile_def profile_builtin[] = {
    { .name = "hd", .video_codec = "h264", .width = 1280, .height = 720, .fps = 30,
      .video_bitrate = 1500000, .audio_codec = "opus", .sample_rate = 48000, .channels = 1,
      .audio_bitrate = 48000, .format = "matroska" },
    { .name = "low", .video_codec = "h264", .width = 320, .height = 180, .fps = 15,
      .video_bitrate = 150000, .audio_codec = "opus", .sample_rate = 48000, .channels = 1,
      .audio_bitrate = 24000, .audio_frame_ms = 60, .format = "matroska" },
    { .name = "legacy", .video_codec = "h263p", .width = 352, .height = 288, .fps = 15,
      .video_bitrate = 384000, .audio_codec = "g722", .sample_rate = 16000, .channels = 1,
      .audio_bitrate = 64000, .format = "matroska" },
    { .name = "phone", .audio_codec = "pcmu", .sample_rate = 8000, .channels = 1,
      .audio_bitrate = 64000, .format = "wav" },
    { .name = "record", .video_codec = "h264", .width = 1280, .height = 720, .fps = 30,
      .video_bitrate = 2000000, .audio_codec = "aac", .sample_rate = 48000, .channels = 2,
      .audio_bitrate = 128000, .format = "mp4", .fragmented = 1, .captions_track = 1 },
    { .name = "broadcast", .video_codec = "h264", .width = 1280, .height = 720, .fps = 30,
      .video_bitrate = 2500000, .audio_codec = "aac", .sample_rate = 48000, .channels = 2,
      .audio_bitrate = 128000, .format = "hls" },
};

void profile_set_init_builtin(struct profile_set *set)
{
    size_t n = sizeof(profile_builtin) / sizeof(profile_builtin[0]);

    memset(set, 0, sizeof(*set));
    memcpy(set->defs, profile_builtin, sizeof(profile_builtin));
    set->count = (int)n;
}

const struct profile_def *profile_set_find(const struct profile_set *set, const char *name)
{
    for (int i = 0; i < set->count; i++)
        if (!strcmp(set->defs[i].name, name))
            return &set->defs[i];
    return NULL;
}

void profile_set_names(const struct profile_set *set, char *buf, size_t size)
{
    size_t used = 0;

    if (size)
        buf[0] = '\0';
    for (int i = 0; i < set->count && used < size; i++)
        used += snprintf(buf + used, size - used, "%s%s", i ? ", " : "", set->defs[i].name);
}

/* Reads an optional integer field within [lo, hi]. */
static int profile_read_int(json_t *obj, const char *key, int lo, int hi, int *value,
                            const char *where, char *err, size_t err_size)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(err, err_size, "%s: \"%s\" must be an integer in [%d, %d]", where, key, lo, hi);
        return AVERROR(EINVAL);
    }
    *value = (int)json_integer_value(v);
    return 0;
}

static int profile_read_codec(json_t *obj, enum AVMediaType type, char *codec, size_t size,
                              const char *where, char *err, size_t err_size)
{
    json_t *v = json_object_get(obj, "codec");
    const struct codec_desc *desc;

    if (!v)
        return 0;
    desc = json_is_string(v) ? codec_find(json_string_value(v)) : NULL;
    if (!desc || desc->type != type) {
        snprintf(err, err_size, "%s: unknown codec %s%s%s (known: %s)", where,
                 json_is_string(v) ? "'" : "", json_is_string(v) ? json_string_value(v) : "(not a string)",
                 json_is_string(v) ? "'" : "", codec_names(type));
        return AVERROR(EINVAL);
    }
    snprintf(codec, size, "%s", desc->name);
    return 0;
}

static int profile_parse_video(struct profile_def *def, json_t *video, const char *where,
                               char *err, size_t err_size)
{
    int ret;

    if (json_is_null(video)) {
        def->video_codec[0] = '\0';
        return 0;
    }
    if (!json_is_object(video)) {
        snprintf(err, err_size, "%s: \"video\" must be an object or null", where);
        return AVERROR(EINVAL);
    }
    if ((ret = profile_read_codec(video, AVMEDIA_TYPE_VIDEO, def->video_codec,
                                  sizeof(def->video_codec), where, err, err_size)) < 0 ||
        (ret = profile_read_int(video, "width", 16, 4096, &def->width, where, err, err_size)) < 0 ||
        (ret = profile_read_int(video, "height", 16, 4096, &def->height, where, err, err_size)) < 0 ||
        (ret = profile_read_int(video, "fps", 1, 120, &def->fps, where, err, err_size)) < 0 ||
        (ret = profile_read_int(video, "bitrate", 10000, 100000000, &def->video_bitrate, where, err, err_size)) < 0 ||
        (ret = profile_read_int(video, "gop", 1, 1200, &def->gop, where, err, err_size)) < 0)
        return ret;
    if (!def->video_codec[0] || !def->width || !def->height || !def->fps) {
        snprintf(err, err_size, "%s: video needs codec, width, height and fps", where);
        return AVERROR(EINVAL);
    }
    if (def->width % 2 || def->height % 2) {
        snprintf(err, err_size, "%s: video width and height must be even", where);
        return AVERROR(EINVAL);
    }
    return 0;
}

static int profile_parse_audio(struct profile_def *def, json_t *audio, const char *where,
                               char *err, size_t err_size)
{
    int ret;

    if (json_is_null(audio)) {
        def->audio_codec[0] = '\0';
        return 0;
    }
    if (!json_is_object(audio)) {
        snprintf(err, err_size, "%s: \"audio\" must be an object or null", where);
        return AVERROR(EINVAL);
    }
    if ((ret = profile_read_codec(audio, AVMEDIA_TYPE_AUDIO, def->audio_codec,
                                  sizeof(def->audio_codec), where, err, err_size)) < 0 ||
        (ret = profile_read_int(audio, "sample_rate", 8000, 48000, &def->sample_rate, where, err, err_size)) < 0 ||
        (ret = profile_read_int(audio, "channels", 1, 2, &def->channels, where, err, err_size)) < 0 ||
        (ret = profile_read_int(audio, "bitrate", 6000, 512000, &def->audio_bitrate, where, err, err_size)) < 0 ||
        (ret = profile_read_int(audio, "frame_ms", 10, 60, &def->audio_frame_ms, where, err, err_size)) < 0)
        return ret;
    if (def->audio_frame_ms && def->audio_frame_ms != 10 && def->audio_frame_ms != 20 &&
        def->audio_frame_ms != 40 && def->audio_frame_ms != 60) {
        snprintf(err, err_size, "%s: audio frame_ms must be 10, 20, 40 or 60", where);
        return AVERROR(EINVAL);
    }
    if (!def->audio_codec[0] || !def->sample_rate) {
        snprintf(err, err_size, "%s: audio needs codec and sample_rate", where);
        return AVERROR(EINVAL);
    }
    if (!def->channels)
        def->channels = 1;
    return 0;
}

static int profile_parse_one(struct profile_def *def, json_t *obj, const char *where,
                             char *err, size_t err_size)
{
    json_t *v;
    int ret;

    if (!json_is_object(obj)) {
        snprintf(err, err_size, "%s: must be an object", where);
        return AVERROR(EINVAL);
    }
    if ((v = json_object_get(obj, "video")) && (ret = profile_parse_video(def, v, where, err, err_size)) < 0)
        return ret;
    if ((v = json_object_get(obj, "audio")) && (ret = profile_parse_audio(def, v, where, err, err_size)) < 0)
        return ret;
    if ((v = json_object_get(obj, "format"))) {
        if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(def->format)) {
            snprintf(err, err_size, "%s: \"format\" must be a muxer name", where);
            return AVERROR(EINVAL);
        }
        snprintf(def->format, sizeof(def->format), "%s", json_string_value(v));
    }
    if ((v = json_object_get(obj, "fragmented")))
        def->fragmented = json_is_true(v);
    if ((v = json_object_get(obj, "captions_track")))
        def->captions_track = json_is_true(v);
    if (!def->video_codec[0] && !def->audio_codec[0]) {
        snprintf(err, err_size, "%s: a profile needs video, audio or both", where);
        return AVERROR(EINVAL);
    }
    return 0;
}

int profile_set_parse(struct profile_set *set, const char *json, size_t len,
                      char *err, size_t err_size)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    json_t *profiles, *obj;
    const char *name;
    int ret = 0;

    if (!root) {
        snprintf(err, err_size, "profiles: invalid JSON at line %d: %s", jerr.line, jerr.text);
        return AVERROR_INVALIDDATA;
    }
    profiles = json_object_get(root, "profiles");
    if (!json_is_object(profiles)) {
        snprintf(err, err_size, "profiles: expected an object \"profiles\": { NAME: {...} }");
        ret = AVERROR_INVALIDDATA;
        goto fail;
    }
    json_object_foreach(profiles, name, obj) {
        struct profile_def def;
        struct profile_def *existing = (struct profile_def *)profile_set_find(set, name);
        char where[80];

        snprintf(where, sizeof(where), "profile '%s'", name);
        if (!*name || strlen(name) >= sizeof(def.name) || strpbrk(name, "=,:/ ")) {
            snprintf(err, err_size, "%s: a name is 1-31 characters without = , : / or space", where);
            ret = AVERROR(EINVAL);
            goto fail;
        }
        if (existing) {
            def = *existing;
        } else {
            memset(&def, 0, sizeof(def));
            snprintf(def.name, sizeof(def.name), "%s", name);
            snprintf(def.format, sizeof(def.format), "matroska");
        }
        ret = profile_parse_one(&def, obj, where, err, err_size);
        if (ret < 0)
            goto fail;
        if (existing) {
            *existing = def;
        } else if (set->count < PROFILE_MAX) {
            set->defs[set->count++] = def;
        } else {
            snprintf(err, err_size, "profiles: more than %d profiles", PROFILE_MAX);
            ret = AVERROR(EINVAL);
            goto fail;
        }
    }
fail:
    json_decref(root);
    return ret;
}

int profile_set_load_file(struct profile_set *set, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    int ret;

    if (!f) {
        snprintf(err, err_size, "profiles file %s: %s", path, strerror(errno));
        return AVERROR(errno);
    }
    if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || size > (1 << 20) ||
        fseek(f, 0, SEEK_SET) < 0) {
        snprintf(err, err_size, "profiles file %s: unreadable or over 1 MiB", path);
        ret = AVERROR(EINVAL);
        goto fail;
    }
    buf = av_malloc(size + 1);
    if (!buf) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if (fread(buf, 1, size, f) != (size_t)size) {
        snprintf(err, err_size, "profiles file %s: read error", path);
        ret = AVERROR(EIO);
        goto fail;
    }
    ret = profile_set_parse(set, buf, size, err, err_size);
fail:
    av_free(buf);
    fclose(f);
    return ret;
}
