/* Unit tests of jbuf (placeholder until its module lands). */
#include "test.h"

static const struct test_case jbuf_cases[] = {
    { NULL, NULL },
};

const struct test_suite jbuf_suite = { "jbuf", jbuf_cases };
