/* libFuzzer target: sdpfrag_parse (trickle ICE PATCH bodies) on arbitrary bytes; a
 * failure must say why; a fragment with both credentials must write (as an ICE
 * restart answer would) and parse back to the same credentials, section,
 * candidates and end-of-candidates. */
#include <stdlib.h>
#include <string.h>

#include "signal/sdpfrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sdpfrag f, back;
    static char out[64 * 1024];
    char err[256];
    int n;

    if (sdpfrag_parse(&f, (const char *)data, size, err, sizeof(err)) < 0) {
        if (!memchr(err, '\0', sizeof(err)) || !err[0])
            abort();
        return 0;
    }
    if (!f.ice_ufrag[0] || !f.ice_pwd[0])
        return 0;
    n = sdpfrag_write(&f, out, sizeof(out));
    if (n < 0 || sdpfrag_parse(&back, out, (size_t)n, err, sizeof(err)) < 0)
        abort();
    if (strcmp(back.ice_ufrag, f.ice_ufrag) || strcmp(back.ice_pwd, f.ice_pwd) || strcmp(back.media, f.media) ||
        strcmp(back.mid, f.mid) || back.candidate_count != f.candidate_count ||
        back.end_of_candidates != f.end_of_candidates)
        abort();
    for (int i = 0; i < f.candidate_count; i++)
        if (back.candidates[i].port != f.candidates[i].port || back.candidates[i].priority != f.candidates[i].priority ||
            strcmp(back.candidates[i].addr, f.candidates[i].addr))
            abort();
    return 0;
}
