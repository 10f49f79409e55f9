/* The configuration of `tessera serve` (JSON file, every field optional; format in
 * docs/API.md): HTTP listen address, bearer token, RTP address and port range, SIP. */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <stddef.h>

struct server_config {
    char http_address[64];       /* default 127.0.0.1 */
    int http_port;               /* default 8080 */
    char token[256];             /* "" : no auth */
    char rtp_address[64];        /* address bound and put in SDP answers; default 127.0.0.1 */
    int rtp_port_min, rtp_port_max;   /* default 20000-20999 */
    int jitter_max_ms;           /* jitter buffer cap, default 200 */
    int stream_buffer_ms;        /* RTMP outputs: media queued for a slow server; default 10000 */
    char profiles_file[1024];    /* optional profiles file (docs/PROFILES.md) */
    char record_dir[1024];       /* where relative recording paths go; default "." */
    int sip_port;                /* SIP over UDP and TCP; 0 (default): SIP off */
    char sip_address[64];        /* address SIP listens on; default 127.0.0.1 */
    char sip_default_room[64];   /* room of a call whose Request-URI names none; "" : 404 */
    char sip_pin[16];            /* digits a call to the default room must key in; "" : none */
    int sip_invite_rate;         /* new INVITEs per second per source address; default 10 */
    int sip_pin_timeout_s;       /* a call waiting this long for its PIN is hung up; default 30 */
    char sip_prompt_dir[1024];   /* pin_enter.wav, pin_wrong.wav; default the build's prompts/ */
    /* WebRTC (WHIP): ICE host candidate addresses (libnice skips loopback unless
     * listed) and the seconds after which a peer that has not connected, or has
     * gone silent, is removed. */
#define CONFIG_MAX_ICE_ADDRESSES 4
    char ice_addresses[CONFIG_MAX_ICE_ADDRESSES][64];   /* default ["127.0.0.1"] */
    int ice_address_count;
    int ice_timeout_s;           /* default 30 */
    /* Our DTLS certificate and private key (PEM files); both "" (default): a
     * self-signed ECDSA P-256 certificate is made at start-up. */
    char dtls_cert[1024], dtls_key[1024];
};

void config_defaults(struct server_config *c);

/* Merges a JSON document into c; errors name the field. */
int config_parse(struct server_config *c, const char *json, size_t len, char *err, size_t err_size);
int config_load_file(struct server_config *c, const char *path, char *err, size_t err_size);

#endif
