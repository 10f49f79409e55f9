/* libFuzzer target: sdp_parse on arbitrary bytes; what parses must write, re-parse and
 * write again to the same text; every m= section goes through sdp_answer_media and
 * sdp_pick_crypto, and the answer must write and parse too. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signal/sdp.h"

#define FUZZ_OUT_SIZE (1 << 20)

static const char *const fuzz_preference[] = {
    "G722/8000", "PCMU/8000", "PCMA/8000", "opus/48000",
    "H264/90000", "H263-1998/90000", "VP8/90000",
};

struct fuzz_state {
    struct sdp_session *offer, *again, *answer;
    char *out1, *out2;
};

static struct fuzz_state *fuzz_state(void)
{
    static struct fuzz_state st;
    if (!st.offer) {
        if (sdp_session_alloc(&st.offer) < 0 || sdp_session_alloc(&st.again) < 0 ||
            sdp_session_alloc(&st.answer) < 0)
            abort();
        st.out1 = malloc(FUZZ_OUT_SIZE);
        st.out2 = malloc(FUZZ_OUT_SIZE);
        if (!st.out1 || !st.out2)
            abort();
    }
    return &st;
}

static int offered(const struct sdp_media *m, int pt)
{
    for (int i = 0; i < m->format_count; i++)
        if (m->formats[i].payload_type == pt)
            return 1;
    return 0;
}

/* Negotiates every section; the answer session must be writable and parse back. */
static void fuzz_answer(struct fuzz_state *st)
{
    char err[256];
    struct sdp_session *a = st->answer;
    memset(a, 0, sizeof(*a));
    a->session_id = st->offer->session_id;
    for (int i = 0; i < st->offer->media_count; i++) {
        const struct sdp_media *m = &st->offer->media[i];
        struct sdp_media *ans = &a->media[a->media_count];
        struct sdp_crypto c;
        int ret = sdp_answer_media(m, fuzz_preference, 7, ans, err, sizeof(err));
        if (memchr(err, '\0', sizeof(err)) == NULL)
            abort();
        if (ret == SDP_ERROR_NO_COMMON_CODEC && strncmp(err, "no common codec: ", 17))
            abort();
        if (ret < 0 && ret != SDP_ERROR_NO_COMMON_CODEC)
            abort();                                 /* the preference list is valid */
        if (ret < 0)
            continue;
        if (ans->format_count < 1 || ans->format_count > 2 || !offered(m, ans->formats[0].payload_type) ||
            ans->direction != sdp_direction_reverse(m->direction))
            abort();
        if (ans->format_count == 2 && strcasecmp(ans->formats[1].encoding, "telephone-event"))
            abort();
        ans->port = 9;
        if (sdp_pick_crypto(m, &c) == 0) {
            ans->crypto[0] = c;
            ans->crypto_count = 1;
        }
        a->media_count++;
    }
    int n = sdp_write(a, st->out1, FUZZ_OUT_SIZE);
    if (n < 0 || sdp_parse(st->again, st->out1, (size_t)n, err, sizeof(err)) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_state *st = fuzz_state();
    char err[256];
    if (sdp_parse(st->offer, (const char *)data, size, err, sizeof(err)) < 0) {
        if (memchr(err, '\0', sizeof(err)) == NULL || !err[0])
            abort();                                 /* a failure always says why */
        return 0;
    }
    int n1 = sdp_write(st->offer, st->out1, FUZZ_OUT_SIZE);
    if (n1 < 0)
        abort();                                     /* whatever parses must write */
    if (n1 <= SDP_MAX_SIZE) {
        if (sdp_parse(st->again, st->out1, (size_t)n1, err, sizeof(err)) < 0)
            abort();
        int n2 = sdp_write(st->again, st->out2, FUZZ_OUT_SIZE);
        if (n2 != n1 || memcmp(st->out1, st->out2, (size_t)n1))
            abort();                                 /* writing is a fixed point */
    }
    fuzz_answer(st);
    return 0;
}
