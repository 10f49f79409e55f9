/* Unit tests of rtp (placeholder until its module lands). */
#include "test.h"

static const struct test_case rtp_cases[] = {
    { NULL, NULL },
};

const struct test_suite rtp_suite = { "rtp", rtp_cases };
