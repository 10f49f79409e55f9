/* libFuzzer target: the SIP glue of signal/sip_room.c on untrusted text. The input,
 * split at its first NUL, is our SDP of a call and a re-INVITE's offer for
 * sip_room_reanswer (what it writes must parse again); the whole input also goes
 * through sip_room_clean_text (a caller name: valid UTF-8, no control characters,
 * bounded). SIP messages themselves are parsed by sofia-sip, not by tessera. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/sdp.h"
#include "signal/sip_room.h"

static void fuzz_reanswer(const char *local, const char *offer, size_t offer_len)
{
    static char out[SIP_ROOM_SDP_SIZE];
    static struct sdp_session *again;
    char err[256] = "";
    int n;

    if (!again && sdp_session_alloc(&again) < 0)
        abort();
    n = sip_room_reanswer(local, offer, offer_len, 2, out, sizeof(out), err, sizeof(err));
    if (memchr(err, '\0', sizeof(err)) == NULL)
        abort();
    if (n >= 0 && (strlen(out) != (size_t)n || sdp_parse(again, out, (size_t)n, err, sizeof(err)) < 0))
        abort();
}

static void fuzz_clean_text(const char *text)
{
    char out[64];
    size_t len;

    sip_room_clean_text(text, out, sizeof(out));
    len = strlen(out);
    if (len >= sizeof(out) || (len && (out[0] == ' ' || out[len - 1] == ' ')))
        abort();
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    const char *nul;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    nul = memchr(text, '\0', size);
    if (nul)
        fuzz_reanswer(text, nul + 1, size - (size_t)(nul + 1 - text));
    fuzz_clean_text(text);
    free(text);
    return 0;
}
