/* DTLS-SRTP over OpenSSL with a memory BIO in and a callback BIO out: the
 * self-signed certificate, the handshake, the fingerprint check, the key export. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <libavutil/mem.h>
#include "net/dtls.h"

#define DTLS_MTU 1200
#define DTLS_SRTP_PROFILE "SRTP_AES128_CM_SHA1_80"
#define DTLS_CERT_DAYS 30
#define DTLS_SRTP_KEY_LEN 16
#define DTLS_SRTP_SALT_LEN 14

struct dtls_cert {
    EVP_PKEY *key;
    X509 *x509;
    SSL_CTX *ctx;
    BIO_METHOD *bio_method;          /* the outgoing side of every peer */
    char fingerprint[DTLS_FINGERPRINT_SIZE];
};

struct dtls_peer {
    SSL *ssl;
    enum dtls_role role;
    const EVP_MD *md;
    uint8_t expected[EVP_MAX_MD_SIZE];
    unsigned int expected_len;
    dtls_send_fn send;
    void *opaque;
    int connected, failed;
    char mismatch[512];              /* set when the certificate was refused */
    uint8_t local_key[RTPSEC_MASTER_LEN], remote_key[RTPSEC_MASTER_LEN];
};

void dtls_format_fingerprint(const uint8_t *digest, size_t len, char *out, size_t size)
{
    size_t pos = 0;

    if (!size)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < len && pos + 3 < size; i++)
        pos += (size_t)snprintf(out + pos, size - pos, i ? ":%02X" : "%02X", digest[i]);
}

/* Each record OpenSSL writes is one datagram: hand it to the transport. */
static int dtls_bio_write(BIO *b, const char *data, int len)
{
    struct dtls_peer *d = BIO_get_data(b);

    if (d && len > 0)
        d->send(d->opaque, (const uint8_t *)data, (size_t)len);
    return len;
}

static long dtls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
        return DTLS_MTU;
    default:
        return 0;
    }
}

static int dtls_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* Compares cert with the offer's fingerprint. Returns 0 when it matches, else
 * DTLS_ERROR_FINGERPRINT with the reason in d->mismatch. */
static int dtls_check_fingerprint(struct dtls_peer *d, X509 *cert)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    char got[DTLS_FINGERPRINT_SIZE], want[DTLS_FINGERPRINT_SIZE];
    unsigned int len = 0;

    if (!cert || !X509_digest(cert, d->md, digest, &len)) {
        snprintf(d->mismatch, sizeof(d->mismatch), "the peer presented no usable certificate");
        return DTLS_ERROR_FINGERPRINT;
    }
    if (len == d->expected_len && !memcmp(digest, d->expected, len))
        return 0;
    dtls_format_fingerprint(digest, len, got, sizeof(got));
    dtls_format_fingerprint(d->expected, d->expected_len, want, sizeof(want));
    snprintf(d->mismatch, sizeof(d->mismatch),
             "certificate fingerprint %s does not match the offer's a=fingerprint %s", got, want);
    return DTLS_ERROR_FINGERPRINT;
}

/* Peers present self-signed certificates: no chain to verify, but the peer's own
 * certificate must be the one its offer announced; a mismatch aborts the
 * handshake before it completes. */
static int dtls_verify(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct dtls_peer *d = ssl ? SSL_get_app_data(ssl) : NULL;

    (void)ok;
    if (!d || X509_STORE_CTX_get_error_depth(store) != 0)
        return 1;
    return dtls_check_fingerprint(d, X509_STORE_CTX_get_current_cert(store)) == 0;
}

static int dtls_cert_make_x509(struct dtls_cert *c)
{
    X509_NAME *name;
    uint64_t serial;

    c->key = EVP_EC_gen("P-256");
    c->x509 = X509_new();
    if (!c->key || !c->x509 || RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
        return AVERROR(ENOMEM);
    name = X509_get_subject_name(c->x509);
    if (!X509_set_version(c->x509, 2) ||
        !ASN1_INTEGER_set_uint64(X509_get_serialNumber(c->x509), serial >> 1) ||
        !X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400) ||
        !X509_gmtime_adj(X509_getm_notAfter(c->x509), 86400L * DTLS_CERT_DAYS) ||
        !X509_set_pubkey(c->x509, c->key) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"tessera", -1, -1, 0) ||
        !X509_set_issuer_name(c->x509, name) || !X509_sign(c->x509, c->key, EVP_sha256()))
        return AVERROR_EXTERNAL;
    return 0;
}

static int dtls_cert_make_ctx(struct dtls_cert *c)
{
    c->ctx = SSL_CTX_new(DTLS_method());
    if (!c->ctx)
        return AVERROR(ENOMEM);
    if (!SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION) ||
        SSL_CTX_use_certificate(c->ctx, c->x509) != 1 || SSL_CTX_use_PrivateKey(c->ctx, c->key) != 1 ||
        SSL_CTX_check_private_key(c->ctx) != 1 ||
        SSL_CTX_set_tlsext_use_srtp(c->ctx, DTLS_SRTP_PROFILE) != 0)   /* 0 is success here */
        return AVERROR_EXTERNAL;
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtls_verify);
    c->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tessera dtls out");
    if (!c->bio_method || !BIO_meth_set_write(c->bio_method, dtls_bio_write) ||
        !BIO_meth_set_ctrl(c->bio_method, dtls_bio_ctrl) || !BIO_meth_set_create(c->bio_method, dtls_bio_create))
        return AVERROR(ENOMEM);
    return 0;
}

static int dtls_cert_make_fingerprint(struct dtls_cert *c)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (!X509_digest(c->x509, EVP_sha256(), digest, &len))
        return AVERROR_EXTERNAL;
    dtls_format_fingerprint(digest, len, c->fingerprint, sizeof(c->fingerprint));
    return 0;
}

int dtls_cert_generate(struct dtls_cert **out)
{
    struct dtls_cert *c = av_mallocz(sizeof(*c));
    int ret;

    if (!c)
        return AVERROR(ENOMEM);
    if ((ret = dtls_cert_make_x509(c)) < 0 || (ret = dtls_cert_make_ctx(c)) < 0 ||
        (ret = dtls_cert_make_fingerprint(c)) < 0)
        goto fail;
    *out = c;
    return 0;
fail:
    ERR_clear_error();
    dtls_cert_free(&c);
    return ret;
}

/* Reads the certificate and the key; errors name the file. */
static int dtls_cert_read_pem(struct dtls_cert *c, const char *cert_path, const char *key_path, char *err,
                              size_t err_size)
{
    BIO *in = BIO_new_file(cert_path, "r");

    if (!in) {
        snprintf(err, err_size, "dtls_cert %s: cannot open it (%s)", cert_path, strerror(errno ? errno : ENOENT));
        return AVERROR(ENOENT);
    }
    c->x509 = PEM_read_bio_X509(in, NULL, NULL, NULL);
    BIO_free(in);
    if (!c->x509) {
        snprintf(err, err_size, "dtls_cert %s: not a PEM certificate", cert_path);
        return AVERROR_INVALIDDATA;
    }
    in = BIO_new_file(key_path, "r");
    if (!in) {
        snprintf(err, err_size, "dtls_key %s: cannot open it (%s)", key_path, strerror(errno ? errno : ENOENT));
        return AVERROR(ENOENT);
    }
    /* An empty passphrase callback result: an encrypted key fails instead of prompting. */
    c->key = PEM_read_bio_PrivateKey(in, NULL, NULL, (void *)"");
    BIO_free(in);
    if (!c->key) {
        snprintf(err, err_size, "dtls_key %s: not an unencrypted PEM private key", key_path);
        return AVERROR_INVALIDDATA;
    }
    if (X509_check_private_key(c->x509, c->key) != 1) {
        snprintf(err, err_size, "dtls_key %s is not the private key of dtls_cert %s", key_path, cert_path);
        return AVERROR_INVALIDDATA;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(c->x509)) <= 0) {
        snprintf(err, err_size, "dtls_cert %s has expired", cert_path);
        return AVERROR_INVALIDDATA;
    }
    return 0;
}

int dtls_cert_load(struct dtls_cert **out, const char *cert_path, const char *key_path, char *err,
                   size_t err_size)
{
    struct dtls_cert *c = av_mallocz(sizeof(*c));
    int ret;

    if (!c)
        return AVERROR(ENOMEM);
    errno = 0;
    if ((ret = dtls_cert_read_pem(c, cert_path, key_path, err, err_size)) < 0)
        goto fail;
    if ((ret = dtls_cert_make_ctx(c)) < 0 || (ret = dtls_cert_make_fingerprint(c)) < 0) {
        snprintf(err, err_size, "dtls_cert %s: OpenSSL cannot use it for DTLS", cert_path);
        goto fail;
    }
    *out = c;
    return 0;
fail:
    ERR_clear_error();
    dtls_cert_free(&c);
    return ret;
}

void dtls_cert_free(struct dtls_cert **p)
{
    struct dtls_cert *c = *p;

    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    BIO_meth_free(c->bio_method);
    X509_free(c->x509);
    EVP_PKEY_free(c->key);
    av_free(c);
    *p = NULL;
}

const char *dtls_cert_fingerprint(const struct dtls_cert *c)
{
    return c->fingerprint;
}

/* "sha-256" -> EVP_sha256(); NULL when unknown. */
static const EVP_MD *dtls_digest(const char *alg)
{
    static const struct { const char *sdp; const char *openssl; } names[] = {
        { "sha-1", "SHA1" }, { "sha-224", "SHA224" }, { "sha-256", "SHA256" },
        { "sha-384", "SHA384" }, { "sha-512", "SHA512" },
    };

    for (size_t i = 0; alg && i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcasecmp(alg, names[i].sdp))
            return EVP_get_digestbyname(names[i].openssl);
    return NULL;
}

/* "AB:CD:..." -> bytes; the count must be the digest's size. */
static int dtls_parse_fingerprint(const char *text, uint8_t *out, unsigned int want)
{
    unsigned int n = 0;

    while (*text) {
        unsigned int byte;
        if (n == want || !isxdigit((unsigned char)text[0]) || !isxdigit((unsigned char)text[1]) ||
            sscanf(text, "%2x", &byte) != 1)
            return AVERROR(EINVAL);
        out[n++] = (uint8_t)byte;
        text += 2;
        if (*text == ':')
            text++;
        else if (*text)
            return AVERROR(EINVAL);
    }
    return n == want ? 0 : AVERROR(EINVAL);
}

int dtls_peer_alloc(struct dtls_peer **out, struct dtls_cert *cert, enum dtls_role role,
                    const char *fingerprint_alg, const char *fingerprint, dtls_send_fn send,
                    void *opaque)
{
    struct dtls_peer *d = av_mallocz(sizeof(*d));
    BIO *rbio = NULL, *wbio = NULL;
    int ret = AVERROR(ENOMEM);

    if (!d)
        return AVERROR(ENOMEM);
    d->role = role;
    d->send = send;
    d->opaque = opaque;
    d->md = dtls_digest(fingerprint_alg);
    if (!d->md || !fingerprint ||
        dtls_parse_fingerprint(fingerprint, d->expected, (unsigned int)EVP_MD_get_size(d->md)) < 0) {
        ret = AVERROR(EINVAL);
        goto fail;
    }
    d->expected_len = (unsigned int)EVP_MD_get_size(d->md);
    d->ssl = SSL_new(cert->ctx);
    rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(cert->bio_method);
    if (!d->ssl || !rbio || !wbio)
        goto fail;
    SSL_set_app_data(d->ssl, d);
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_data(wbio, d);
    SSL_set_bio(d->ssl, rbio, wbio);          /* the SSL owns both from here */
    rbio = wbio = NULL;
    SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(d->ssl, DTLS_MTU);
    if (role == DTLS_ROLE_SERVER) {
        SSL_set_accept_state(d->ssl);
    } else {
        SSL_set_connect_state(d->ssl);
        SSL_do_handshake(d->ssl);             /* sends the ClientHello */
    }
    ERR_clear_error();
    *out = d;
    return 0;
fail:
    BIO_free(rbio);
    BIO_free(wbio);
    dtls_peer_free(&d);
    return ret;
}

void dtls_peer_free(struct dtls_peer **p)
{
    struct dtls_peer *d = *p;

    if (!d)
        return;
    SSL_free(d->ssl);
    av_free(d);
    *p = NULL;
}

/* The fingerprint check and the key export, once the handshake is complete. */
static int dtls_peer_finish(struct dtls_peer *d, char *err, size_t err_size)
{
    const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(d->ssl);
    uint8_t km[2 * (DTLS_SRTP_KEY_LEN + DTLS_SRTP_SALT_LEN)];
    const uint8_t *client_key = km, *server_key = km + DTLS_SRTP_KEY_LEN;
    const uint8_t *client_salt = km + 2 * DTLS_SRTP_KEY_LEN;
    const uint8_t *server_salt = client_salt + DTLS_SRTP_SALT_LEN;

    /* Checked again here: a handshake without a verify call must not pass. */
    if (dtls_check_fingerprint(d, SSL_get0_peer_certificate(d->ssl)) < 0) {
        snprintf(err, err_size, "%s", d->mismatch);
        return DTLS_ERROR_FINGERPRINT;
    }
    if (!profile || profile->id != SRTP_AES128_CM_SHA1_80) {
        snprintf(err, err_size, "no SRTP profile agreed (need %s)", DTLS_SRTP_PROFILE);
        return DTLS_ERROR_HANDSHAKE;
    }
    if (SSL_export_keying_material(d->ssl, km, sizeof(km), "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1) {
        snprintf(err, err_size, "SRTP key export failed");
        return DTLS_ERROR_HANDSHAKE;
    }
    memcpy(d->local_key, d->role == DTLS_ROLE_SERVER ? server_key : client_key, DTLS_SRTP_KEY_LEN);
    memcpy(d->local_key + DTLS_SRTP_KEY_LEN, d->role == DTLS_ROLE_SERVER ? server_salt : client_salt,
           DTLS_SRTP_SALT_LEN);
    memcpy(d->remote_key, d->role == DTLS_ROLE_SERVER ? client_key : server_key, DTLS_SRTP_KEY_LEN);
    memcpy(d->remote_key + DTLS_SRTP_KEY_LEN, d->role == DTLS_ROLE_SERVER ? client_salt : server_salt,
           DTLS_SRTP_SALT_LEN);
    OPENSSL_cleanse(km, sizeof(km));
    d->connected = 1;
    return 1;
}

static int dtls_peer_error(struct dtls_peer *d, int ssl_ret, char *err, size_t err_size)
{
    int e = SSL_get_error(d->ssl, ssl_ret);
    unsigned long code;

    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    if (e == SSL_ERROR_ZERO_RETURN) {
        snprintf(err, err_size, "the peer closed DTLS (close_notify)");
        return AVERROR_EOF;
    }
    if (d->mismatch[0]) {
        snprintf(err, err_size, "%s", d->mismatch);
        return DTLS_ERROR_FINGERPRINT;
    }
    code = ERR_get_error();
    snprintf(err, err_size, "DTLS %s failed: ", d->connected ? "read" : "handshake");
    ERR_error_string_n(code, err + strlen(err), err_size - strlen(err));
    return DTLS_ERROR_HANDSHAKE;
}

int dtls_peer_input(struct dtls_peer *d, const uint8_t *buf, size_t len, char *err, size_t err_size)
{
    uint8_t scratch[2048];
    int ret;

    if (d->failed)
        return DTLS_ERROR_HANDSHAKE;
    if (!len || len > 16384)
        return 0;
    ERR_clear_error();
    if (BIO_write(SSL_get_rbio(d->ssl), buf, (int)len) != (int)len)
        return AVERROR(ENOMEM);
    if (!d->connected) {
        ret = SSL_do_handshake(d->ssl);
        ret = ret == 1 ? dtls_peer_finish(d, err, err_size) : dtls_peer_error(d, ret, err, err_size);
    } else {
        /* Application data (none is expected without data channels) and alerts. */
        do
            ret = SSL_read(d->ssl, scratch, sizeof(scratch));
        while (ret > 0);
        ret = dtls_peer_error(d, ret, err, err_size);
    }
    if (ret < 0)
        d->failed = 1;
    ERR_clear_error();
    return ret;
}

void dtls_peer_handle_timeout(struct dtls_peer *d)
{
    if (!d->connected && !d->failed) {
        DTLSv1_handle_timeout(d->ssl);
        ERR_clear_error();
    }
}

int dtls_peer_is_connected(const struct dtls_peer *d)
{
    return d->connected;
}

int dtls_peer_srtp_keys(const struct dtls_peer *d, uint8_t local[RTPSEC_MASTER_LEN],
                        uint8_t remote[RTPSEC_MASTER_LEN])
{
    if (!d->connected)
        return AVERROR(EAGAIN);
    memcpy(local, d->local_key, RTPSEC_MASTER_LEN);
    memcpy(remote, d->remote_key, RTPSEC_MASTER_LEN);
    return 0;
}
