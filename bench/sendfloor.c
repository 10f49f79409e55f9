/* The kernel's floor for fan-out (bench/fanout.py): sends the datagrams tessera sends
 * to N receivers (same rates and sizes, one socket per receiver stream, one sendmmsg
 * per socket per frame or audio packet, a 12-byte header + shared payload iovec) and
 * does nothing else, then prints its own CPU use as JSON.
 * Usage: sendfloor SRC_ADDR DST_ADDR BASE_PORT RECEIVERS VIDEO_PPS VIDEO_BYTES
 *        AUDIO_PPS AUDIO_BYTES SECONDS [connect]
 * With `connect` every socket is connected to its receiver (no address per send).
 * Receiver i gets video on BASE_PORT + 4i and audio on BASE_PORT + 4i + 2. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SENDFLOOR_FPS 15             /* the low profile's frame rate */
#define SENDFLOOR_AUDIO_HZ 50        /* audio packets are sent one at a time */
#define SENDFLOOR_MAX_BATCH 64

struct sendfloor_stream {
    int fd;
    struct sockaddr_in to;
    double due;                      /* datagrams owed (fractional) */
};

static double sendfloor_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sendfloor_connected;

static int sendfloor_open(struct sendfloor_stream *s, const char *src, const char *dst, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };

    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (s->fd < 0 || inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
        bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return -1;
    memset(&s->to, 0, sizeof(s->to));
    s->to.sin_family = AF_INET;
    s->to.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, dst, &s->to.sin_addr) != 1)
        return -1;
    return sendfloor_connected ? connect(s->fd, (struct sockaddr *)&s->to, sizeof(s->to)) : 0;
}

/* Sends the whole datagrams owed by s in one sendmmsg; returns how many went. */
static int sendfloor_send(struct sendfloor_stream *s, double add, const uint8_t *payload, size_t len)
{
    struct mmsghdr mm[SENDFLOOR_MAX_BATCH];
    struct iovec iov[SENDFLOOR_MAX_BATCH][2];
    uint8_t hdr[SENDFLOOR_MAX_BATCH][12];
    int n;

    s->due += add;
    n = (int)s->due;
    if (n > SENDFLOOR_MAX_BATCH)
        n = SENDFLOOR_MAX_BATCH;
    if (n <= 0)
        return 0;
    s->due -= n;
    memset(mm, 0, sizeof(mm[0]) * (size_t)n);
    for (int i = 0; i < n; i++) {
        memset(hdr[i], 0, sizeof(hdr[i]));
        hdr[i][0] = 0x80;
        hdr[i][1] = 96;
        iov[i][0] = (struct iovec){ hdr[i], sizeof(hdr[i]) };
        iov[i][1] = (struct iovec){ (void *)payload, len };
        mm[i].msg_hdr.msg_name = sendfloor_connected ? NULL : &s->to;
        mm[i].msg_hdr.msg_namelen = sendfloor_connected ? 0 : sizeof(s->to);
        mm[i].msg_hdr.msg_iov = iov[i];
        mm[i].msg_hdr.msg_iovlen = 2;
    }
    n = sendmmsg(s->fd, mm, (unsigned)n, 0);
    return n < 0 ? 0 : n;
}

int main(int argc, char **argv)
{
    static uint8_t payload[1500];
    struct sendfloor_stream *video, *audio;
    struct rusage ru;
    double vpps, apps, seconds, start, next, tick = 1.0 / SENDFLOOR_AUDIO_HZ;
    size_t vbytes, abytes;
    long sent = 0;
    int base, n, ticks = 0;

    if (argc != 10 && argc != 11) {
        fprintf(stderr, "usage: sendfloor SRC DST BASE_PORT RECEIVERS VIDEO_PPS VIDEO_BYTES AUDIO_PPS AUDIO_BYTES "
                "SECONDS [connect]\n");
        return 2;
    }
    sendfloor_connected = argc == 11 && !strcmp(argv[10], "connect");
    base = atoi(argv[3]);
    n = atoi(argv[4]);
    vpps = atof(argv[5]);
    vbytes = (size_t)atol(argv[6]);
    apps = atof(argv[7]);
    abytes = (size_t)atol(argv[8]);
    seconds = atof(argv[9]);
    if (n < 1 || vbytes > 1400 || abytes > 1400 || seconds <= 0)
        return 2;
    video = calloc((size_t)n, sizeof(*video));
    audio = calloc((size_t)n, sizeof(*audio));
    if (!video || !audio)
        return 1;
    for (int i = 0; i < n; i++)
        if (sendfloor_open(&video[i], argv[1], argv[2], base + 4 * i) < 0 ||
            sendfloor_open(&audio[i], argv[1], argv[2], base + 4 * i + 2) < 0) {
            perror("sendfloor: socket");
            return 1;
        }
    memset(payload, 0x5a, sizeof(payload));
    start = next = sendfloor_now();
    while (next - start < seconds) {
        /* Video goes out frame by frame (every 50/15 audio ticks), audio every tick. */
        int video_tick = (ticks * SENDFLOOR_FPS) / SENDFLOOR_AUDIO_HZ !=
                         ((ticks + 1) * SENDFLOOR_FPS) / SENDFLOOR_AUDIO_HZ;
        for (int i = 0; i < n; i++) {
            if (video_tick)
                sent += sendfloor_send(&video[i], vpps / SENDFLOOR_FPS, payload, vbytes);
            sent += sendfloor_send(&audio[i], apps / SENDFLOOR_AUDIO_HZ, payload, abytes);
        }
        ticks++;
        next += tick;
        {
            double wait = next - sendfloor_now();
            if (wait > 0) {
                struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
                nanosleep(&ts, NULL);
            }
        }
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"user_s\": %.4f, \"sys_s\": %.4f, \"wall_s\": %.4f, \"datagrams\": %ld}\n",
           (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, sendfloor_now() - start, sent);
    for (int i = 0; i < n; i++) {
        close(video[i].fd);
        close(audio[i].fd);
    }
    free(video);
    free(audio);
    return 0;
}
