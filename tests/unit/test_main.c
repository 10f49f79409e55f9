/* The unit test runner: runs every suite (or those named on the command line). */
#include <string.h>
#include "test.h"

static const struct test_suite *const all_suites[] = {
    &layout_suite,
    &captions_suite,
    &overlay_suite,
    &amix_suite,
    &profile_suite,
    &cli_suite,
    &rtp_suite,
    &rtcp_suite,
    &sink_rtp_suite,
    &fanout_suite,
    &jbuf_suite,
    &rtpsec_suite,
    &payload_suite,
    &sdp_suite,
    &sdpfrag_suite,
    &dtls_suite,
    &sip_suite,
    &adapt_suite,
    &config_sip_suite,
};

int test_fail(const char *file, int line, const char *expr)
{
    fprintf(stderr, "    check failed at %s:%d: %s\n", file, line, expr);
    return 1;
}

const char *test_source_dir(void)
{
    return TESSERA_SOURCE_DIR;
}

static int suite_selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (size_t s = 0; s < sizeof(all_suites) / sizeof(all_suites[0]); s++) {
        const struct test_suite *suite = all_suites[s];
        if (!suite_selected(suite->name, argc, argv))
            continue;
        for (const struct test_case *tc = suite->cases; tc->name; tc++) {
            int ret = tc->run();
            printf("%s %s.%s\n", ret ? "FAIL" : "ok  ", suite->name, tc->name);
            fflush(stdout);
            if (ret)
                failed++;
            else
                passed++;
        }
    }
    printf("unit tests: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
