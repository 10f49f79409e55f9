/* Unit tests of rtcp (placeholder until its module lands). */
#include "test.h"

static const struct test_case rtcp_cases[] = {
    { NULL, NULL },
};

const struct test_suite rtcp_suite = { "rtcp", rtcp_cases };
