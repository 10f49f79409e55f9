/* Unit tests of rtpsec (placeholder until its module lands). */
#include "test.h"

static const struct test_case rtpsec_cases[] = {
    { NULL, NULL },
};

const struct test_suite rtpsec_suite = { "rtpsec", rtpsec_cases };
