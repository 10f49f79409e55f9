/* The serve loop: binds the HTTP API, dispatches requests, stops on
 * SIGINT/SIGTERM after finishing every room (recordings stay decodable). */
#include <signal.h>
#include <string.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include "layouts/layout.h"
#include "mixer/log.h"
#include "mixer/prompt.h"
#include "mixer/room.h"
#include "mixer/sink.h"
#include "mixer/room_thread.h"
#include "signal/loop_call.h"
#include "signal/output_rtp.h"
#include "signal/participant.h"
#include "signal/server.h"
#include "signal/sip.h"
#include "signal/sip_dial.h"
#include "signal/whip.h"

struct server_room *server_find_room(struct server *s, const char *id)
{
    for (int i = 0; i < s->room_count; i++)
        if (!strcmp(s->rooms[i]->id, id))
            return s->rooms[i];
    return NULL;
}

void server_room_free(struct server_room **p)
{
    struct server_room *r = *p;

    if (!r)
        return;
    room_thread_stop(&r->thread);
    participant_delete_all(NULL, r);
    for (int i = 0; i < r->output_count; i++)
        output_rtp_release(&r->outputs[i]);
    for (int i = 0; i < r->layout_count; i++)
        layout_def_free(&r->layouts[i]);
    av_free(r);
    *p = NULL;
}

static void server_on_signal(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;

    (void)fd;
    (void)what;
    log_info("stopping: finishing %d room%s", s->room_count, s->room_count == 1 ? "" : "s");
    event_base_loopbreak(s->base);
}

/* One spoken prompt of sip_prompt_dir at the rooms' mix rate, or NULL (logged:
 * waiting callers then hear the beep). */
static struct prompt *server_load_prompt(const struct server *s, const char *file)
{
    struct room_config rc;
    struct prompt *p = NULL;
    char path[1100];
    int ret;

    room_config_defaults(&rc);
    snprintf(path, sizeof(path), "%s/%s", s->cfg.sip_prompt_dir, file);
    ret = prompt_load(&p, path, rc.mix_rate);
    if (ret < 0)
        log_warn("sip: no spoken prompt %s (%s): callers waiting for their PIN hear a beep instead",
                 path, av_err2str(ret));
    else
        log_info("sip: spoken prompt %s (%.1f s)", path, (double)p->count / p->rate);
    return p;
}

static void server_load_prompts(struct server *s)
{
    s->pin_prompt = server_load_prompt(s, "pin_enter.wav");
    s->pin_wrong_prompt = server_load_prompt(s, "pin_wrong.wav");
}

int server_open(struct server **out, const struct server_config *cfg)
{
    struct server *s = av_mallocz(sizeof(*s));
    char err[512];

    *out = NULL;
    if (!s)
        return AVERROR(ENOMEM);
    s->cfg = *cfg;
    s->next_output_id = 1;
    s->next_room_number = 1;
    s->port_cursor = cfg->rtp_port_min;
    profile_set_init_builtin(&s->profiles);
    if (cfg->profiles_file[0] &&
        profile_set_load_file(&s->profiles, cfg->profiles_file, err, sizeof(err)) < 0) {
        log_error("%s", err);
        goto fail;
    }
    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);
    s->base = event_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    if (!s->http) {
        log_error("cannot start the event loop");
        goto fail;
    }
    if (loop_call_alloc(&s->calls, s->base, s) < 0 || whip_start(s) < 0)
        goto fail;
    evhttp_set_max_body_size(s->http, 1 << 20);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
                                        EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(s->http, api_handle, s);
    if (evhttp_bind_socket(s->http, cfg->http_address, (ev_uint16_t)cfg->http_port) < 0) {
        log_error("cannot listen on %s:%d (in use, or not a local address)",
                  cfg->http_address, cfg->http_port);
        goto fail;
    }
    if (cfg->sip_port && cfg->sip_pin[0])
        server_load_prompts(s);
    if (cfg->sip_port && sip_start(&s->sip, s) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    server_close(&s);
    return AVERROR_EXTERNAL;
}

void server_close(struct server **p)
{
    struct server *s = *p;

    if (!s)
        return;
    /* The SIP thread may wait in loop_call_run: close it before joining. */
    loop_call_close(s->calls);
    sip_stop(&s->sip);
    sip_dial_list_free(&s->dials);
    whip_stop(s);
    loop_call_free(&s->calls);
    for (int i = 0; i < s->room_count; i++)
        server_room_free(&s->rooms[i]);
    /* Broadcast outputs finish on their own threads (bounded by their flush time). */
    if (sink_stream_wait_all(5000) > 0)
        log_warn("stopping: a broadcast output did not finish in time");
    if (s->http)
        evhttp_free(s->http);
    if (s->base)
        event_base_free(s->base);
    prompt_free(&s->pin_prompt);
    prompt_free(&s->pin_wrong_prompt);
    av_free(s);
    *p = NULL;
}

int server_run(const struct server_config *cfg)
{
    struct server *s;
    struct event *sigint = NULL, *sigterm = NULL;
    int ret = 1;

    if (server_open(&s, cfg) < 0)
        return 1;
    sigint = evsignal_new(s->base, SIGINT, server_on_signal, s);
    sigterm = evsignal_new(s->base, SIGTERM, server_on_signal, s);
    if (!sigint || !sigterm || event_add(sigint, NULL) < 0 || event_add(sigterm, NULL) < 0)
        goto done;
    log_info("listening on http://%s:%d%s", cfg->http_address, cfg->http_port,
             cfg->token[0] ? " (bearer token required)" : "");
    event_base_dispatch(s->base);
    ret = 0;
done:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    server_close(&s);
    return ret;
}
