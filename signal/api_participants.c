/* Participant routes: POST /rooms/{id}/participants with an SDP offer (JSON
 * {"sdp", "name", "profile"} or a raw application/sdp body with ?name= and
 * ?profile=) answers with our SDP; DELETE /rooms/{id}/participants/{pid} leaves. */
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libavutil/mem.h>
#include "signal/http.h"
#include "signal/participant.h"
#include "signal/sdp.h"
#include "signal/server.h"

static int api_is_sdp_body(struct evhttp_request *req)
{
    const char *type = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    return type && !strncmp(type, "application/sdp", 15);
}

static void api_participant_create(struct server *s, struct server_room *r, struct evhttp_request *req)
{
    struct participant_request preq = { 0 };
    struct participant_result *res = av_mallocz(sizeof(*res));
    struct evkeyvalq query = { 0 };
    json_t *body = NULL;
    char *raw = NULL;
    size_t len = 0;
    char err[1024] = "";
    int sdp_body = api_is_sdp_body(req), ret;

    if (!res) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    if (sdp_body) {
        const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
        raw = http_read_body(req, &len);
        if (!raw) {
            http_reply_error(req, 413, "SDP over %d bytes", HTTP_MAX_BODY);
            goto done;
        }
        if (q)
            evhttp_parse_query_str(q, &query);
        preq.offer = raw;
        preq.offer_len = len;
        preq.name = evhttp_find_header(&query, "name");
        preq.profile = evhttp_find_header(&query, "profile");
    } else {
        body = http_read_json(req);
        if (!body)
            goto done;
        preq.offer = json_string_value(json_object_get(body, "sdp"));
        preq.name = json_string_value(json_object_get(body, "name"));
        preq.profile = json_string_value(json_object_get(body, "profile"));
        if (!preq.offer) {
            http_reply_error(req, 400, "expected {\"sdp\": OFFER, \"name\": ..., \"profile\": ...}");
            goto done;
        }
        preq.offer_len = strlen(preq.offer);
    }
    ret = participant_create(s, r, &preq, res, err, sizeof(err));
    if (ret < 0) {
        http_reply_error(req, ret == AVERROR(ENOSPC) ? 503 : ret == AVERROR_INVALIDDATA ||
                         ret == SDP_ERROR_NO_COMMON_CODEC || ret == SDP_ERROR_NO_CRYPTO ? 400 : 500,
                         "%s", err[0] ? err : av_err2str(ret));
        goto done;
    }
    {
        char location[256];
        snprintf(location, sizeof(location), "/rooms/%s/participants/%d", r->id, res->id);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
        evhttp_add_header(evhttp_request_get_output_headers(req), "X-Tessera-Profile", res->profile);
    }
    if (sdp_body)
        http_reply_text(req, 201, "application/sdp", res->answer, strlen(res->answer));
    else
        http_reply_json(req, 201, json_pack("{s:i, s:s, s:s}", "id", res->id, "profile", res->profile,
                                            "sdp", res->answer));
done:
    evhttp_clear_headers(&query);
    json_decref(body);
    free(raw);
    av_free(res);
}

void api_participants(struct server *s, struct server_room *r, struct evhttp_request *req,
                      char seg[][128], int n)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);

    if (n == 3 && method == EVHTTP_REQ_POST) {
        api_participant_create(s, r, req);
    } else if (n == 4 && method == EVHTTP_REQ_DELETE) {
        if (participant_delete(s, r, atoi(seg[3])) < 0)
            http_reply_error(req, 404, "no participant %s in room %s", seg[3], r->id);
        else
            http_reply_text(req, 204, "application/json", "", 0);
    } else {
        http_reply_error(req, 405, "participants: POST /rooms/ID/participants or DELETE .../PID");
    }
}
