/* A keybox: a thread-safe, reference-counted queue of pressed keys (DTMF). One
 * thread (a room's, for a participant waiting to be admitted) pushes, another (the
 * SIP thread checking a PIN) takes; either may drop its reference first. */
#ifndef TESSERA_KEYBOX_H
#define TESSERA_KEYBOX_H

#include <stddef.h>

struct keybox;

/* A new box with one reference, or NULL (no memory). */
struct keybox *keybox_alloc(void);

/* Another reference to b (NULL-safe); returns b. */
struct keybox *keybox_ref(struct keybox *b);

/* Drops a reference (NULL-safe); the last one frees the box. *p = NULL. */
void keybox_unref(struct keybox **p);

/* Appends a key (the oldest is dropped when 32 wait). */
void keybox_push(struct keybox *b, char key);

/* Moves the waiting keys, oldest first, into out (at most size - 1 of them,
 * NUL-terminated). Returns how many. */
int keybox_take(struct keybox *b, char *out, size_t size);

#endif
