/* Lets another thread (the SIP stack's, libnice's) run a function on the server's
 * libevent loop thread and wait for it, since rooms, participants and sockets are
 * only touched from the loop. */
#ifndef TESSERA_LOOP_CALL_H
#define TESSERA_LOOP_CALL_H

struct event_base;
struct loop_call;
struct server;

typedef void (*loop_call_fn)(struct server *s, void *arg);

/* Loop thread, at start-up. *out written on success only. */
int loop_call_alloc(struct loop_call **out, struct event_base *base, struct server *s);

/* Loop thread, once the loop stopped dispatching: runs what is pending; later
 * loop_call_run() calls fail at once (so a thread blocked on one cannot deadlock
 * a join). loop_call_free() closes too. */
void loop_call_close(struct loop_call *lc);

/* Loop thread, at shutdown: closes (runs what is pending), then frees. */
void loop_call_free(struct loop_call **p);

/* Any thread but the loop's: queues fn(s, arg), wakes the loop, and returns once it
 * ran. Returns 0, or a negative code when the loop is shutting down (fn not run). */
int loop_call_run(struct loop_call *lc, loop_call_fn fn, void *arg);

#endif
