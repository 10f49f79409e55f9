/* Unit tests of built-in profiles and the JSON profiles file. */
#include <string.h>
#include "mixer/profile.h"
#include "test.h"

static int parse(struct profile_set *set, const char *json, char *err, size_t size)
{
    return profile_set_parse(set, json, strlen(json), err, size);
}

static int test_builtin(void)
{
    struct profile_set set;
    const struct profile_def *d;

    profile_set_init_builtin(&set);
    d = profile_set_find(&set, "hd");
    TEST_CHECK(d && !strcmp(d->video_codec, "h264") && d->width == 1280 && d->height == 720 &&
               d->fps == 30 && !strcmp(d->audio_codec, "opus") && d->sample_rate == 48000);
    d = profile_set_find(&set, "low");
    TEST_CHECK(d && d->width == 320 && d->height == 180 && d->fps == 15 && d->video_bitrate == 150000 &&
               d->audio_frame_ms == 60);
    d = profile_set_find(&set, "legacy");
    TEST_CHECK(d && !strcmp(d->video_codec, "h263p") && d->width == 352 && d->height == 288 &&
               !strcmp(d->audio_codec, "g722"));
    d = profile_set_find(&set, "phone");
    TEST_CHECK(d && !d->video_codec[0] && !strcmp(d->audio_codec, "pcmu") && d->sample_rate == 8000);
    d = profile_set_find(&set, "record");
    TEST_CHECK(d && d->fragmented && d->captions_track && !strcmp(d->audio_codec, "aac"));
    TEST_CHECK(profile_set_find(&set, "broadcast"));
    TEST_CHECK(!profile_set_find(&set, "nope"));
    return 0;
}

static int test_override_and_add(void)
{
    struct profile_set set;
    char err[256] = "";
    const struct profile_def *d;

    profile_set_init_builtin(&set);
    TEST_CHECK(parse(&set, "{\"profiles\": {"
                           "\"low\": {\"video\": {\"width\": 256, \"height\": 144}},"
                           "\"agent\": {\"video\": {\"codec\": \"vp8\", \"width\": 640, \"height\": 360,"
                           " \"fps\": 20, \"bitrate\": 300000}, \"audio\": {\"codec\": \"opus\","
                           " \"sample_rate\": 48000}},"
                           "\"hd\": {\"audio\": null}}}", err, sizeof(err)) == 0);
    d = profile_set_find(&set, "low");
    TEST_CHECK(d->width == 256 && d->height == 144 && d->fps == 15 && !strcmp(d->video_codec, "h264"));
    d = profile_set_find(&set, "agent");
    TEST_CHECK(d && !strcmp(d->video_codec, "vp8") && d->fps == 20 && d->channels == 1);
    d = profile_set_find(&set, "hd");
    TEST_CHECK(!d->audio_codec[0] && d->video_codec[0]);
    return 0;
}

static int test_errors(void)
{
    struct profile_set set;
    char err[256];

    profile_set_init_builtin(&set);
    TEST_CHECK(parse(&set, "{nope", err, sizeof(err)) < 0 && strstr(err, "invalid JSON"));
    TEST_CHECK(parse(&set, "{\"x\": 1}", err, sizeof(err)) < 0 && strstr(err, "\"profiles\""));
    TEST_CHECK(parse(&set, "{\"profiles\": {\"a\": {\"video\": {\"codec\": \"mpeg9\"}}}}",
                     err, sizeof(err)) < 0 && strstr(err, "unknown codec 'mpeg9'"));
    TEST_CHECK(parse(&set, "{\"profiles\": {\"b\": {\"video\": {\"codec\": \"opus\"}}}}",
                     err, sizeof(err)) < 0 && strstr(err, "unknown codec"));
    TEST_CHECK(parse(&set, "{\"profiles\": {\"c\": {\"video\": {\"codec\": \"h264\", \"width\": 99999,"
                           " \"height\": 10, \"fps\": 30}}}}", err, sizeof(err)) < 0 &&
               strstr(err, "width"));
    TEST_CHECK(parse(&set, "{\"profiles\": {\"d\": {\"video\": {\"codec\": \"h264\", \"width\": 321,"
                           " \"height\": 180, \"fps\": 30}}}}", err, sizeof(err)) < 0 &&
               strstr(err, "even"));
    TEST_CHECK(parse(&set, "{\"profiles\": {\"low\": {\"audio\": {\"frame_ms\": 30}}}}", err, sizeof(err)) < 0 &&
               strstr(err, "frame_ms"));
    TEST_CHECK(parse(&set, "{\"profiles\": {\"low\": {\"audio\": {\"frame_ms\": 20}}}}", err, sizeof(err)) == 0 &&
               profile_set_find(&set, "low")->audio_frame_ms == 20);
    TEST_CHECK(parse(&set, "{\"profiles\": {\"e\": {}}}", err, sizeof(err)) < 0 &&
               strstr(err, "needs video, audio"));
    TEST_CHECK(parse(&set, "{\"profiles\": {\"a=b\": {\"audio\": {\"codec\": \"pcmu\","
                           " \"sample_rate\": 8000}}}}", err, sizeof(err)) < 0 && strstr(err, "name"));
    TEST_CHECK(profile_set_load_file(&set, "/nonexistent/p.json", err, sizeof(err)) < 0 &&
               strstr(err, "/nonexistent/p.json"));
    return 0;
}

static const struct test_case profile_cases[] = {
    { "builtin", test_builtin },
    { "override_and_add", test_override_and_add },
    { "errors", test_errors },
    { NULL, NULL },
};

const struct test_suite profile_suite = { "profile", profile_cases };
