/* HTTP API dispatch: authentication, /health, /metrics, the room routes and the room page.
 * Routes and examples: docs/API.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <libavutil/mem.h>
#include "mixer/room_thread.h"
#include "mixer/sink_adapt.h"
#include "signal/http.h"
#include "signal/room_page.h"
#include "signal/server.h"
#include "signal/sip.h"

static void api_metrics(struct server *s, struct evhttp_request *req)
{
    char text[4096];
    uint64_t down, up;
    int len = 0;

    sink_adapt_totals(&down, &up);
    len += snprintf(text + len, sizeof(text) - len,
                    "# HELP tessera_rooms Live rooms.\n# TYPE tessera_rooms gauge\n"
                    "tessera_rooms %d\n"
                    "# HELP tessera_http_requests_total HTTP requests served.\n"
                    "# TYPE tessera_http_requests_total counter\n"
                    "tessera_http_requests_total %llu\n"
                    "# HELP tessera_whep_profile_switches_total Adaptive WHEP viewers moved to another profile.\n"
                    "# TYPE tessera_whep_profile_switches_total counter\n"
                    "tessera_whep_profile_switches_total{direction=\"down\"} %llu\n"
                    "tessera_whep_profile_switches_total{direction=\"up\"} %llu\n",
                    s->room_count, (unsigned long long)s->http_requests,
                    (unsigned long long)down, (unsigned long long)up);
    if (s->sip)
        len += snprintf(text + len, sizeof(text) - len,
                        "# HELP tessera_sip_media_timeouts_total SIP calls hung up for lack of RTP.\n"
                        "# TYPE tessera_sip_media_timeouts_total counter\n"
                        "tessera_sip_media_timeouts_total %llu\n",
                        (unsigned long long)sip_media_timeouts(s->sip));
    len += snprintf(text + len, sizeof(text) - len,
                    "# HELP tessera_room_late_ticks_total Ticks that ran over a frame late.\n"
                    "# TYPE tessera_room_late_ticks_total counter\n");
    for (int i = 0; i < s->room_count && len < (int)sizeof(text) - 200; i++)
        len += snprintf(text + len, sizeof(text) - len,
                        "tessera_room_late_ticks_total{room=\"%s\"} %ld\n", s->rooms[i]->id,
                        room_thread_late_ticks(s->rooms[i]->thread));
    http_reply_text(req, 200, "text/plain; version=0.0.4", text, (size_t)len);
}

void api_handle(struct evhttp_request *req, void *opaque)
{
    struct server *s = opaque;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
    char *path = raw_path ? evhttp_uridecode(raw_path, 0, NULL) : NULL;
    char seg[HTTP_MAX_SEGMENTS][128];
    int n;

    s->http_requests++;
    if (!path) {
        http_reply_error(req, 400, "malformed URI");
        goto done;
    }
    n = http_split_path(path, seg);
    if (n < 0) {
        http_reply_error(req, 404, "no such route");
        goto done;
    }
    if (n == 1 && !strcmp(seg[0], "health")) {
        http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
        goto done;
    }
    /* The room page also takes the token as ?token= (a browser cannot send a header). */
    if (n == 3 && !strcmp(seg[0], "rooms") && !strcmp(seg[2], "view") &&
        (http_authorized(req, s->cfg.token) || room_page_token_ok(req, s->cfg.token))) {
        room_page_serve(s, req, seg[1]);
        goto done;
    }
    if (!http_authorized(req, s->cfg.token)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
        http_reply_error(req, 401, "missing or wrong bearer token");
        goto done;
    }
    if (n == 1 && !strcmp(seg[0], "metrics"))
        api_metrics(s, req);
    else if (n >= 1 && !strcmp(seg[0], "rooms"))
        api_rooms(s, req, seg, n);
    else if (n >= 2 && !strcmp(seg[0], "whip"))
        api_whip(s, req, seg, n);
    else if (n >= 2 && !strcmp(seg[0], "whep"))
        api_whep(s, req, seg, n);
    else
        http_reply_error(req, 404, "no such route: %s", path);
done:
    free(path);
}
