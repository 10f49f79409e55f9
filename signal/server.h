/* `tessera serve`: the libevent loop (HTTP API, sockets, timers) and the registry
 * of live rooms, each ticking on its own media thread. */
#ifndef TESSERA_SERVER_H
#define TESSERA_SERVER_H

#include <stdint.h>
#include "mixer/profile.h"
#include "signal/config.h"

#define SERVER_MAX_ROOMS 64
#define SERVER_MAX_OUTPUTS 64
#define SERVER_MAX_LAYOUTS 8

struct event_base;
struct evhttp;
struct evhttp_request;
struct layout_def;
struct room_thread;

struct server_output {
    int id;
    char profile[32];
    char url[1024];
};

struct server_room {
    char id[64];
    struct room_thread *thread;
    int width, height, fps;
    char layout[64];
    /* Layouts loaded for this room; kept until it is deleted (the room borrows them). */
    struct layout_def *layouts[SERVER_MAX_LAYOUTS];
    int layout_count;
    struct server_output outputs[SERVER_MAX_OUTPUTS];
    int output_count;
};

struct server {
    struct server_config cfg;
    struct event_base *base;
    struct evhttp *http;
    struct profile_set profiles;
    struct server_room *rooms[SERVER_MAX_ROOMS];
    int room_count;
    int next_output_id;
    int next_room_number;
    uint64_t http_requests;
};

/* Runs the server until SIGINT/SIGTERM; every recording is finished before it
 * returns. Returns the exit status. */
int server_run(const struct server_config *cfg);

/* Route handlers (api_*.c), called on the loop thread. */
void api_handle(struct evhttp_request *req, void *server);
void api_rooms(struct server *s, struct evhttp_request *req, char seg[][128], int n);
struct server_room *server_find_room(struct server *s, const char *id);
void server_room_free(struct server_room **p);

#endif
