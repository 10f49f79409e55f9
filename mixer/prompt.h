/* Spoken prompts: short audio files (the PIN prompts rendered by espeak-ng at build
 * time) decoded once into mono float samples at the mix rate, then read-only and
 * shared by every room. */
#ifndef TESSERA_PROMPT_H
#define TESSERA_PROMPT_H

#define PROMPT_MAX_SECONDS 30

struct prompt {
    float *samples;              /* mono, at rate */
    int count;
    int rate;
};

/* Decodes the audio file at path (any format libavformat reads; at most
 * PROMPT_MAX_SECONDS) to mono float at rate. *out written on success only.
 * Returns 0 or a negative code (missing file, no audio stream, too long,
 * undecodable): the caller logs it. */
int prompt_load(struct prompt **out, const char *path, int rate);

/* NULL-safe; nulls *p. */
void prompt_free(struct prompt **p);

#endif
