/* Room routes: create/list/get/delete rooms, attach/detach outputs, switch the
 * layout, mute participants, post live captions. Changes reach a room's media
 * thread as queued commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
#include "layouts/layout.h"
#include "mixer/log.h"
#include "mixer/profile_out.h"
#include "mixer/room.h"
#include "mixer/room_thread.h"
#include "mixer/sink.h"
#include "signal/http.h"
#include "signal/output_rtp.h"
#include "signal/server.h"
#include "signal/sip_dial.h"

static const char *api_layouts_dir(void)
{
    const char *dir = getenv("TESSERA_LAYOUTS_DIR");
    return dir && *dir ? dir : TESSERA_SOURCE_DIR "/layouts";
}

/* The room's copy of a layout, loaded on first use. NULL after replying 400. */
static struct layout_def *api_room_layout(struct server_room *r, const char *name,
                                          struct evhttp_request *req)
{
    char err[512];
    struct layout_def *def = NULL;

    for (int i = 0; i < r->layout_count; i++)
        if (!strcmp(r->layouts[i]->name, name))
            return r->layouts[i];
    if (r->layout_count >= SERVER_MAX_LAYOUTS) {
        http_reply_error(req, 400, "too many different layouts in one room");
        return NULL;
    }
    if (strchr(name, '/') || layout_def_load(&def, name, api_layouts_dir(), err, sizeof(err)) < 0) {
        http_reply_error(req, 400, "%s", strchr(name, '/') ? "layout must be a built-in name" : err);
        return NULL;
    }
    /* Built-in files carry their own name; key the cache by the requested one. */
    snprintf(def->name, sizeof(def->name), "%s", name);
    r->layouts[r->layout_count++] = def;
    return def;
}

static json_t *api_room_json(struct server_room *r)
{
    char *snap = room_thread_snapshot(r->thread);
    json_t *state = snap ? json_loads(snap, 0, NULL) : NULL;
    json_t *outputs = json_array();

    av_free(snap);
    for (int i = 0; i < r->output_count; i++)
        json_array_append_new(outputs, json_pack("{s:i, s:s, s:s}", "id", r->outputs[i].id,
                                                 "profile", r->outputs[i].profile,
                                                 "url", r->outputs[i].url));
    return json_pack("{s:s, s:s, s:i, s:i, s:i, s:o, s:o*}", "id", r->id, "layout", r->layout,
                     "width", r->width, "height", r->height, "fps", r->fps,
                     "outputs", outputs, "state", state);
}

static int api_json_int(json_t *obj, const char *key, int def, int lo, int hi, int *out)
{
    json_t *v = json_object_get(obj, key);

    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = (int)json_integer_value(v);
    return 0;
}

static int api_valid_id(const char *id)
{
    size_t len = strlen(id);

    if (!len || len >= 64)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!(id[i] == '-' || id[i] == '_' || (id[i] >= '0' && id[i] <= '9') ||
              (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')))
            return 0;
    return 1;
}

/* --- commands run on the room thread --- */

struct api_output_cmd {
    struct profile_def def;
    struct profile_out_input in;
    char url[1024];
    int id;
    int buffer_ms;               /* broadcast outputs: most media queued for a slow server */
};

/* The running profile `def`, started on first use. Room thread. */
static struct profile_out *api_room_profile(struct room *room, const struct profile_def *def,
                                            const struct profile_out_input *in)
{
    struct profile_out *p = room_find_profile(room, def->name);

    if (!p && (profile_out_alloc(&p, def, in) < 0 || room_add_profile(room, p) < 0))
        return NULL;
    return room_find_profile(room, def->name);
}

static void api_cmd_add_output(struct room *room, void *arg)
{
    struct api_output_cmd *c = arg;
    struct profile_out *p = api_room_profile(room, &c->def, &c->in);
    struct sink *sink = NULL;

    if (!p)
        return;
    /* A broadcast server gets its own writer thread: it must never stall the room. */
    if ((sink_stream_is_network_url(c->url) ? sink_stream_alloc(&sink, c->url, &c->def, c->buffer_ms)
                                            : sink_file_alloc(&sink, c->url, &c->def)) < 0)
        return;
    sink->id = c->id;
    profile_out_add_sink(p, sink);
}

struct api_sink_cmd {
    struct profile_def def;
    struct profile_out_input in;
    struct sink *sink;
};

static void api_cmd_attach_sink(struct room *room, void *arg)
{
    struct api_sink_cmd *c = arg;
    struct profile_out *p = api_room_profile(room, &c->def, &c->in);

    if (!p) {
        log_error("profile %s: cannot start it; receiver %s gets nothing", c->def.name, c->sink->url);
        sink_free(&c->sink);
    } else if (profile_out_add_sink(p, c->sink) < 0) {
        log_error("profile %s: receiver %s refused (too many, or it failed to open)",
                  c->def.name, c->sink->url);
    }
    c->sink = NULL;
}

static void api_sink_cmd_free(void *arg)
{
    struct api_sink_cmd *c = arg;
    sink_free(&c->sink);
    av_free(c);
}

int server_room_attach_sink(struct server_room *r, const struct profile_def *def, struct sink *sink)
{
    struct api_sink_cmd *c = av_mallocz(sizeof(*c));

    if (!c) {
        sink_free(&sink);
        return AVERROR(ENOMEM);
    }
    c->def = *def;
    c->in = (struct profile_out_input){ r->width, r->height, r->fps, 48000, 1 };
    c->sink = sink;
    return room_thread_post(r->thread, api_cmd_attach_sink, c, api_sink_cmd_free);
}

struct api_remove_output_cmd {
    char profile[32];
    int id;
};

static void api_cmd_remove_output(struct room *room, void *arg)
{
    struct api_remove_output_cmd *c = arg;
    struct profile_out *p = room_find_profile(room, c->profile);

    if (p)
        profile_out_remove_sink(p, c->id);
    /* An adaptive WHEP viewer has a sink with this id in each profile it used. */
    for (int i = 0; i < room_profile_count(room); i++)
        if (room_profile(room, i) != p)
            profile_out_remove_sink(room_profile(room, i), c->id);
}

int server_room_remove_output(struct server_room *r, int id)
{
    for (int i = 0; i < r->output_count; i++) {
        struct server_output *o = &r->outputs[i];
        /* A file output's sink has the output's id; RTP and WHEP ones their own. */
        int ids[2] = { o->sink_ids[0] ? o->sink_ids[0] : id, o->sink_ids[1] };
        if (o->id != id)
            continue;
        for (int k = 0; k < 2 && ids[k]; k++) {
            struct api_remove_output_cmd *c = av_mallocz(sizeof(*c));
            if (!c)
                continue;
            c->id = ids[k];
            snprintf(c->profile, sizeof(c->profile), "%s", o->profile);
            room_thread_post(r->thread, api_cmd_remove_output, c, av_free);
        }
        output_rtp_release(o);
        memmove(r->outputs + i, r->outputs + i + 1, (size_t)(r->output_count - i - 1) * sizeof(r->outputs[0]));
        r->output_count--;
        return 0;
    }
    return AVERROR(ENOENT);
}

static void api_cmd_set_layout(struct room *room, void *arg)
{
    room_set_layout(room, arg);
}

struct api_caption_cmd {
    char speaker[64];
    char *text;
    int final;
};

static void api_cmd_caption(struct room *room, void *arg)
{
    struct api_caption_cmd *c = arg;
    room_set_live_caption(room, c->speaker, c->text, c->final, 4.0);
}

static void api_caption_free(void *arg)
{
    struct api_caption_cmd *c = arg;
    av_free(c->text);
    av_free(c);
}

struct api_mute_cmd {
    int id, muted;
};

struct api_pin_cmd {
    int id, slot;
};

static void api_cmd_pin(struct room *room, void *arg)
{
    struct api_pin_cmd *c = arg;
    room_pin(room, c->id, c->slot);
}

static void api_cmd_mute(struct room *room, void *arg)
{
    struct api_mute_cmd *c = arg;
    room_set_mute(room, c->id, c->muted);
}

/* --- handlers --- */

/* An RTP receiver described by its SDP; the answer goes into reply. */
static int api_add_rtp_output(struct server *s, struct server_room *r, const struct profile_def *def,
                              const char *sdp, json_t *reply, struct evhttp_request *req)
{
    struct server_output *o = &r->outputs[r->output_count];
    char *answer = av_malloc(8192);
    char err[1024] = "";
    int ret;

    if (!answer) {
        http_reply_error(req, 500, "out of memory");
        return -1;
    }
    memset(o, 0, sizeof(*o));
    o->id = s->next_output_id++;
    snprintf(o->profile, sizeof(o->profile), "%s", def->name);
    ret = output_rtp_create(s, r, def, sdp, o, answer, 8192, err, sizeof(err));
    if (ret < 0) {
        http_reply_error(req, 400, "%s", err);
        av_free(answer);
        return -1;
    }
    r->output_count++;
    if (reply)
        json_object_set_new(reply, "sdp", json_string(answer));
    av_free(answer);
    return o->id;
}

static int api_add_output(struct server *s, struct server_room *r, json_t *obj,
                          struct evhttp_request *req, json_t *reply)
{
    const char *profile = json_string_value(json_object_get(obj, "profile"));
    const char *url = json_string_value(json_object_get(obj, "url"));
    const char *sdp = json_string_value(json_object_get(obj, "sdp"));
    const struct profile_def *def = profile ? profile_set_find(&s->profiles, profile) : NULL;
    struct api_output_cmd *c;
    struct server_output *o;

    if (r->output_count >= SERVER_MAX_OUTPUTS) {
        http_reply_error(req, 503, "room %s has the maximum of %d outputs", r->id, SERVER_MAX_OUTPUTS);
        return -1;
    }
    if (def && sdp)
        return api_add_rtp_output(s, r, def, sdp, reply, req);
    if (!def || !url || !*url || strlen(url) >= sizeof(c->url)) {
        http_reply_error(req, 400, "an output needs a known \"profile\" and a \"url\" or an \"sdp\"%s%s",
                         profile && !def ? "; unknown profile " : "", profile && !def ? profile : "");
        return -1;
    }
    if (strstr(url, "://") && !sink_stream_is_network_url(url)) {
        http_reply_error(req, 400, "output %s: a URL must be rtmp:// or rtmps:// (else a file path)", url);
        return -1;
    }
    if (!strstr(url, ".m3u8") && !strstr(url, "://") && !av_guess_format(NULL, url, NULL)) {
        http_reply_error(req, 400, "output %s: no muxer for this file name", url);
        return -1;
    }
    if (r->output_count >= SERVER_MAX_OUTPUTS) {
        http_reply_error(req, 400, "too many outputs");
        return -1;
    }
    c = av_mallocz(sizeof(*c));
    if (!c) {
        http_reply_error(req, 500, "out of memory");
        return -1;
    }
    c->def = *def;
    c->in = (struct profile_out_input){ r->width, r->height, r->fps, 48000, 1 };
    c->buffer_ms = s->cfg.stream_buffer_ms;
    if (url[0] != '/' && !strstr(url, "://")) {
        if (strlen(s->cfg.record_dir) + strlen(url) + 2 > sizeof(c->url)) {
            av_free(c);
            http_reply_error(req, 400, "output path too long");
            return -1;
        }
        memcpy(c->url, s->cfg.record_dir, strlen(s->cfg.record_dir));
        c->url[strlen(s->cfg.record_dir)] = '/';
        memcpy(c->url + strlen(s->cfg.record_dir) + 1, url, strlen(url) + 1);
    } else {
        snprintf(c->url, sizeof(c->url), "%s", url);
    }
    c->id = s->next_output_id++;
    o = &r->outputs[r->output_count++];
    memset(o, 0, sizeof(*o));
    o->id = c->id;
    snprintf(o->profile, sizeof(o->profile), "%s", def->name);
    snprintf(o->url, sizeof(o->url), "%s", c->url);
    room_thread_post(r->thread, api_cmd_add_output, c, av_free);
    return o->id;
}

static void api_create_room(struct server *s, struct evhttp_request *req)
{
    json_t *body = http_read_json(req);
    struct server_room *r = NULL;
    struct room *room = NULL;
    struct room_config cfg;
    struct layout_def *layout;
    const char *id, *layout_name;
    json_t *outputs, *output;
    size_t i;

    if (!body)
        return;
    if (s->room_count >= SERVER_MAX_ROOMS) {
        http_reply_error(req, 503, "too many rooms (%d)", SERVER_MAX_ROOMS);
        goto done;
    }
    r = av_mallocz(sizeof(*r));
    if (!r) {
        http_reply_error(req, 500, "out of memory");
        goto done;
    }
    r->serial = ++s->next_room_serial;
    id = json_string_value(json_object_get(body, "id"));
    if (id && server_find_room(s, id)) {
        http_reply_error(req, 409, "room %s exists", id);
        goto done;
    }
    if (id && !api_valid_id(id)) {
        http_reply_error(req, 400, "room id '%s': use 1-63 of [A-Za-z0-9_-]", id);
        goto done;
    }
    if (id)
        snprintf(r->id, sizeof(r->id), "%s", id);
    else
        snprintf(r->id, sizeof(r->id), "room%d", s->next_room_number++);
    if (api_json_int(body, "width", 1280, 64, 3840, &r->width) < 0 ||
        api_json_int(body, "height", 720, 64, 2160, &r->height) < 0 ||
        api_json_int(body, "fps", 30, 1, 60, &r->fps) < 0 || r->width % 2 || r->height % 2) {
        http_reply_error(req, 400, "width/height must be even, 64x64..3840x2160; fps 1..60");
        goto done;
    }
    layout_name = json_string_value(json_object_get(body, "layout"));
    snprintf(r->layout, sizeof(r->layout), "%s", layout_name ? layout_name : "grid");
    layout = api_room_layout(r, r->layout, req);
    if (!layout)
        goto done;
    room_config_defaults(&cfg);
    cfg.width = r->width;
    cfg.height = r->height;
    cfg.fps = r->fps;
    cfg.layout = layout;
    cfg.prompt_enter = s->pin_prompt;
    cfg.prompt_wrong = s->pin_wrong_prompt;
    if (room_alloc(&room, &cfg) < 0 || room_thread_start(&r->thread, room, room_stats_json, NULL) < 0) {
        http_reply_error(req, 500, "cannot start the room");
        goto done;
    }
    outputs = json_object_get(body, "outputs");
    json_array_foreach(outputs, i, output) {
        if (api_add_output(s, r, output, req, NULL) < 0)
            goto done;
    }
    s->rooms[s->room_count++] = r;
    http_reply_json(req, 201, api_room_json(r));
    r = NULL;
done:
    server_room_free(&r);
    json_decref(body);
}

static void api_delete_room(struct server *s, struct server_room *r, struct evhttp_request *req)
{
    for (int i = 0; i < s->room_count; i++) {
        if (s->rooms[i] != r)
            continue;
        memmove(s->rooms + i, s->rooms + i + 1, (size_t)(s->room_count - i - 1) * sizeof(s->rooms[0]));
        s->room_count--;
        break;
    }
    server_room_free(&r);
    http_reply_text(req, 204, "application/json", "", 0);
}

static void api_list_rooms(struct server *s, struct evhttp_request *req)
{
    json_t *list = json_array();

    for (int i = 0; i < s->room_count; i++)
        json_array_append_new(list, api_room_json(s->rooms[i]));
    http_reply_json(req, 200, json_pack("{s:o}", "rooms", list));
}

static void api_outputs(struct server *s, struct server_room *r, struct evhttp_request *req,
                        char seg[][128], int n)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);

    if (n == 3 && method == EVHTTP_REQ_POST) {
        json_t *body = http_read_json(req);
        json_t *reply = json_object();
        int id;
        if (!body) {
            json_decref(reply);
            return;
        }
        id = api_add_output(s, r, body, req, reply);
        json_decref(body);
        if (id >= 0) {
            json_object_set_new(reply, "id", json_integer(id));
            http_reply_json(req, 201, reply);
        } else {
            json_decref(reply);
        }
        return;
    }
    if (n == 4 && method == EVHTTP_REQ_DELETE) {
        if (server_room_remove_output(r, atoi(seg[3])) < 0)
            http_reply_error(req, 404, "no output %s in room %s", seg[3], r->id);
        else
            http_reply_text(req, 204, "application/json", "", 0);
        return;
    }
    http_reply_error(req, 405, "outputs: POST /rooms/ID/outputs or DELETE /rooms/ID/outputs/OID");
}

static void api_layout(struct server_room *r, struct evhttp_request *req)
{
    json_t *body = http_read_json(req);
    const char *name;
    struct layout_def *def;

    if (!body)
        return;
    name = json_string_value(json_object_get(body, "layout"));
    if (!name) {
        http_reply_error(req, 400, "expected {\"layout\": NAME}");
        goto done;
    }
    def = api_room_layout(r, name, req);
    if (!def)
        goto done;
    snprintf(r->layout, sizeof(r->layout), "%s", name);
    room_thread_post(r->thread, api_cmd_set_layout, def, NULL);
    http_reply_json(req, 200, json_pack("{s:s}", "layout", r->layout));
done:
    json_decref(body);
}

static void api_caption(struct server_room *r, struct evhttp_request *req)
{
    json_t *body = http_read_json(req);
    const char *text, *speaker;
    struct api_caption_cmd *c;

    if (!body)
        return;
    text = json_string_value(json_object_get(body, "text"));
    speaker = json_string_value(json_object_get(body, "speaker"));
    if (!text || strlen(text) > 2000 || (speaker && strlen(speaker) >= 64)) {
        http_reply_error(req, 400, "expected {\"text\": up to 2000 bytes, \"speaker\": optional, \"final\": bool}");
        goto done;
    }
    c = av_mallocz(sizeof(*c));
    if (!c || !(c->text = av_strdup(text))) {
        av_free(c);
        http_reply_error(req, 500, "out of memory");
        goto done;
    }
    snprintf(c->speaker, sizeof(c->speaker), "%s", speaker ? speaker : "");
    c->final = json_is_true(json_object_get(body, "final"));
    room_thread_post(r->thread, api_cmd_caption, c, api_caption_free);
    http_reply_json(req, 202, json_pack("{s:b}", "accepted", 1));
done:
    json_decref(body);
}

static void api_mute(struct server_room *r, struct evhttp_request *req, const char *pid)
{
    json_t *body = http_read_json(req);
    struct api_mute_cmd *c;

    if (!body)
        return;
    if (!json_is_boolean(json_object_get(body, "muted"))) {
        http_reply_error(req, 400, "expected {\"muted\": true|false}");
        goto done;
    }
    c = av_mallocz(sizeof(*c));
    if (!c) {
        http_reply_error(req, 500, "out of memory");
        goto done;
    }
    c->id = atoi(pid);
    c->muted = json_is_true(json_object_get(body, "muted"));
    http_reply_json(req, 200, json_pack("{s:i, s:b}", "id", c->id, "muted", c->muted));
    room_thread_post(r->thread, api_cmd_mute, c, av_free);
done:
    json_decref(body);
}

/* {"slot": N} pins a participant to slot N of the layout; {"slot": null} unpins. */
static void api_pin(struct server_room *r, struct evhttp_request *req, const char *pid)
{
    json_t *body = http_read_json(req);
    json_t *slot;
    struct api_pin_cmd *c;

    if (!body)
        return;
    slot = json_object_get(body, "slot");
    if (!slot || !(json_is_null(slot) || (json_is_integer(slot) && json_integer_value(slot) >= 0 &&
                                           json_integer_value(slot) < LAYOUT_MAX_SLOTS))) {
        http_reply_error(req, 400, "expected {\"slot\": 0..%d} or {\"slot\": null}", LAYOUT_MAX_SLOTS - 1);
        goto done;
    }
    c = av_mallocz(sizeof(*c));
    if (!c) {
        http_reply_error(req, 500, "out of memory");
        goto done;
    }
    c->id = atoi(pid);
    c->slot = json_is_null(slot) ? -1 : (int)json_integer_value(slot);
    /* The command belongs to the room thread once posted. */
    http_reply_json(req, 200, json_pack("{s:i, s:O}", "id", c->id, "slot", slot));
    room_thread_post(r->thread, api_cmd_pin, c, av_free);
done:
    json_decref(body);
}

void api_rooms(struct server *s, struct evhttp_request *req, char seg[][128], int n)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    struct server_room *r;

    if (n == 1) {
        if (method == EVHTTP_REQ_POST)
            api_create_room(s, req);
        else if (method == EVHTTP_REQ_GET)
            api_list_rooms(s, req);
        else
            http_reply_error(req, 405, "rooms: GET or POST");
        return;
    }
    r = server_find_room(s, seg[1]);
    if (!r) {
        http_reply_error(req, 404, "no room %s", seg[1]);
        return;
    }
    if (n == 2 && method == EVHTTP_REQ_GET) {
        json_t *room = api_room_json(r);
        if (room)
            json_object_set_new(room, "calls", sip_dial_room_json(s, r));
        http_reply_json(req, 200, room);
    }
    else if (n == 2 && method == EVHTTP_REQ_DELETE)
        api_delete_room(s, r, req);
    else if ((n == 3 || n == 4) && !strcmp(seg[2], "dial"))
        api_dial(s, r, req, seg, n);
    else if (n >= 3 && !strcmp(seg[2], "outputs"))
        api_outputs(s, r, req, seg, n);
    else if (n == 3 && !strcmp(seg[2], "layout") && method != EVHTTP_REQ_GET)
        api_layout(r, req);
    else if (n == 3 && !strcmp(seg[2], "captions") && method == EVHTTP_REQ_POST)
        api_caption(r, req);
    else if (n == 5 && !strcmp(seg[2], "participants") && !strcmp(seg[4], "mute"))
        api_mute(r, req, seg[3]);
    else if (n == 5 && !strcmp(seg[2], "participants") && !strcmp(seg[4], "pin"))
        api_pin(r, req, seg[3]);
    else if ((n == 3 || n == 4) && !strcmp(seg[2], "participants"))
        api_participants(s, r, req, seg, n);
    else
        http_reply_error(req, 404, "no such route under /rooms/%s", r->id);
}
