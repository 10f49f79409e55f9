/* Unit tests of payload (placeholder until its module lands). */
#include "test.h"

static const struct test_case payload_cases[] = {
    { NULL, NULL },
};

const struct test_suite payload_suite = { "payload", payload_cases };
