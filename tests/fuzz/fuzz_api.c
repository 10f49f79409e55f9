/* libFuzzer target: the HTTP API's handlers (signal/api*.c, whip.c, whep.c) on
 * untrusted requests. A real server (server_open) listens on a loopback port in
 * this process; each input becomes one HTTP request sent over a real socket, and
 * the event loop runs until the reply is complete. Input layout: byte 0 picks the
 * method, byte 1 the route (templates naming the room "f", which exists before
 * every request, and participant/output 1), byte 2 the content type, the rest is
 * the body. Rooms the input creates are deleted afterwards, so memory stays flat. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "mixer/log.h"
#include "signal/config.h"
#include "signal/server.h"

static const char *const fuzz_methods[] = { "GET", "POST", "DELETE", "PATCH", "PUT", "OPTIONS" };

static const char *const fuzz_routes[] = {
    "/rooms", "/rooms/f", "/rooms/f/participants", "/rooms/f/participants/1",
    "/rooms/f/participants/1/mute", "/rooms/f/participants/1/pin", "/rooms/f/outputs",
    "/rooms/f/outputs/1", "/rooms/f/layout", "/rooms/f/captions", "/rooms/f/view",
    "/whip/f", "/whip/f?name=%C3%A9t%C3%A9", "/whip/f/1", "/whep/f?profile=low", "/whep/f/1",
    "/metrics", "/health", "/rooms/nope/participants", "/rooms/f/participants/99999999999",
    "/rooms/%2e%2e/outputs", "/rooms/f/dial",
};

static const char *const fuzz_types[] = { "application/json", "application/sdp",
                                          "application/trickle-ice-sdpfrag", "text/plain" };

static struct server *fuzz_server;
static int fuzz_port;

static int fuzz_free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        abort();
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* At exit: every room thread joined, so no thread outlives the process's teardown. */
static void fuzz_stop(void)
{
    server_close(&fuzz_server);
}

static void fuzz_start(void)
{
    struct server_config cfg;

    log_set_level(LOG_LEVEL_ERROR);
    config_defaults(&cfg);
    fuzz_port = fuzz_free_port();
    cfg.http_port = fuzz_port;
    cfg.rtp_port_min = 41000;
    cfg.rtp_port_max = 41999;
    snprintf(cfg.record_dir, sizeof(cfg.record_dir), "/tmp/tessera_fuzz_api");
    if (server_open(&fuzz_server, &cfg) < 0)
        abort();
    atexit(fuzz_stop);
}

/* Sends one request and runs the loop until the server has answered and closed. */
static void fuzz_request(const char *method, const char *route, const char *type,
                         const uint8_t *body, size_t body_len)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)fuzz_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    char head[512], reply[4096];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int n, sent_all = 0;
    size_t off = 0, total;

    if (fd < 0)
        abort();
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
        abort();
    n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", method, route, type, body_len);
    total = (size_t)n + body_len;
    for (int rounds = 0; rounds < 20000; rounds++) {
        event_base_loop(fuzz_server->base, EVLOOP_NONBLOCK);
        while (!sent_all) {
            ssize_t w = off < (size_t)n ? send(fd, head + off, (size_t)n - off, MSG_NOSIGNAL)
                                        : send(fd, body + (off - (size_t)n), total - off, MSG_NOSIGNAL);
            if (w <= 0)
                break;
            off += (size_t)w;
            sent_all = off == total;
        }
        ssize_t r = recv(fd, reply, sizeof(reply), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN))
            break;
        if (r < 0)
            usleep(50);
    }
    close(fd);
}

/* Deletes every room but "f" (and "f" too every 64 inputs, so that its
 * participants and outputs do not pile up) and makes sure "f" exists. */
static void fuzz_reset_rooms(void)
{
    static unsigned runs;
    char path[160];

    runs++;
    for (int i = fuzz_server->room_count - 1; i >= 0; i--) {
        if (!strcmp(fuzz_server->rooms[i]->id, "f") && runs % 64)
            continue;
        snprintf(path, sizeof(path), "/rooms/%s", fuzz_server->rooms[i]->id);
        fuzz_request("DELETE", path, "application/json", NULL, 0);
    }
    if (!server_find_room(fuzz_server, "f")) {
        static const char room[] = "{\"id\": \"f\", \"width\": 320, \"height\": 180, \"fps\": 5}";
        fuzz_request("POST", "/rooms", "application/json", (const uint8_t *)room, sizeof(room) - 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_server)
        fuzz_start();
    if (size < 3)
        return 0;
    fuzz_reset_rooms();
    fuzz_request(fuzz_methods[data[0] % (sizeof(fuzz_methods) / sizeof(fuzz_methods[0]))],
                 fuzz_routes[data[1] % (sizeof(fuzz_routes) / sizeof(fuzz_routes[0]))],
                 fuzz_types[data[2] % (sizeof(fuzz_types) / sizeof(fuzz_types[0]))], data + 3, size - 3);
    return 0;
}
