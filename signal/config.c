/* Loading and defaults of the server configuration. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <libavutil/error.h>
#include "signal/config.h"

void config_defaults(struct server_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->http_address, sizeof(c->http_address), "127.0.0.1");
    c->http_port = 8080;
    snprintf(c->rtp_address, sizeof(c->rtp_address), "127.0.0.1");
    c->rtp_port_min = 20000;
    c->rtp_port_max = 20999;
    c->jitter_max_ms = 200;
    c->stream_buffer_ms = 10000;
    snprintf(c->record_dir, sizeof(c->record_dir), ".");
    snprintf(c->ice_addresses[0], sizeof(c->ice_addresses[0]), "127.0.0.1");
    c->ice_address_count = 1;
    c->ice_timeout_s = 30;
    snprintf(c->sip_address, sizeof(c->sip_address), "127.0.0.1");
    c->sip_invite_rate = 10;
    c->sip_pin_timeout_s = 30;
    snprintf(c->sip_prompt_dir, sizeof(c->sip_prompt_dir), "%s", TESSERA_PROMPT_DIR);
    c->sip_dial_timeout_s = 30;
    c->sip_dial_rate = 5;
    c->sip_media_timeout_s = 30;
}

static int config_string(json_t *obj, const char *key, char *dst, size_t size,
                         char *err, size_t err_size)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) >= size) {
        snprintf(err, err_size, "config: \"%s\" must be a string under %zu bytes", key, size);
        return AVERROR(EINVAL);
    }
    snprintf(dst, size, "%s", json_string_value(v));
    return 0;
}

static int config_int(json_t *obj, const char *key, int lo, int hi, int *dst,
                      char *err, size_t err_size)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(err, err_size, "config: \"%s\" must be an integer in [%d, %d]", key, lo, hi);
        return AVERROR(EINVAL);
    }
    *dst = (int)json_integer_value(v);
    return 0;
}

/* "ice_addresses": a non-empty array of address strings. */
static int config_ice_addresses(json_t *obj, struct server_config *c, char *err, size_t err_size)
{
    json_t *v = json_object_get(obj, "ice_addresses"), *item;
    size_t i;

    if (!v)
        return 0;
    if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > CONFIG_MAX_ICE_ADDRESSES)
        goto fail;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item) || !json_string_length(item) ||
            json_string_length(item) >= sizeof(c->ice_addresses[0]))
            goto fail;
        snprintf(c->ice_addresses[i], sizeof(c->ice_addresses[i]), "%s", json_string_value(item));
    }
    c->ice_address_count = (int)json_array_size(v);
    return 0;
fail:
    snprintf(err, err_size, "config: \"ice_addresses\" must be an array of 1 to %d address strings",
             CONFIG_MAX_ICE_ADDRESSES);
    return AVERROR(EINVAL);
}

/* "sip_accounts": [{"name", "username", "password", "realm"?, "from"?}, ...]. */
static int config_sip_accounts(json_t *obj, struct server_config *c, char *err, size_t err_size)
{
    json_t *v = json_object_get(obj, "sip_accounts"), *item;
    size_t i;
    int ret;

    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > CONFIG_MAX_SIP_ACCOUNTS) {
        snprintf(err, err_size, "config: \"sip_accounts\" must be an array of up to %d accounts",
                 CONFIG_MAX_SIP_ACCOUNTS);
        return AVERROR(EINVAL);
    }
    json_array_foreach(v, i, item) {
        struct config_sip_account *a = &c->sip_accounts[i];

        memset(a, 0, sizeof(*a));
        if (!json_is_object(item)) {
            snprintf(err, err_size, "config: sip_accounts[%zu] must be an object", i);
            return AVERROR(EINVAL);
        }
        if ((ret = config_string(item, "name", a->name, sizeof(a->name), err, err_size)) < 0 ||
            (ret = config_string(item, "username", a->username, sizeof(a->username), err, err_size)) < 0 ||
            (ret = config_string(item, "password", a->password, sizeof(a->password), err, err_size)) < 0 ||
            (ret = config_string(item, "realm", a->realm, sizeof(a->realm), err, err_size)) < 0 ||
            (ret = config_string(item, "from", a->from, sizeof(a->from), err, err_size)) < 0)
            return ret;
        if (!a->name[0])
            snprintf(a->name, sizeof(a->name), "default");
        if (!a->username[0] || strpbrk(a->username, ":\"") || strchr(a->realm, '"') ||
            (a->from[0] && (strpbrk(a->from, "\r\n") || !strstr(a->from, "sip:")))) {
            snprintf(err, err_size, "config: sip_accounts[%zu] needs a \"username\" (no ':' or '\"'), a realm "
                     "without '\"' and a \"from\" with a sip: URI", i);
            return AVERROR(EINVAL);
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(c->sip_accounts[k].name, a->name)) {
                snprintf(err, err_size, "config: two sip_accounts are named \"%s\"", a->name);
                return AVERROR(EINVAL);
            }
    }
    c->sip_account_count = (int)json_array_size(v);
    return 0;
}

const struct config_sip_account *config_find_sip_account(const struct server_config *c, const char *name)
{
    if (!name || !*name)
        name = "default";
    for (int i = 0; i < c->sip_account_count; i++)
        if (!strcmp(c->sip_accounts[i].name, name))
            return &c->sip_accounts[i];
    return NULL;
}

int config_parse(struct server_config *c, const char *json, size_t len, char *err, size_t err_size)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    int ret;

    if (!json_is_object(root)) {
        snprintf(err, err_size, "config: invalid JSON at line %d: %s", jerr.line,
                 root ? "not an object" : jerr.text);
        json_decref(root);
        return AVERROR_INVALIDDATA;
    }
    if ((ret = config_string(root, "http_address", c->http_address, sizeof(c->http_address), err, err_size)) < 0 ||
        (ret = config_int(root, "http_port", 1, 65535, &c->http_port, err, err_size)) < 0 ||
        (ret = config_string(root, "token", c->token, sizeof(c->token), err, err_size)) < 0 ||
        (ret = config_string(root, "rtp_address", c->rtp_address, sizeof(c->rtp_address), err, err_size)) < 0 ||
        (ret = config_int(root, "rtp_port_min", 1024, 65534, &c->rtp_port_min, err, err_size)) < 0 ||
        (ret = config_int(root, "rtp_port_max", 1025, 65535, &c->rtp_port_max, err, err_size)) < 0 ||
        (ret = config_int(root, "jitter_max_ms", 20, 2000, &c->jitter_max_ms, err, err_size)) < 0 ||
        (ret = config_int(root, "stream_buffer_ms", 200, 60000, &c->stream_buffer_ms, err, err_size)) < 0 ||
        (ret = config_string(root, "profiles_file", c->profiles_file, sizeof(c->profiles_file), err, err_size)) < 0 ||
        (ret = config_string(root, "record_dir", c->record_dir, sizeof(c->record_dir), err, err_size)) < 0 ||
        (ret = config_int(root, "sip_port", 0, 65535, &c->sip_port, err, err_size)) < 0 ||
        (ret = config_string(root, "sip_address", c->sip_address, sizeof(c->sip_address), err, err_size)) < 0 ||
        (ret = config_string(root, "sip_default_room", c->sip_default_room, sizeof(c->sip_default_room),
                             err, err_size)) < 0 ||
        (ret = config_string(root, "sip_pin", c->sip_pin, sizeof(c->sip_pin), err, err_size)) < 0 ||
        (ret = config_int(root, "sip_invite_rate", 1, 100000, &c->sip_invite_rate, err, err_size)) < 0 ||
        (ret = config_int(root, "sip_pin_timeout_s", 1, 3600, &c->sip_pin_timeout_s, err, err_size)) < 0 ||
        (ret = config_string(root, "sip_prompt_dir", c->sip_prompt_dir, sizeof(c->sip_prompt_dir),
                             err, err_size)) < 0 ||
        (ret = config_int(root, "sip_dial_timeout_s", 1, 600, &c->sip_dial_timeout_s, err, err_size)) < 0 ||
        (ret = config_int(root, "sip_dial_rate", 1, 1000, &c->sip_dial_rate, err, err_size)) < 0 ||
        (ret = config_int(root, "sip_media_timeout_s", 0, 3600, &c->sip_media_timeout_s, err, err_size)) < 0 ||
        (ret = config_sip_accounts(root, c, err, err_size)) < 0)
        goto done;
    if (c->sip_pin[strspn(c->sip_pin, "0123456789*")]) {
        snprintf(err, err_size, "config: \"sip_pin\" must be digits (0-9, *)");
        ret = AVERROR(EINVAL);
        goto done;
    }
    if ((ret = config_ice_addresses(root, c, err, err_size)) < 0 ||
        (ret = config_int(root, "ice_timeout_s", 1, 3600, &c->ice_timeout_s, err, err_size)) < 0 ||
        (ret = config_string(root, "dtls_cert", c->dtls_cert, sizeof(c->dtls_cert), err, err_size)) < 0 ||
        (ret = config_string(root, "dtls_key", c->dtls_key, sizeof(c->dtls_key), err, err_size)) < 0)
        goto done;
    if (!c->dtls_cert[0] != !c->dtls_key[0]) {
        snprintf(err, err_size, "config: \"dtls_cert\" and \"dtls_key\" go together (PEM certificate and its key)");
        ret = AVERROR(EINVAL);
        goto done;
    }
    if (c->rtp_port_max <= c->rtp_port_min) {
        snprintf(err, err_size, "config: rtp_port_max must be above rtp_port_min");
        ret = AVERROR(EINVAL);
    }
done:
    json_decref(root);
    return ret;
}

int config_load_file(struct server_config *c, const char *path, char *err, size_t err_size)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    char *text;
    int ret;

    if (!root) {
        snprintf(err, err_size, "config %s: %s (line %d)", path, jerr.text, jerr.line);
        return AVERROR_INVALIDDATA;
    }
    text = json_dumps(root, 0);
    json_decref(root);
    if (!text)
        return AVERROR(ENOMEM);
    ret = config_parse(c, text, strlen(text), err, err_size);
    free(text);
    return ret;
}
