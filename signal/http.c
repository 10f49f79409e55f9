/* evhttp helpers: JSON replies, bodies, bearer tokens, path segments. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include "signal/http.h"

void http_reply_text(struct evhttp_request *req, int code, const char *content_type,
                     const char *text, size_t len)
{
    struct evbuffer *buf = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
    if (buf && len)
        evbuffer_add(buf, text, len);
    evhttp_send_reply(req, code, NULL, buf);
    if (buf)
        evbuffer_free(buf);
}

void http_reply_json(struct evhttp_request *req, int code, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_INDENT(2)) : NULL;

    if (!text) {
        http_reply_text(req, 500, "application/json", "{\"error\": \"out of memory\"}\n", 27);
    } else {
        size_t len = strlen(text);
        char *with_nl = malloc(len + 2);
        if (with_nl) {
            memcpy(with_nl, text, len);
            with_nl[len] = '\n';
            http_reply_text(req, code, "application/json", with_nl, len + 1);
            free(with_nl);
        }
    }
    free(text);
    json_decref(json);
}

void http_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    http_reply_json(req, code, json_pack("{s:s}", "error", msg));
}

char *http_read_body(struct evhttp_request *req, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char *body;

    if (n > HTTP_MAX_BODY)
        return NULL;
    body = malloc(n + 1);
    if (!body)
        return NULL;
    evbuffer_copyout(in, body, n);
    body[n] = '\0';
    *len = n;
    return body;
}

json_t *http_read_json(struct evhttp_request *req)
{
    json_error_t jerr;
    size_t len = 0;
    char *body = http_read_body(req, &len);
    json_t *root;

    if (!body) {
        http_reply_error(req, 413, "request body over %d bytes", HTTP_MAX_BODY);
        return NULL;
    }
    root = json_loadb(body, len, 0, &jerr);
    free(body);
    if (!json_is_object(root)) {
        http_reply_error(req, 400, "malformed JSON: %s", root ? "expected an object" : jerr.text);
        json_decref(root);
        return NULL;
    }
    return root;
}

int http_authorized(struct evhttp_request *req, const char *token)
{
    const char *auth;

    if (!token || !*token)
        return 1;
    auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7))
        return 0;
    /* Length-independent comparison is not needed for a loopback API, but cheap. */
    {
        size_t a = strlen(auth + 7), b = strlen(token);
        unsigned diff = (unsigned)(a ^ b);
        for (size_t i = 0; i < a && i < b; i++)
            diff |= (unsigned)(auth[7 + i] ^ token[i]);
        return diff == 0;
    }
}

int http_split_path(const char *path, char segments[HTTP_MAX_SEGMENTS][128])
{
    int count = 0;
    const char *p = path;

    while (*p) {
        size_t len;
        while (*p == '/')
            p++;
        if (!*p)
            break;
        len = strcspn(p, "/");
        if (count >= HTTP_MAX_SEGMENTS || len >= 128)
            return -1;
        memcpy(segments[count], p, len);
        segments[count][len] = '\0';
        count++;
        p += len;
    }
    return count;
}
