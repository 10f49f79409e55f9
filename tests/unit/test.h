/* The unit test runner's interface: each test file exports a suite, a table of
 * named test functions; test_main.c lists the suites. */
#ifndef TESSERA_TEST_H
#define TESSERA_TEST_H

#include <stdio.h>

struct test_case {
    const char *name;
    int (*run)(void);        /* returns 0 on success, non-zero on failure */
};

struct test_suite {
    const char *name;
    const struct test_case *cases;   /* terminated by { NULL, NULL } */
};

/* Records a failed check with its location; used through TEST_CHECK. */
int test_fail(const char *file, int line, const char *expr);

/* Fails the current test function (returns 1) when cond is false. */
#define TEST_CHECK(cond) \
    do { if (!(cond)) return test_fail(__FILE__, __LINE__, #cond); } while (0)

/* Path of the repository's data folders (layouts/, fixtures/), from the build. */
const char *test_source_dir(void);

extern const struct test_suite layout_suite;
extern const struct test_suite captions_suite;
extern const struct test_suite overlay_suite;
extern const struct test_suite amix_suite;
extern const struct test_suite profile_suite;
extern const struct test_suite cli_suite;
extern const struct test_suite rtp_suite;
extern const struct test_suite rtcp_suite;
extern const struct test_suite jbuf_suite;
extern const struct test_suite rtpsec_suite;
extern const struct test_suite payload_suite;
extern const struct test_suite sdp_suite;
extern const struct test_suite sdpfrag_suite;
extern const struct test_suite dtls_suite;
extern const struct test_suite sink_rtp_suite;
extern const struct test_suite fanout_suite;
extern const struct test_suite sip_suite;
extern const struct test_suite adapt_suite;
extern const struct test_suite config_sip_suite;

#endif
