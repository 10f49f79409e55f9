/* A live room's media thread: ticks the room on a real-time clock and applies
 * control commands from other threads at tick boundaries (a queue; no lock on any
 * media struct). Also publishes a stats snapshot for the API to read. */
#ifndef TESSERA_ROOM_THREAD_H
#define TESSERA_ROOM_THREAD_H

struct room;
struct room_thread;

/* A command runs on the room thread between two ticks with the room; arg is
 * freed by free_arg (if set) after it ran, or when the thread stops first. */
typedef void (*room_command_fn)(struct room *room, void *arg);
typedef void (*room_command_free_fn)(void *arg);

/* Publishes a snapshot (e.g. JSON text) for readers; called on the room thread
 * every `every_ticks` ticks. Returns a malloc'd string or NULL. */
typedef char *(*room_snapshot_fn)(struct room *room, void *opaque);

/* Takes ownership of room (also on failure) and starts its thread. */
int room_thread_start(struct room_thread **out, struct room *room,
                      room_snapshot_fn snapshot, void *snapshot_opaque);

/* Queues a command; takes ownership of arg (freed with free_arg even on failure). */
int room_thread_post(struct room_thread *t, room_command_fn fn, void *arg,
                     room_command_free_fn free_arg);

/* A copy of the latest snapshot (caller frees with av_free), or NULL. */
char *room_thread_snapshot(struct room_thread *t);

/* Ticks that ran late by more than one frame interval (overload indicator). */
long room_thread_late_ticks(struct room_thread *t);

/* Stops the thread, finishes every output (recordings stay decodable), frees the
 * room and the thread. */
void room_thread_stop(struct room_thread **p);

#endif
