/* Unit tests of the SIP dial-out and supervision keys of the server config:
 * defaults, sip_accounts (lookup by name, "default" when none is named) and the
 * refusals that name the field. */
#include <string.h>

#include "signal/config.h"
#include "test.h"

static int parse(struct server_config *c, const char *json, char *err, size_t err_size)
{
    config_defaults(c);
    err[0] = '\0';
    return config_parse(c, json, strlen(json), err, err_size);
}

static int test_sip_dial_defaults(void)
{
    struct server_config c;
    char err[256];

    TEST_CHECK(parse(&c, "{}", err, sizeof(err)) == 0);
    TEST_CHECK(c.sip_dial_timeout_s == 30 && c.sip_media_timeout_s == 30 && c.sip_dial_rate == 5);
    TEST_CHECK(c.sip_account_count == 0 && !config_find_sip_account(&c, NULL));
    TEST_CHECK(parse(&c, "{\"sip_media_timeout_s\": 0, \"sip_dial_timeout_s\": 2}", err, sizeof(err)) == 0);
    TEST_CHECK(c.sip_media_timeout_s == 0 && c.sip_dial_timeout_s == 2);
    return 0;
}

static int test_sip_accounts(void)
{
    struct server_config c;
    const struct config_sip_account *a;
    char err[256];

    TEST_CHECK(parse(&c, "{\"sip_accounts\": [{\"username\": \"alice\", \"password\": \"p:w\"},"
                         " {\"name\": \"pbx\", \"username\": \"bob\", \"password\": \"x\", \"realm\": \"r.example\","
                         " \"from\": \"\\\"Conf\\\" <sip:conf@r.example>\"}]}", err, sizeof(err)) == 0);
    TEST_CHECK(c.sip_account_count == 2);
    a = config_find_sip_account(&c, NULL);
    TEST_CHECK(a && !strcmp(a->name, "default") && !strcmp(a->username, "alice") && !strcmp(a->password, "p:w"));
    a = config_find_sip_account(&c, "pbx");
    TEST_CHECK(a && !strcmp(a->realm, "r.example") && !strcmp(a->from, "\"Conf\" <sip:conf@r.example>"));
    TEST_CHECK(!config_find_sip_account(&c, "other"));
    return 0;
}

static int test_sip_config_refusals(void)
{
    static const struct { const char *json, *names; } bad[] = {
        { "{\"sip_media_timeout_s\": -1}", "sip_media_timeout_s" },
        { "{\"sip_dial_timeout_s\": 0}", "sip_dial_timeout_s" },
        { "{\"sip_dial_rate\": 0}", "sip_dial_rate" },
        { "{\"sip_accounts\": {}}", "sip_accounts" },
        { "{\"sip_accounts\": [5]}", "sip_accounts[0]" },
        { "{\"sip_accounts\": [{\"password\": \"x\"}]}", "username" },
        { "{\"sip_accounts\": [{\"username\": \"a:b\"}]}", "username" },
        { "{\"sip_accounts\": [{\"username\": \"a\", \"from\": \"tel:123\"}]}", "from" },
        { "{\"sip_accounts\": [{\"username\": \"a\"}, {\"username\": \"b\"}]}", "default" },
    };
    struct server_config c;
    char err[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        TEST_CHECK(parse(&c, bad[i].json, err, sizeof(err)) < 0);
        TEST_CHECK(strstr(err, bad[i].names) != NULL);
    }
    return 0;
}

static const struct test_case cases[] = {
    { "sip_dial_defaults", test_sip_dial_defaults },
    { "sip_accounts", test_sip_accounts },
    { "sip_config_refusals", test_sip_config_refusals },
    { NULL, NULL },
};

const struct test_suite config_sip_suite = { "config_sip", cases };
