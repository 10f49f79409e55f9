/* The offline driver: opens inputs, captions, layout and profiles, then ticks a
 * room until every input ended (or --duration), showing progress; SIGINT/SIGTERM
 * stop it early with every output finished cleanly. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libavutil/mem.h>
#include "mixer/captions.h"
#include "mixer/cli.h"
#include "mixer/log.h"
#include "mixer/mix.h"
#include "mixer/overlay.h"
#include "mixer/profile_out.h"
#include "mixer/room.h"
#include "mixer/sink.h"
#include "mixer/source.h"
#include "mixer/timeline.h"

static volatile sig_atomic_t mix_stop_requested;

static void mix_on_signal(int sig)
{
    (void)sig;
    mix_stop_requested = 1;
}

struct mix_job {
    struct layout_def *layout;
    struct caption_track *captions;
    struct timeline *timeline;
    struct profile_set profiles;
    struct room *room;
};

static const char *mix_layouts_dir(void)
{
    const char *dir = getenv("TESSERA_LAYOUTS_DIR");
    return dir && *dir ? dir : TESSERA_SOURCE_DIR "/layouts";
}

static double mix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int mix_load_data(struct mix_job *job, const struct mix_options *o)
{
    char err[512] = "";
    int ret;

    ret = layout_def_load(&job->layout, o->layout, mix_layouts_dir(), err, sizeof(err));
    if (ret < 0) {
        log_error("%s", err);
        return ret;
    }
    profile_set_init_builtin(&job->profiles);
    if (o->profiles_file[0] &&
        (ret = profile_set_load_file(&job->profiles, o->profiles_file, err, sizeof(err))) < 0) {
        log_error("%s", err);
        return ret;
    }
    if (o->captions[0] &&
        (ret = caption_track_load_vtt(&job->captions, o->captions, err, sizeof(err))) < 0) {
        log_error("captions %s: %s", o->captions, err);
        return ret;
    }
    if (o->timeline[0] && (ret = timeline_alloc(&job->timeline)) < 0)
        return ret;
    return 0;
}

static int mix_add_inputs(struct mix_job *job, const struct mix_options *o, int mix_rate)
{
    for (int i = 0; i < o->input_count; i++) {
        const struct cli_input *in = &o->inputs[i];
        struct source *s = NULL;
        int ret = source_file_alloc(&s, in->url, mix_rate);

        if (ret < 0)
            return ret;
        cli_input_display_name(in, s->name, sizeof(s->name));
        s->join_at = in->at;
        s->is_screen = in->is_screen;
        ret = room_add_source(job->room, s);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* One profile_out per profile named, with every URL of that profile as a sink. */
static int mix_add_outputs(struct mix_job *job, const struct mix_options *o,
                           const struct room_config *cfg)
{
    char names[256];

    for (int i = 0; i < o->output_count; i++) {
        const struct profile_def *def = profile_set_find(&job->profiles, o->outputs[i].profile);
        int seen = 0;

        if (!def) {
            profile_set_names(&job->profiles, names, sizeof(names));
            log_error("unknown profile '%s' (known: %s)", o->outputs[i].profile, names);
            return AVERROR(EINVAL);
        }
        for (int k = 0; k < i; k++)
            seen |= !strcmp(o->outputs[k].profile, def->name);
        if (seen)
            continue;
        struct profile_out_input in = {
            .canvas_width = cfg->width, .canvas_height = cfg->height, .canvas_fps = cfg->fps,
            .mix_rate = cfg->mix_rate, .with_captions = job->captions != NULL,
        };
        struct profile_out *p = NULL;
        int ret = profile_out_alloc(&p, def, &in);
        if (ret < 0)
            return ret;
        for (int k = i; k < o->output_count && ret >= 0; k++) {
            struct sink *s = NULL;
            if (strcmp(o->outputs[k].profile, def->name))
                continue;
            ret = sink_file_alloc(&s, o->outputs[k].url, def);
            if (ret >= 0)
                ret = profile_out_add_sink(p, s);
        }
        if (ret < 0) {
            profile_out_free(&p);
            return ret;
        }
        ret = room_add_profile(job->room, p);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static void mix_show_progress(const struct mix_job *job, double started, int final)
{
    struct room_stats st;
    double wall = mix_now() - started;

    room_get_stats(job->room, &st);
    fprintf(stderr, "\r\033[Ktessera: %6.1f s mixed  %5.2fx real time  %d participant%s  %d output%s%s",
            st.media_time, wall > 0 ? st.media_time / wall : 0.0, st.participants_present,
            st.participants_present == 1 ? "" : "s", room_profile_count(job->room),
            room_profile_count(job->room) == 1 ? "" : "s", final ? "\n" : "");
}

static int mix_loop(struct mix_job *job, const struct mix_options *o)
{
    int progress = !o->quiet && isatty(STDERR_FILENO);
    double started = mix_now(), last_progress = 0;
    int ret = 0;

    log_set_progress_active(progress);
    while (!mix_stop_requested && !room_all_ended(job->room)) {
        struct room_stats st;

        room_get_stats(job->room, &st);
        if (o->duration > 0 && st.media_time >= o->duration - 1e-9)
            break;
        ret = room_tick(job->room);
        if (ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0)
            break;
        if (progress && mix_now() - last_progress > 0.25) {
            mix_show_progress(job, started, 0);
            last_progress = mix_now();
        }
    }
    if (progress)
        mix_show_progress(job, started, 1);
    log_set_progress_active(0);
    if (mix_stop_requested)
        log_warn("stopped by a signal: finishing the outputs");
    return ret;
}

static void mix_print_outputs(const struct mix_job *job, const struct mix_options *o)
{
    struct room_stats st;

    if (o->quiet)
        return;
    room_get_stats(job->room, &st);
    printf("mixed %.2f s of %d input%s\n", st.media_time, o->input_count,
           o->input_count == 1 ? "" : "s");
    for (int i = 0; i < room_profile_count(job->room); i++) {
        struct profile_out *p = room_profile(job->room, i);
        struct sink *s;
        for (int k = 0; (s = profile_out_sink(p, k)); k++)
            printf("  %-10s -> %s (%.1f kB)\n", profile_out_def(p)->name, s->url, s->bytes / 1000.0);
    }
    if (o->timeline[0])
        printf("  %-10s -> %s\n", "timeline", o->timeline);
}

int mix_run(const struct mix_options *o)
{
    struct mix_job job = { 0 };
    struct room_config cfg;
    int ret;

    signal(SIGINT, mix_on_signal);
    signal(SIGTERM, mix_on_signal);
    if ((ret = mix_load_data(&job, o)) < 0)
        goto done;
    room_config_defaults(&cfg);
    cfg.width = o->width;
    cfg.height = o->height;
    cfg.fps = o->fps;
    cfg.speaker_hold_s = o->speaker_hold;
    cfg.layout = job.layout;
    cfg.captions = job.captions;
    cfg.timeline = job.timeline;
    cfg.end_when_all_left = 1;
    if ((ret = room_alloc(&job.room, &cfg)) < 0 ||
        (ret = mix_add_inputs(&job, o, cfg.mix_rate)) < 0 ||
        (ret = mix_add_outputs(&job, o, &cfg)) < 0 ||
        (ret = room_start(job.room)) < 0)
        goto done;
    ret = mix_loop(&job, o);
    {
        int fin = room_finish(job.room);
        if (ret >= 0)
            ret = fin;
    }
    if (ret >= 0 && job.timeline) {
        struct room_stats st;
        room_get_stats(job.room, &st);
        ret = timeline_write_json(job.timeline, o->timeline, st.media_time);
    }
    if (ret >= 0)
        mix_print_outputs(&job, o);
done:
    room_free(&job.room);
    timeline_free(&job.timeline);
    caption_track_free(&job.captions);
    layout_def_free(&job.layout);
    overlay_thread_release();
    return ret < 0 ? 1 : 0;
}
