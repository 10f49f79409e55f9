/* The room page (GET /rooms/{id}/view): a plain HTML/JS WHEP player embedded in the binary. */
#ifndef TESSERA_ROOM_PAGE_H
#define TESSERA_ROOM_PAGE_H

#include <event2/http.h>

struct server;

/* 1 when token is empty or the request's query carries token=<token> (the page
 * route only: a browser address bar cannot send an Authorization header). */
int room_page_token_ok(struct evhttp_request *req, const char *token);

/* Serves the page of room room_id: 200 text/html, 404 unknown room, 405 not GET. */
void room_page_serve(struct server *s, struct evhttp_request *req, const char *room_id);

#endif
