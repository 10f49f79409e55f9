/* Small helpers over libevent's evhttp for the JSON API: replies, request bodies,
 * bearer-token checks and path splitting. */
#ifndef TESSERA_HTTP_H
#define TESSERA_HTTP_H

#include <stddef.h>
#include <event2/http.h>
#include <jansson.h>

#define HTTP_MAX_BODY (256 * 1024)
#define HTTP_MAX_SEGMENTS 8

/* Sends json (reference stolen) with the status code. */
void http_reply_json(struct evhttp_request *req, int code, json_t *json);
/* Sends {"error": message} with the status code. */
void http_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends a text body with a content type. */
void http_reply_text(struct evhttp_request *req, int code, const char *content_type,
                     const char *text, size_t len);

/* Copies the request body (NUL-terminated) into a malloc'd buffer; NULL when
 * larger than HTTP_MAX_BODY. *len receives its length. */
char *http_read_body(struct evhttp_request *req, size_t *len);

/* Parses the body as a JSON object; on failure replies 400 and returns NULL. */
json_t *http_read_json(struct evhttp_request *req);

/* 1 when token is empty or the request carries "Authorization: Bearer <token>". */
int http_authorized(struct evhttp_request *req, const char *token);

/* Splits the decoded path ("/rooms/abc/participants") into segments; returns
 * their count, or -1 when there are too many or one is too long. */
int http_split_path(const char *path, char segments[HTTP_MAX_SEGMENTS][128]);

#endif
