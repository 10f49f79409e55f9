#!/usr/bin/env python3
"""Seeded, bounded user-space UDP impairment relay for tessera's tests.

This kernel has no netem, so tests impair RTP/RTCP with this relay instead:

    sender --> [--listen socket] --impair--> [--to address]      (forward)
    sender <-- [--listen socket] <--------- [--to address]       (--reverse, unimpaired)

Each --listen/--to pair is one stream (e.g. RTP, and RTCP on port+1). Every datagram
received on a listen socket from any address other than its --to address is forwarded
to --to, sent from the listen socket itself (so the receiver sees the relay's port and
symmetric RTP / RTCP replies come back to the relay). For each datagram, in this order:
  * dropped with probability --loss %;
  * otherwise delayed by --delay + uniform(-jitter, +jitter) ms (never below 0);
  * with probability --reorder % held 2-4 more packet intervals (EWMA of the stream's
    inter-arrival time, 1-250 ms), so it arrives after later ones;
  * with probability --duplicate % sent twice.
Each stream draws exactly five numbers per datagram from its own random.Random, seeded
from random.Random(--seed), so which datagrams are dropped/duplicated/held depends only
on the seed and each stream's arrival order, not on timing.

With --reverse, datagrams arriving on a listen socket FROM its --to address (RTCP
PLI/NACK, return media) go back, unimpaired, to the last forward sender of that socket.
Without --reverse they are counted (reverse_ignored) and discarded.

Bounded: stops after --max-seconds (default 60), on SIGTERM/SIGINT, or once --max-packets
(default 100000) forward datagrams were received in total; after --max-packets it ignores
further forward datagrams, sends what is already scheduled, with --reverse relays replies
for 0.2 s more (all still within --max-seconds), then exits. Datagrams
still scheduled at a time/signal stop are discarded (counted as discarded_at_exit).

One thread: a selector (select(2), microsecond timeouts) plus a time-ordered heap of
scheduled sends. --realtime asks for SCHED_FIFO so timing stays ~1 ms when other
processes load every core. Python 3 standard library only. Importable: see class Relay.
"""
import argparse
import heapq
import json
import os
import random
import selectors
import signal
import socket
import sys
import threading
import time

STAT_KEYS = ("received", "dropped", "duplicated", "reordered", "forwarded",
             "reverse_forwarded", "reverse_ignored", "ignored", "send_errors",
             "discarded_at_exit")

MIN_INTERVAL = 0.001      # s, floor of the packet-interval estimate used for reorder holds
MAX_INTERVAL = 0.250      # s, ceiling of the same
EARLY = 0.00005           # s, a send may go out this much before its time (select slack)
RECV_BATCH = 256          # datagrams read from one socket per wake-up at most
REVERSE_LINGER = 0.2      # s, reverse-only time after --max-packets drained (with --reverse)


def parse_addr(text):
    """'127.0.0.1:5000' or '[::1]:5000' -> (host, port)."""
    if isinstance(text, (tuple, list)):
        return (str(text[0]), int(text[1]))
    host, sep, port = str(text).rpartition(":")
    if not sep or not host:
        raise ValueError("address must be HOST:PORT, got %r" % (text,))
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = int(port)
    if not 0 <= port <= 65535:
        raise ValueError("port out of range in %r" % (text,))
    return (host, port)


def format_addr(addr):
    host, port = addr[0], addr[1]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


class _Stream:
    """One --listen/--to pair: its socket, PRNG, counters and rate estimate."""

    def __init__(self, index, listen, to, seed):
        self.index = index
        self.to = to
        family = socket.AF_INET6 if ":" in listen[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
            except OSError:
                pass
        try:
            self.sock.bind(listen)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.listen = self.sock.getsockname()[:2]
        self.name = format_addr(self.listen)
        self.to_key = self._key(to)
        self.rng = random.Random(seed)
        self.sender = None            # last forward sender's address
        self.last_rx = None           # monotonic time of the last forward datagram
        self.interval = None          # EWMA of forward inter-arrival time, seconds
        self.stats = dict.fromkeys(STAT_KEYS, 0)

    def _key(self, addr):
        # Compare addresses by (numeric host, port); resolve 'localhost' once.
        try:
            host = socket.getaddrinfo(addr[0], addr[1], 0, socket.SOCK_DGRAM)[0][4][0]
        except OSError:
            host = addr[0]
        return (host, int(addr[1]))

    def is_from_to(self, addr):
        return (addr[0], addr[1]) == self.to_key

    def note_arrival(self, now):
        if self.last_rx is not None:
            gap = now - self.last_rx
            if gap < 1.0:                   # ignore pauses when estimating the rate
                if self.interval is None:
                    self.interval = gap
                else:
                    self.interval += (gap - self.interval) / 16.0
        self.last_rx = now

    def hold_interval(self):
        iv = self.interval if self.interval is not None else MIN_INTERVAL
        return min(max(iv, MIN_INTERVAL), MAX_INTERVAL)


class Relay:
    """UDP impairment relay; the CLI runs the same loop.

    pairs: list of (listen, to), each 'HOST:PORT' or (host, port); a listen port of 0
    binds an ephemeral port (see listen_addresses after start()). Percentages are 0-100,
    times in milliseconds. trace=True records every forward decision in self.trace as
    (stream_index, n, action, delay_ms, hold_ms) where action is 'drop', 'send', 'hold',
    'dup' or 'hold+dup', n counts forward datagrams per stream from 0, delay_ms is the
    total scheduled delay and hold_ms the reorder part of it.

        r = Relay([("127.0.0.1:0", "127.0.0.1:5004")], loss=5, delay=50, seed=1).start()
        port = r.listen_addresses[0][1]
        ...
        stats = r.stop()     # same dict as the --stats JSON
    """

    def __init__(self, pairs, loss=0.0, delay=0.0, jitter=0.0, reorder=0.0, duplicate=0.0,
                 seed=0, max_seconds=60.0, max_packets=100000, reverse=False, trace=False,
                 realtime=False):
        if not pairs:
            raise ValueError("at least one (listen, to) pair is needed")
        for name, pct in (("loss", loss), ("reorder", reorder), ("duplicate", duplicate)):
            if not 0.0 <= float(pct) <= 100.0:
                raise ValueError("%s must be 0-100, got %r" % (name, pct))
        if delay < 0 or jitter < 0:
            raise ValueError("delay and jitter must be >= 0")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError("max_seconds must be > 0")
        self.pairs = [(parse_addr(l), parse_addr(t)) for l, t in pairs]
        self.loss = float(loss) / 100.0
        self.delay = float(delay) / 1000.0
        self.jitter = float(jitter) / 1000.0
        self.reorder = float(reorder) / 100.0
        self.duplicate = float(duplicate) / 100.0
        self.seed = seed
        self.max_seconds = float(max_seconds) if max_seconds is not None else 60.0
        self.max_packets = int(max_packets) if max_packets is not None else 100000
        self.reverse = bool(reverse)
        self.realtime = bool(realtime)
        self.realtime_active = False
        self.trace = [] if trace else None
        self.streams = []
        self.exit_reason = None
        self.error = None
        self.elapsed = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread = None
        self._wake_r = self._wake_w = None
        self._bound = False

    # -- setup -----------------------------------------------------------------------
    def bind(self):
        """Create and bind every socket (raises OSError on failure). Idempotent."""
        if self._bound:
            return self
        master = random.Random(self.seed)
        try:
            for i, (listen, to) in enumerate(self.pairs):
                self.streams.append(_Stream(i, listen, to, master.getrandbits(64)))
        except OSError:
            for s in self.streams:
                s.sock.close()
            self.streams = []
            raise
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._bound = True
        return self

    @property
    def listen_addresses(self):
        return [s.listen for s in self.streams]

    # -- API ----------------------------------------------------------------------------
    def start(self):
        """Bind, then run the loop in a daemon thread. Returns self."""
        self.bind()
        self._thread = threading.Thread(target=self.run, name="udp_relay", daemon=True)
        self._thread.start()
        return self

    def request_stop(self):
        """Ask the loop to stop (safe from signal handlers and other threads)."""
        self._stop.set()
        w = self._wake_w
        if w is not None:
            try:
                w.send(b"x")
            except OSError:
                pass

    def stop(self, timeout=5.0):
        """Stop the loop, wait for it, return stats()."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
        return self.stats()

    def wait(self, timeout=None):
        """Wait for the loop to end by itself; True if it did."""
        return self._done.wait(timeout)

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def stats(self):
        with self._lock:
            streams = {s.name: dict(s.stats, to=format_addr(s.to)) for s in self.streams}
        totals = dict.fromkeys(STAT_KEYS, 0)
        for st in streams.values():
            for k in STAT_KEYS:
                totals[k] += st[k]
        return {
            "streams": streams,
            "totals": totals,
            "exit_reason": self.exit_reason,
            "error": self.error,
            "elapsed_s": round(self.elapsed, 3),
            "config": {"loss_pct": self.loss * 100, "delay_ms": self.delay * 1000,
                       "jitter_ms": self.jitter * 1000, "reorder_pct": self.reorder * 100,
                       "duplicate_pct": self.duplicate * 100, "seed": self.seed,
                       "max_seconds": self.max_seconds, "max_packets": self.max_packets,
                       "reverse": self.reverse, "realtime": self.realtime_active},
        }

    def summary(self):
        st = self.stats()
        parts = ["udp_relay: exit=%s elapsed=%.2fs" % (st["exit_reason"], st["elapsed_s"])]
        for name, s in st["streams"].items():
            parts.append("%s->%s rx=%d drop=%d dup=%d reord=%d fwd=%d rev=%d%s" % (
                name, s["to"], s["received"], s["dropped"], s["duplicated"], s["reordered"],
                s["forwarded"], s["reverse_forwarded"],
                "".join(" %s=%d" % (k, s[k]) for k in
                        ("reverse_ignored", "ignored", "send_errors", "discarded_at_exit")
                        if s[k])))
        if st["error"]:
            parts.append("error=%s" % st["error"])
        return " | ".join(parts)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- loop ---------------------------------------------------------------------------
    def run(self):
        """Run the relay loop in the calling thread until a bound is hit or stop."""
        self.bind()
        if self.realtime:
            self.realtime_active = set_realtime()
        sel = selectors.SelectSelector()    # select(2): microsecond timeouts (epoll: ms)
        for s in self.streams:
            sel.register(s.sock, selectors.EVENT_READ, s)
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        heap = []                           # (due, seq, stream, data, dest, is_forward)
        seq = 0
        total_rx = 0
        t0 = time.monotonic()
        deadline = t0 + self.max_seconds
        draining = False
        linger_end = None
        reason = None
        try:
            while True:
                now = time.monotonic()
                if self._stop.is_set():
                    reason = "stopped"
                    break
                if now >= deadline:
                    reason = "max-seconds"
                    break
                if draining and not heap:
                    # With --reverse, linger briefly for replies to the last datagrams.
                    if linger_end is None:
                        linger_end = now + (REVERSE_LINGER if self.reverse else 0.0)
                    if now >= linger_end:
                        reason = "max-packets"
                        break
                timeout = min(deadline - now, 0.5)
                if linger_end is not None:
                    timeout = min(timeout, max(linger_end - now, 0.0))
                if heap:
                    timeout = min(timeout, max(heap[0][0] - now - EARLY, 0.0))
                for key, _ in sel.select(timeout):
                    st = key.data
                    if st is None:
                        try:
                            while self._wake_r.recv(64):
                                pass
                        except OSError:
                            pass
                        continue
                    for _ in range(RECV_BATCH):
                        try:
                            data, addr = st.sock.recvfrom(65535)
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            # ICMP port unreachable from an earlier send (Linux reports it
                            # on unconnected UDP sockets too): ignore, keep reading.
                            continue
                        now = time.monotonic()
                        if st.is_from_to(addr):
                            with self._lock:
                                if self.reverse and st.sender is not None:
                                    st.stats["reverse_forwarded"] += 1
                                    heapq.heappush(heap, (now, seq, st, data, st.sender, False))
                                    seq += 1
                                else:
                                    st.stats["reverse_ignored"] += 1
                            continue
                        if draining:
                            with self._lock:
                                st.stats["ignored"] += 1
                            continue
                        st.sender = addr
                        st.note_arrival(now)
                        seq = self._impair(st, data, now, heap, seq)
                        total_rx += 1
                        if total_rx >= self.max_packets:
                            draining = True
                now = time.monotonic()
                while heap and heap[0][0] <= now + EARLY:
                    _, _, st, data, dest, fwd = heapq.heappop(heap)
                    try:
                        st.sock.sendto(data, dest)
                    except OSError:
                        with self._lock:
                            st.stats["send_errors"] += 1
                            if fwd:
                                st.stats["forwarded"] -= 1
                            else:
                                st.stats["reverse_forwarded"] -= 1
        except Exception as e:  # report, never hang
            reason = "error"
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            with self._lock:
                for item in heap:
                    st, fwd = item[2], item[5]
                    st.stats["discarded_at_exit"] += 1
                    st.stats["forwarded" if fwd else "reverse_forwarded"] -= 1
            self.exit_reason = reason
            self.elapsed = time.monotonic() - t0
            sel.close()
            for s in self.streams:
                s.sock.close()
            for s in (self._wake_r, self._wake_w):
                s.close()
            self._wake_w = None
            self._done.set()
        return self.stats()

    def _impair(self, st, data, now, heap, seq):
        # Always draw the same five numbers so decisions depend only on seed + order.
        rng = st.rng
        r_loss, r_jit, r_reo, r_hold, r_dup = (rng.random() for _ in range(5))
        with self._lock:
            st.stats["received"] += 1
            n = st.stats["received"] - 1
            if r_loss < self.loss:
                st.stats["dropped"] += 1
                if self.trace is not None:
                    self.trace.append((st.index, n, "drop", None, None))
                return seq
            d = max(0.0, self.delay + (2.0 * r_jit - 1.0) * self.jitter)
            action = "send"
            hold = 0.0
            if r_reo < self.reorder:
                hold = (2.0 + 2.0 * r_hold) * st.hold_interval()
                d += hold
                st.stats["reordered"] += 1
                action = "hold"
            copies = 1
            if r_dup < self.duplicate:
                copies = 2
                st.stats["duplicated"] += 1
                action = "dup" if action == "send" else "hold+dup"
            st.stats["forwarded"] += copies
            if self.trace is not None:
                self.trace.append((st.index, n, action, round(d * 1000.0, 3),
                                   round(hold * 1000.0, 3)))
        for _ in range(copies):
            heapq.heappush(heap, (now + d, seq, st, data, st.to, True))
            seq += 1
        return seq


def set_realtime(priority=10):
    """Best effort: SCHED_FIFO for the calling thread (needs root/CAP_SYS_NICE). The loop
    never spins, so this only makes it win the CPU when tessera/ffmpeg load every core."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        return True
    except (AttributeError, OSError):
        return False


# ---------------------------------------------------------------------------------------
# CLI

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Seeded, bounded UDP impairment relay (loss, delay, jitter, reorder, "
                    "duplicate). Prints 'ready' on stdout once bound.")
    ap.add_argument("--listen", action="append", required=True, metavar="HOST:PORT",
                    help="listen address; repeat once per stream, paired with --to in order")
    ap.add_argument("--to", action="append", required=True, metavar="HOST:PORT",
                    help="destination of the matching --listen")
    ap.add_argument("--loss", type=float, default=0.0, metavar="PCT")
    ap.add_argument("--delay", type=float, default=0.0, metavar="MS")
    ap.add_argument("--jitter", type=float, default=0.0, metavar="MS")
    ap.add_argument("--reorder", type=float, default=0.0, metavar="PCT")
    ap.add_argument("--duplicate", type=float, default=0.0, metavar="PCT")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=60.0, metavar="S")
    ap.add_argument("--max-packets", type=int, default=100000, metavar="N")
    ap.add_argument("--stats", metavar="FILE.json", help="write counters here on exit")
    ap.add_argument("--reverse", action="store_true",
                    help="relay datagrams from --to back to the last sender, unimpaired")
    ap.add_argument("--realtime", action="store_true",
                    help="run under SCHED_FIFO (best effort; keeps ~1 ms timing on a busy host)")
    a = ap.parse_args(argv)
    if len(a.listen) != len(a.to):
        ap.error("give one --to per --listen (%d --listen, %d --to)" % (len(a.listen), len(a.to)))
    try:
        pairs = [(parse_addr(l), parse_addr(t)) for l, t in zip(a.listen, a.to)]
        relay = Relay(pairs, loss=a.loss, delay=a.delay, jitter=a.jitter, reorder=a.reorder,
                      duplicate=a.duplicate, seed=a.seed, max_seconds=a.max_seconds,
                      max_packets=a.max_packets, reverse=a.reverse)
    except ValueError as e:
        ap.error(str(e))
    try:
        relay.bind()
    except OSError as e:
        print("udp_relay: error: cannot bind: %s" % e, file=sys.stderr)
        return 2

    def on_signal(signum, frame):
        relay.request_stop()

    if a.realtime:
        relay.realtime_active = set_realtime()
    if a.realtime and not relay.realtime_active:
        print("udp_relay: warning: --realtime: SCHED_FIFO refused, running at normal priority",
              file=sys.stderr)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for s in relay.streams:
        print("udp_relay: %s -> %s" % (s.name, format_addr(s.to)), file=sys.stderr)
    sys.stderr.flush()
    print("ready", flush=True)
    relay.run()
    if a.stats:
        tmp = a.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(relay.stats(), f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, a.stats)
    print(relay.summary(), file=sys.stderr, flush=True)
    return 1 if relay.exit_reason == "error" else 0


if __name__ == "__main__":
    sys.exit(main())
