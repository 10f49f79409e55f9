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
    int sip_dial_timeout_s;      /* dial-out: unanswered this long -> CANCEL; default 30 */
    int sip_dial_rate;           /* dial-out: new calls per second (server-wide); default 5 */
    int sip_media_timeout_s;     /* a SIP call without RTP this long is hung up; 0 off; default 30 */
    /* Dial-out credentials for digest challenges (401/407), chosen by name. */
#define CONFIG_MAX_SIP_ACCOUNTS 8
    struct config_sip_account {
        char name[32];           /* "default" is used when a dial names none */
        char username[64];
        char password[128];
        char realm[128];         /* "" : the challenge's realm */
        char from[256];          /* From header (a SIP URI, optionally "Name" <uri>); "" : ours */
    } sip_accounts[CONFIG_MAX_SIP_ACCOUNTS];
    int sip_account_count;
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
/* The account called name (NULL or "": "default"), or NULL. */
const struct config_sip_account *config_find_sip_account(const struct server_config *c, const char *name);

int config_load_file(struct server_config *c, const char *path, char *err, size_t err_size);

#endif
