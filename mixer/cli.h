/* Command-line parsing of `tessera mix`: inputs with their options, profiles to
 * write, layout, captions, canvas. Errors name the offending argument. */
#ifndef TESSERA_CLI_H
#define TESSERA_CLI_H

#include <stddef.h>

#define CLI_MAX_INPUTS 64
#define CLI_MAX_OUTPUTS 32
#define CLI_PATH 1024

struct cli_input {
    char url[CLI_PATH];
    char name[64];               /* "" : derived from the URL */
    double at;                   /* join time in seconds */
    int is_screen;
};

struct cli_output {
    char profile[32];
    char url[CLI_PATH];
};

struct mix_options {
    struct cli_input inputs[CLI_MAX_INPUTS];
    int input_count;
    struct cli_output outputs[CLI_MAX_OUTPUTS];
    int output_count;
    char layout[CLI_PATH];
    char captions[CLI_PATH];
    char profiles_file[CLI_PATH];
    char timeline[CLI_PATH];
    double duration;             /* 0: until every input ended */
    int width, height, fps;
    double speaker_hold;
    int quiet;
    int help;
};

/* Parses the arguments after "mix". Fills defaults first. Returns 0, or a negative
 * code with a message in err. */
int cli_parse_mix(struct mix_options *o, int argc, char **argv, char *err, size_t err_size);

/* Parses one INPUT: "[name=NAME,at=SECONDS,role=screen:]URL". */
int cli_parse_input(struct cli_input *in, const char *arg, char *err, size_t err_size);

/* The participant name for an input: its name= or the file name without extension. */
void cli_input_display_name(const struct cli_input *in, char *buf, size_t size);

void cli_print_usage(void);

#endif
