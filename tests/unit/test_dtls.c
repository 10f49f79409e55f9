/* Unit tests of dtls: a DTLS-SRTP handshake between our server and client roles in
 * memory, the exported keys working with rtpsec both ways, a wrong fingerprint
 * refused during the handshake, malformed fingerprints refused up front. */
#include <string.h>

#include "net/dtls.h"
#include "net/rtpsec.h"
#include "test.h"

#define QUEUE_MAX 64

struct wire {
    uint8_t data[QUEUE_MAX][2048];
    size_t len[QUEUE_MAX];
    int count;
};

static void wire_send(void *opaque, const uint8_t *buf, size_t len)
{
    struct wire *w = opaque;

    if (w->count < QUEUE_MAX && len <= sizeof(w->data[0])) {
        memcpy(w->data[w->count], buf, len);
        w->len[w->count++] = len;
    }
}

/* Delivers what each side sent to the other until both are connected or one
 * fails. The first error of the server goes to *es, of the client to *ec. */
static void run_handshake(struct dtls_peer *server, struct wire *to_client, struct dtls_peer *client,
                          struct wire *to_server, int *es, int *ec, char *err, size_t err_size)
{
    *es = *ec = 0;
    for (int round = 0; round < 20 && *es >= 0 && *ec >= 0; round++) {
        struct wire in_s = *to_server, in_c = *to_client;

        to_server->count = to_client->count = 0;
        for (int i = 0; i < in_s.count && *es >= 0; i++) {
            int r = dtls_peer_input(server, in_s.data[i], in_s.len[i], err, err_size);
            if (r < 0)
                *es = r;
        }
        for (int i = 0; i < in_c.count && *ec >= 0; i++) {
            char cerr[512];
            int r = dtls_peer_input(client, in_c.data[i], in_c.len[i], cerr, sizeof(cerr));
            if (r < 0)
                *ec = r;
        }
        if (dtls_peer_is_connected(server) && dtls_peer_is_connected(client))
            break;
    }
}

static int test_handshake_and_keys(void)
{
    struct dtls_cert *cs = NULL, *cc = NULL;
    struct dtls_peer *server = NULL, *client = NULL;
    static struct wire to_client, to_server;
    uint8_t s_local[RTPSEC_MASTER_LEN], s_remote[RTPSEC_MASTER_LEN];
    uint8_t c_local[RTPSEC_MASTER_LEN], c_remote[RTPSEC_MASTER_LEN];
    struct rtpsec *tx = NULL, *rx = NULL;
    uint8_t pkt[64 + RTPSEC_MAX_TRAILER] = { 0x80, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78 };
    size_t len = 64;
    char err[512] = "";
    int es, ec;

    memset(&to_client, 0, sizeof(to_client));
    memset(&to_server, 0, sizeof(to_server));
    TEST_CHECK(dtls_cert_generate(&cs) == 0 && dtls_cert_generate(&cc) == 0);
    TEST_CHECK(strlen(dtls_cert_fingerprint(cs)) == 32 * 3 - 1);
    TEST_CHECK(strcmp(dtls_cert_fingerprint(cs), dtls_cert_fingerprint(cc)));
    TEST_CHECK(dtls_peer_alloc(&server, cs, DTLS_ROLE_SERVER, "sha-256", dtls_cert_fingerprint(cc),
                               wire_send, &to_client) == 0);
    TEST_CHECK(dtls_peer_alloc(&client, cc, DTLS_ROLE_CLIENT, "SHA-256", dtls_cert_fingerprint(cs),
                               wire_send, &to_server) == 0);
    TEST_CHECK(dtls_peer_srtp_keys(server, s_local, s_remote) == AVERROR(EAGAIN));
    TEST_CHECK(to_server.count > 0);                  /* the ClientHello */
    run_handshake(server, &to_client, client, &to_server, &es, &ec, err, sizeof(err));
    TEST_CHECK(es == 0 && ec == 0);
    TEST_CHECK(dtls_peer_is_connected(server) && dtls_peer_is_connected(client));
    TEST_CHECK(dtls_peer_srtp_keys(server, s_local, s_remote) == 0);
    TEST_CHECK(dtls_peer_srtp_keys(client, c_local, c_remote) == 0);
    TEST_CHECK(!memcmp(s_local, c_remote, RTPSEC_MASTER_LEN) && !memcmp(s_remote, c_local, RTPSEC_MASTER_LEN));
    TEST_CHECK(memcmp(s_local, s_remote, RTPSEC_MASTER_LEN));
    /* What the client encrypts with its key, the server decrypts with its remote key. */
    TEST_CHECK(rtpsec_alloc(&tx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, c_local, RTPSEC_OUTBOUND) == 0);
    TEST_CHECK(rtpsec_alloc(&rx, RTPSEC_SUITE_AES_CM_128_HMAC_SHA1_80, s_remote, RTPSEC_INBOUND) == 0);
    TEST_CHECK(rtpsec_protect_rtp(tx, pkt, &len, sizeof(pkt)) == 0 && len > 64);
    TEST_CHECK(rtpsec_unprotect_rtp(rx, pkt, &len) == 0 && len == 64);
    rtpsec_free(&tx);
    rtpsec_free(&rx);
    dtls_peer_free(&server);
    dtls_peer_free(&client);
    TEST_CHECK(!server && !client);
    dtls_cert_free(&cs);
    dtls_cert_free(&cc);
    return 0;
}

static int test_wrong_fingerprint(void)
{
    struct dtls_cert *cs = NULL, *cc = NULL, *other = NULL;
    struct dtls_peer *server = NULL, *client = NULL;
    static struct wire to_client, to_server;
    char err[512] = "";
    int es, ec;

    memset(&to_client, 0, sizeof(to_client));
    memset(&to_server, 0, sizeof(to_server));
    TEST_CHECK(dtls_cert_generate(&cs) == 0 && dtls_cert_generate(&cc) == 0 && dtls_cert_generate(&other) == 0);
    /* The server expects another certificate than the client's. */
    TEST_CHECK(dtls_peer_alloc(&server, cs, DTLS_ROLE_SERVER, "sha-256", dtls_cert_fingerprint(other),
                               wire_send, &to_client) == 0);
    TEST_CHECK(dtls_peer_alloc(&client, cc, DTLS_ROLE_CLIENT, "sha-256", dtls_cert_fingerprint(cs),
                               wire_send, &to_server) == 0);
    run_handshake(server, &to_client, client, &to_server, &es, &ec, err, sizeof(err));
    TEST_CHECK(es == DTLS_ERROR_FINGERPRINT);
    TEST_CHECK(strstr(err, "does not match") && strstr(err, dtls_cert_fingerprint(other)));
    TEST_CHECK(!dtls_peer_is_connected(server) && !dtls_peer_is_connected(client));
    dtls_peer_free(&server);
    dtls_peer_free(&client);
    dtls_cert_free(&cs);
    dtls_cert_free(&cc);
    dtls_cert_free(&other);
    return 0;
}

static int test_bad_fingerprints(void)
{
    static const char *const bad[][2] = {
        { "md5", "AB:CD" }, { "sha-256", "AB:CD" }, { "sha-256", "" }, { "sha-1", "zz" },
        { NULL, "AB" }, { "sha-256", NULL },
    };
    struct dtls_cert *c = NULL;
    struct dtls_peer *p = NULL;
    struct wire w = { .count = 0 };

    TEST_CHECK(dtls_cert_generate(&c) == 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        TEST_CHECK(dtls_peer_alloc(&p, c, DTLS_ROLE_SERVER, bad[i][0], bad[i][1], wire_send, &w) ==
                   AVERROR(EINVAL) && !p);
    /* Garbage in: no crash, not connected. */
    TEST_CHECK(dtls_peer_alloc(&p, c, DTLS_ROLE_SERVER, "sha-256", dtls_cert_fingerprint(c), wire_send, &w) == 0);
    {
        uint8_t junk[100];
        char err[256];
        memset(junk, 22, sizeof(junk));
        TEST_CHECK(dtls_peer_input(p, junk, sizeof(junk), err, sizeof(err)) <= 0);
        TEST_CHECK(!dtls_peer_is_connected(p));
    }
    dtls_peer_free(&p);
    dtls_cert_free(&c);
    return 0;
}

static const struct test_case dtls_cases[] = {
    { "handshake_and_keys", test_handshake_and_keys },
    { "wrong_fingerprint", test_wrong_fingerprint },
    { "bad_fingerprints", test_bad_fingerprints },
    { NULL, NULL },
};

const struct test_suite dtls_suite = { "dtls", dtls_cases };
