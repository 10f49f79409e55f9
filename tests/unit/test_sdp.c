/* Unit tests of sdp (placeholder until its module lands). */
#include "test.h"

static const struct test_case sdp_cases[] = {
    { NULL, NULL },
};

const struct test_suite sdp_suite = { "sdp", sdp_cases };
