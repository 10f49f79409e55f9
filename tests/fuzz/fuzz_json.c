/* libFuzzer target: the JSON documents tessera reads from users — the server
 * config, the profiles file and layout files — must give a clean error or a
 * valid result, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include "layouts/layout.h"
#include "mixer/profile.h"
#include "signal/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct server_config cfg;
    struct profile_set profiles;
    struct layout_def *def = NULL;
    char err[512];

    config_defaults(&cfg);
    config_parse(&cfg, (const char *)data, size, err, sizeof(err));
    profile_set_init_builtin(&profiles);
    if (profile_set_parse(&profiles, (const char *)data, size, err, sizeof(err)) == 0) {
        for (int i = 0; i < profiles.count; i++)
            if (!profiles.defs[i].video_codec[0] && !profiles.defs[i].audio_codec[0])
                __builtin_trap();
    }
    if (layout_def_parse(&def, (const char *)data, size, err, sizeof(err)) == 0) {
        for (int n = 0; n <= 30; n++)
            if (!layout_def_pick_variant(def, n))
                __builtin_trap();
        layout_def_free(&def);
    }
    return 0;
}
