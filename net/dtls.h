/* DTLS-SRTP (RFC 5764) with OpenSSL: a process-wide certificate, self-signed
 * ECDSA P-256 made at start-up or loaded from PEM files (its SHA-256 fingerprint
 * goes into our SDP), and one DTLS 1.2
 * endpoint (a server in our answers) per WebRTC peer over memory, no socket: the
 * caller feeds received datagrams and gets each outgoing record through a
 * callback. The peer's certificate must match the fingerprint of its offer; the
 * SRTP master keys come from the exporter. A dtls_peer is used by one thread at
 * a time (the ICE thread). */
#ifndef TESSERA_DTLS_H
#define TESSERA_DTLS_H

#include <stddef.h>
#include <stdint.h>
#include <libavutil/error.h>
#include "net/rtpsec.h"

/* The peer's certificate does not match the a=fingerprint of its offer. */
#define DTLS_ERROR_FINGERPRINT FFERRTAG('D', 'T', 'F', 'P')
/* The handshake failed (alert, no SRTP profile agreed, malformed records). */
#define DTLS_ERROR_HANDSHAKE FFERRTAG('D', 'T', 'H', 'S')

#define DTLS_FINGERPRINT_SIZE 192      /* "AB:CD:..." of SHA-512 and the NUL */

struct dtls_cert;
struct dtls_peer;

/* Generates the key pair and a self-signed certificate (valid 30 days from now)
 * and the SSL_CTX every peer shares. *out written on success only. Returns 0 or
 * a negative code. Call once at start-up. */
int dtls_cert_generate(struct dtls_cert **out);
/* Loads our certificate and its private key from PEM files (any key type
 * OpenSSL signs with; an encrypted key is refused) instead of generating one.
 * *out written on success only. Returns 0 or a negative code with a message
 * naming the file and the cause in err (unreadable, not PEM, the key does not
 * match the certificate, the certificate has expired). */
int dtls_cert_load(struct dtls_cert **out, const char *cert_path, const char *key_path, char *err,
                   size_t err_size);
void dtls_cert_free(struct dtls_cert **p);

/* "sha-256" fingerprint of our certificate, "AB:CD:..." (borrowed). */
const char *dtls_cert_fingerprint(const struct dtls_cert *c);

/* Where a peer's outgoing datagrams (one DTLS record flight piece each) go. */
typedef void (*dtls_send_fn)(void *opaque, const uint8_t *buf, size_t len);

/* Our DTLS role: server answers a=setup:passive (the browser connects), client
 * a=setup:active. */
enum dtls_role { DTLS_ROLE_SERVER, DTLS_ROLE_CLIENT };

/* A DTLS endpoint for one peer that must present a certificate whose digest
 * with fingerprint_alg ("sha-256", "sha-1", ...) is fingerprint. cert is
 * borrowed and must outlive the peer. A client sends its first flight at once.
 * *out written on success only. Returns 0, AVERROR(EINVAL) for an unknown
 * algorithm or a malformed fingerprint, or AVERROR(ENOMEM). */
int dtls_peer_alloc(struct dtls_peer **out, struct dtls_cert *cert, enum dtls_role role,
                    const char *fingerprint_alg, const char *fingerprint, dtls_send_fn send,
                    void *opaque);
void dtls_peer_free(struct dtls_peer **p);

/* Feeds one received datagram (first byte 20-63); len <= 16384. Returns 1 when this datagram
 * completed the handshake (the keys are ready), 0 otherwise, AVERROR_EOF when
 * the peer closed (close_notify), DTLS_ERROR_FINGERPRINT, DTLS_ERROR_HANDSHAKE.
 * After an error the peer is unusable. err receives a description of errors. */
int dtls_peer_input(struct dtls_peer *d, const uint8_t *buf, size_t len, char *err, size_t err_size);

/* Retransmits the last flight when its timer expired; call every ~100 ms. */
void dtls_peer_handle_timeout(struct dtls_peer *d);

int dtls_peer_is_connected(const struct dtls_peer *d);

/* The SRTP master keys once connected: what we encrypt with (local: our role's
 * key and salt) and what the peer encrypts with (remote). Returns 0
 * or AVERROR(EAGAIN) before the handshake completed. */
int dtls_peer_srtp_keys(const struct dtls_peer *d, uint8_t local[RTPSEC_MASTER_LEN],
                        uint8_t remote[RTPSEC_MASTER_LEN]);

/* Formats digest bytes as "AB:CD:..." into out (size >= 3 * len). */
void dtls_format_fingerprint(const uint8_t *digest, size_t len, char *out, size_t size);

#endif
