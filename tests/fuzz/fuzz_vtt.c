/* libFuzzer target: WebVTT caption files (user input) parse to a valid track or a
 * clean error; the active-cue lookup and display text work on any result. */
#include <stddef.h>
#include <stdint.h>
#include <libavutil/mem.h>
#include "mixer/captions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct caption_track *track = NULL;
    char err[512];

    if (caption_track_parse_vtt(&track, (const char *)data, size, err, sizeof(err)) < 0)
        return 0;
    for (int i = 0; i < track->count; i++) {
        const struct caption_cue *cue = &track->cues[i];
        char *text;
        if (cue->end <= cue->start)
            __builtin_trap();
        caption_track_active(track, cue->start);
        text = caption_cue_display_text(cue);
        av_free(text);
    }
    caption_track_free(&track);
    return 0;
}
