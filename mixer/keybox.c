/* The keybox: pressed keys handed from one thread to another under a mutex. */
#include <pthread.h>
#include <string.h>
#include <libavutil/mem.h>
#include "mixer/keybox.h"

#define KEYBOX_SIZE 32

struct keybox {
    pthread_mutex_t lock;
    int refs;
    char keys[KEYBOX_SIZE];
    int len;
};

struct keybox *keybox_alloc(void)
{
    struct keybox *b = av_mallocz(sizeof(*b));

    if (!b)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->refs = 1;
    return b;
}

struct keybox *keybox_ref(struct keybox *b)
{
    if (b) {
        pthread_mutex_lock(&b->lock);
        b->refs++;
        pthread_mutex_unlock(&b->lock);
    }
    return b;
}

void keybox_unref(struct keybox **p)
{
    struct keybox *b = *p;
    int last;

    if (!b)
        return;
    *p = NULL;
    pthread_mutex_lock(&b->lock);
    last = --b->refs == 0;
    pthread_mutex_unlock(&b->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&b->lock);
    av_free(b);
}

void keybox_push(struct keybox *b, char key)
{
    pthread_mutex_lock(&b->lock);
    if (b->len == KEYBOX_SIZE) {
        memmove(b->keys, b->keys + 1, KEYBOX_SIZE - 1);
        b->len--;
    }
    b->keys[b->len++] = key;
    pthread_mutex_unlock(&b->lock);
}

int keybox_take(struct keybox *b, char *out, size_t size)
{
    int n;

    if (!size)
        return 0;
    pthread_mutex_lock(&b->lock);
    n = b->len < (int)size - 1 ? b->len : (int)size - 1;
    memcpy(out, b->keys, (size_t)n);
    memmove(b->keys, b->keys + n, (size_t)(b->len - n));
    b->len -= n;
    pthread_mutex_unlock(&b->lock);
    out[n] = '\0';
    return n;
}
