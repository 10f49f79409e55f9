/* Generic source helpers: reading audio with silence fill, freeing. */
#include <string.h>
#include <libavutil/mem.h>
#include "mixer/keybox.h"
#include "mixer/source.h"

int source_read_audio(struct source *s, float *dst, int n)
{
    int got = 0;

    if (s->audio && av_audio_fifo_size(s->audio) > 0)
        got = av_audio_fifo_read(s->audio, (void **)&dst, n);
    if (got < 0)
        got = 0;
    if (got < n)
        memset(dst + got, 0, (size_t)(n - got) * sizeof(float));
    s->audio_consumed += n;
    return got;
}

void source_push_dtmf(struct source *s, char key)
{
    if (s->dtmf_len == (int)sizeof(s->dtmf) - 1) {
        memmove(s->dtmf, s->dtmf + 1, sizeof(s->dtmf) - 2);
        s->dtmf_len--;
    }
    s->dtmf[s->dtmf_len++] = key;
    s->dtmf[s->dtmf_len] = '\0';
}

void source_free(struct source **p)
{
    struct source *s = *p;

    if (!s)
        return;
    if (s->ops && s->ops->free_priv)
        s->ops->free_priv(s->priv);
    keybox_unref(&s->waiting);
    av_frame_free(&s->video);
    if (s->audio)
        av_audio_fifo_free(s->audio);
    av_free(s);
    *p = NULL;
}
