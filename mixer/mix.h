/* `tessera mix`: runs the room engine on files as fast as the CPU allows. */
#ifndef TESSERA_MIX_H
#define TESSERA_MIX_H

struct mix_options;

/* Returns the process exit status: 0 on success, 1 on error (logged). */
int mix_run(const struct mix_options *o);

#endif
