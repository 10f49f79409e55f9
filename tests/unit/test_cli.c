/* Unit tests of `tessera mix` command-line parsing and its errors. */
#include <string.h>
#include "mixer/cli.h"
#include "test.h"

static struct mix_options opts;

static int parse(char **argv, int argc, char *err, size_t size)
{
    return cli_parse_mix(&opts, argc, argv, err, size);
}

static int test_inputs(void)
{
    struct cli_input in;
    char err[256], name[64];

    TEST_CHECK(cli_parse_input(&in, "a/b/red.mp4", err, sizeof(err)) == 0);
    TEST_CHECK(!strcmp(in.url, "a/b/red.mp4") && in.at == 0 && !in.is_screen);
    cli_input_display_name(&in, name, sizeof(name));
    TEST_CHECK(!strcmp(name, "red"));
    TEST_CHECK(cli_parse_input(&in, "name=Élodie,at=2.5,role=screen:x.mkv", err, sizeof(err)) == 0);
    TEST_CHECK(!strcmp(in.url, "x.mkv") && !strcmp(in.name, "Élodie") && in.at == 2.5 && in.is_screen);
    cli_input_display_name(&in, name, sizeof(name));
    TEST_CHECK(!strcmp(name, "Élodie"));
    /* A URL scheme is not an options prefix. */
    TEST_CHECK(cli_parse_input(&in, "rtsp://cam.local:554/s?a=b", err, sizeof(err)) == 0);
    TEST_CHECK(!strcmp(in.url, "rtsp://cam.local:554/s?a=b"));
    TEST_CHECK(cli_parse_input(&in, "at=3:rtsp://h/x", err, sizeof(err)) == 0);
    TEST_CHECK(in.at == 3 && !strcmp(in.url, "rtsp://h/x"));
    TEST_CHECK(cli_parse_input(&in, "at=soon:x.mp4", err, sizeof(err)) < 0 && strstr(err, "at="));
    TEST_CHECK(cli_parse_input(&in, "role=boss:x.mp4", err, sizeof(err)) < 0 && strstr(err, "role"));
    TEST_CHECK(cli_parse_input(&in, "name=a:", err, sizeof(err)) < 0 && strstr(err, "URL"));
    return 0;
}

static int test_options(void)
{
    char err[256];
    char *argv[] = { "--layout", "speaker", "--size", "640x360", "--fps", "25", "--quiet",
                     "--profile", "hd=out/a.mkv", "--profile", "phone=p.wav", "--duration", "4.5",
                     "--captions", "c.vtt", "--timeline", "t.json", "a.mp4", "at=1:b.mp4" };

    TEST_CHECK(parse(argv, 19, err, sizeof(err)) == 0);
    TEST_CHECK(!strcmp(opts.layout, "speaker") && opts.width == 640 && opts.height == 360);
    TEST_CHECK(opts.fps == 25 && opts.quiet && opts.duration == 4.5);
    TEST_CHECK(opts.output_count == 2 && !strcmp(opts.outputs[1].profile, "phone") &&
               !strcmp(opts.outputs[1].url, "p.wav"));
    TEST_CHECK(opts.input_count == 2 && opts.inputs[1].at == 1);
    TEST_CHECK(!strcmp(opts.captions, "c.vtt") && !strcmp(opts.timeline, "t.json"));
    return 0;
}

static int test_defaults(void)
{
    char err[256];
    char *argv[] = { "a.mp4" };

    TEST_CHECK(parse(argv, 1, err, sizeof(err)) == 0);
    TEST_CHECK(!strcmp(opts.layout, "grid") && opts.width == 1280 && opts.height == 720 &&
               opts.fps == 30 && opts.speaker_hold == 1.5 && opts.duration == 0);
    TEST_CHECK(opts.output_count == 1 && !strcmp(opts.outputs[0].profile, "record"));
    return 0;
}

static int test_errors(void)
{
    char err[256];
    char *no_input[] = { "--quiet" };
    char *bad_size[] = { "--size", "12x", "a.mp4" };
    char *odd_size[] = { "--size", "641x360", "a.mp4" };
    char *bad_profile[] = { "--profile", "hd", "a.mp4" };
    char *bad_fps[] = { "--fps", "0", "a.mp4" };
    char *bad_duration[] = { "--duration", "-1", "a.mp4" };
    char *missing_value[] = { "a.mp4", "--layout" };
    char *unknown[] = { "--frobnicate", "1", "a.mp4" };

    TEST_CHECK(parse(no_input, 1, err, sizeof(err)) < 0 && strstr(err, "no input"));
    TEST_CHECK(parse(bad_size, 3, err, sizeof(err)) < 0 && strstr(err, "--size '12x'"));
    TEST_CHECK(parse(odd_size, 3, err, sizeof(err)) < 0 && strstr(err, "even"));
    TEST_CHECK(parse(bad_profile, 3, err, sizeof(err)) < 0 && strstr(err, "NAME=URL"));
    TEST_CHECK(parse(bad_fps, 3, err, sizeof(err)) < 0 && strstr(err, "--fps"));
    TEST_CHECK(parse(bad_duration, 3, err, sizeof(err)) < 0 && strstr(err, "--duration"));
    TEST_CHECK(parse(missing_value, 2, err, sizeof(err)) < 0 && strstr(err, "--layout needs a value"));
    TEST_CHECK(parse(unknown, 3, err, sizeof(err)) < 0 && strstr(err, "--frobnicate"));
    return 0;
}

static const struct test_case cli_cases[] = {
    { "inputs", test_inputs },
    { "options", test_options },
    { "defaults", test_defaults },
    { "errors", test_errors },
    { NULL, NULL },
};

const struct test_suite cli_suite = { "cli", cli_cases };
