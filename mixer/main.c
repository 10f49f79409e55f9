/* The tessera command: dispatches to `mix` (and later `serve`), --help, --version. */
#include <stdio.h>
#include <string.h>
#include <libavutil/log.h>
#include "mixer/cli.h"
#include "mixer/log.h"
#include "mixer/mix.h"
#include "mixer/version.h"
#include "signal/config.h"
#include "signal/server.h"

/* tessera serve [--config FILE] */
static int serve_main(int argc, char **argv)
{
    struct server_config cfg;
    char err[1200];

    config_defaults(&cfg);
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            if (config_load_file(&cfg, argv[++i], err, sizeof(err)) < 0) {
                log_error("%s", err);
                return 1;
            }
        } else if (!strcmp(argv[i], "--help")) {
            cli_print_usage();
            return 0;
        } else {
            log_error("serve: unknown argument '%s' (usage: tessera serve [--config FILE])", argv[i]);
            return 1;
        }
    }
    return server_run(&cfg);
}

int main(int argc, char **argv)
{
    static struct mix_options options;
    char err[1200] = "";

    av_log_set_level(AV_LOG_ERROR);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        cli_print_usage();
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("tessera %s\n", TESSERA_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "serve"))
        return serve_main(argc - 2, argv + 2);
    if (strcmp(argv[1], "mix")) {
        log_error("unknown command '%s' (commands: mix, serve; see tessera --help)", argv[1]);
        return 1;
    }
    if (cli_parse_mix(&options, argc - 2, argv + 2, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 1;
    }
    if (options.help) {
        cli_print_usage();
        return 0;
    }
    return mix_run(&options);
}
