#!/usr/bin/env python3
"""webrtc benchmark: (a) the time from a browser's WHIP POST to the first composited
frame showing it in a WHEP viewer already watching the room, p50/p95 over 10 publishes;
(b) tessera's CPU-s per media-s and peak RSS with 1 and with 50 WHEP viewers of `low`,
and the cost of one added viewer, against one ffmpeg command line doing the same `low`
encode (the reference of bench/fanout.py, measured in the same run, before and after).

Method (headless Chromium via playwright-core, bench/webrtc_pages.mjs; everything inside
a network namespace of its own where only 127.0.0.1 exists, as in the integration tests:
the script re-executes itself under `unshare -n`):
- (a) A room (grid, 30 fps) with nobody in it: its canvas is the dark background. One
  Chromium (the watcher) plays it over WHEP (`low`, 320x180@15) and, on every presented
  frame (requestVideoFrameCallback), draws it on a canvas and records when the centre
  pixel starts/stops matching the publisher's colour (flat red camera, within 60 per
  channel). A second Chromium (the publisher) publishes its fake camera (a red y4m) with a
  new RTCPeerConnection: it gathers its candidates, then POSTs the offer (t0 = wall clock at
  the POST) and applies the answer. Latency = first matching frame time - t0 (both wall
  clocks of this machine). Then the publisher closes and DELETEs the session, the watcher
  must see the background again, and the next publish starts. What is measured: HTTP
  answer, ICE checks, DTLS handshake, the browser's first keyframe, tessera's decode,
  the next canvas tick and `low` encode, the viewer's decode and presentation.
- (b) A room whose one participant is ffmpeg sending testsrc2 640x360@30 + a sine over RTP
  (as bench/fanout.py). One Chromium page opens N RTCPeerConnections, each a WHEP viewer of
  `low` (one browser: its browser, renderer, GPU and utility processes). tessera's
  utime + stime over a window (--seconds, default 10) after a 3 s warm-up, per level N = 1
  and N = --viewers (default 50); every viewer must be connected and decoding during the
  window (the frames they decode are counted). Peak RSS: VmHWM of tessera. Per added
  viewer: (CPU(N) - CPU(1)) / (N - 1), also as a share of the reference encode. The
  browser decodes 50 streams on the same 2 cores: its CPU is printed (it is not
  tessera's, but it competes with it).
- Reference: fanout.ffmpeg_reference (one ffmpeg, RTP in, tessera's low settings, RTP
  out), before and after the tessera series; the median is quoted.

Usage: python3 bench/webrtc.py [TESSERA_BIN] [--publishes 10] [--viewers 50] [--seconds 10]
Results: printed, and written to bench/work/webrtc.json. Needs root (network namespace)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import fanout        # noqa: E402  (Ctx, the ffmpeg reference, /proc readers, the sender)
import serve         # noqa: E402
import tests_webrtc  # noqa: E402  (Page, fake_media, ensure_playwright)

PAGES = os.path.join(HERE, "webrtc_pages.mjs")
RED = "%d,%d,%d" % tests_webrtc.RED
log = fanout.log


def descendants_cpu(pid):
    """CPU seconds of every live descendant process of pid (the browsers)."""
    children, total = {}, 0.0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    todo, count = list(children.get(pid, [])), 0
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            total += fanout.proc_cpu(p)
            count += 1
        except (OSError, ValueError, IndexError):
            pass
    return total, count


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.1)
    raise RuntimeError("%s: not within %.0f s" % (what, timeout))


def transitions(page):
    page.command("transitions")
    return page.wait_event("transitions", 10)["list"]


def part_publish(ctx, publishes):
    """(a): latencies (ms) from the WHIP POST to the first red frame in the watcher."""
    srv = serve.Server(ctx)
    watcher = publisher = None
    runs = []
    try:
        srv.ok("POST", "/rooms", {"id": "lat", "layout": "grid", "fps": 30})
        base = "http://127.0.0.1:%d" % srv.http_port
        watcher = tests_webrtc.Page(ctx, PAGES, ["--role", "watcher", "--url", base + "/whep/lat?profile=low",
                                                 "--rgb", RED], "watcher.log")
        if watcher.wait_event("answer", 40).get("status") != 201:
            raise RuntimeError("the watcher's WHEP POST failed; see %s" % ctx.path("watcher.log"))
        wait_for(lambda: (lambda t: t and not t[-1][1])(transitions(watcher)), 20, "the watcher shows the empty room")
        cam, mic = tests_webrtc.fake_media(ctx)
        publisher = tests_webrtc.Page(ctx, PAGES, ["--role", "publisher", "--url", base + "/whip/lat?name=Rouge",
                                                   "--video", cam, "--audio", mic], "publisher.log")
        publisher.wait_event("answer", 40)
        for i in range(publishes):
            publisher.command("publish")
            ev = publisher.wait_event("publish", 30)
            if ev.get("status") != 201:
                raise RuntimeError("WHIP POST %d: %s" % (i + 1, ev))
            t0 = ev["t0"]
            seen = wait_for(lambda: [t for t, m in transitions(watcher) if m and t >= t0], 20,
                            "publish %d: the publisher's red in the watcher" % (i + 1))
            runs.append({"latency_ms": seen[0] - t0, "answer_ms": ev["t201"] - t0})
            log("publish %2d: first red frame in the viewer %.0f ms after the POST (answer after %.0f ms)"
                % (i + 1, seen[0] - t0, ev["t201"] - t0))
            publisher.command("unpublish")
            publisher.wait_event("unpublish", 10)
            t1 = time.time() * 1000
            wait_for(lambda: (lambda t: t and not t[-1][1] and t[-1][0] >= t1 - 50)(transitions(watcher)), 20,
                     "publish %d: the room empty again after DELETE" % (i + 1))
            time.sleep(0.5)
    finally:
        for p in (publisher, watcher):
            if p:
                p.close()
        srv.stop()
    return runs


def viewer_stats(page):
    page.command("stats")
    return page.wait_event("stats", 30)


def part_viewers(ctx, levels, seconds):
    """(b): tessera's CPU and memory per level of WHEP viewers."""
    tport = serve.free_port_block(400)
    srv = serve.Server(ctx, extra={"rtp_port_min": tport, "rtp_port_max": tport + 399})
    viewers = sender = None
    out, count = [], 0
    try:
        srv.ok("POST", "/rooms", {"id": "fan", "layout": "grid", "fps": 30})
        sp = serve.free_port_block(4)
        ans = srv.ok("POST", "/rooms/fan/participants", {"name": "Mire", "sdp": serve.sender_offer(sp, sp + 2)})
        vdst, adst, _ = serve.answer_ports(ans["sdp"])
        total = 60 + len(levels) * (seconds + 60)
        sender = subprocess.Popen(fanout.sender_argv(vdst, adst, sp, total), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=open(ctx.path("sender.log"), "w"))
        url = "http://127.0.0.1:%d/whep/fan?profile=low" % srv.http_port
        viewers = tests_webrtc.Page(ctx, PAGES, ["--role", "viewers", "--url", url], "viewers.log")
        viewers.wait_event("answer", 40)
        for n in levels:
            viewers.command("add %d" % (n - count))
            st = viewers.wait_event("add", 300)["statuses"]
            if any(s != 201 for s in st):
                raise RuntimeError("WHEP POSTs for N = %d: %s" % (n, st))
            count = n
            wait_for(lambda: (lambda s: s["connected"] == n and s["decoding"] == n)(viewer_stats(viewers)), 90,
                     "N = %d: every viewer connected and decoding" % n)
            time.sleep(fanout.WARMUP)
            s0 = viewer_stats(viewers)
            b0, procs = descendants_cpu(os.getpid())
            late0 = fanout.late_ticks(srv)
            detail = {}
            cpu, wall = fanout.window(srv.proc.pid, seconds, detail)
            b1, _ = descendants_cpu(os.getpid())
            late1 = fanout.late_ticks(srv)
            s1 = viewer_stats(viewers)
            rss, hwm = fanout.proc_mem_mib(srv.proc.pid)
            lev = {"viewers": n, "cpu_per_media_s": cpu / wall, "rss_mib": rss, "peak_rss_mib": hwm,
                   "user_s": detail["user_s"], "sys_s": detail["sys_s"], "wall_s": wall,
                   "fps_decoded_per_viewer": (s1["framesDecoded"] - s0["framesDecoded"]) / wall / n,
                   "connected_after": s1["connected"], "decoding_after": s1["decoding"],
                   "frame_size": "%dx%d" % (s1["width"], s1["height"]),
                   "late_ticks_in_window": None if late0 is None or late1 is None else late1 - late0,
                   "other_processes_cpu_per_s": (b1 - b0 - cpu) / wall, "other_processes": procs}
            out.append(lev)
            log("N = %2d WHEP viewers: tessera %.3f cpu-s/media-s (user %.2f sys %.2f)  RSS %.1f MiB peak %.1f MiB  "
                "viewers decoding %.1f fps each at %s, %d/%d connected  late ticks %s  "
                "browser + ffmpeg sender: %.2f cpu-s/s in %d processes"
                % (n, cpu / wall, detail["user_s"] / wall, detail["sys_s"] / wall, rss, hwm,
                   lev["fps_decoded_per_viewer"], lev["frame_size"], s1["connected"], n,
                   lev["late_ticks_in_window"], lev["other_processes_cpu_per_s"], procs))
            if sender.poll() is not None:
                raise RuntimeError("the ffmpeg sender stopped early; see %s" % ctx.path("sender.log"))
    finally:
        if viewers:
            viewers.close()
        if sender is not None:
            fanout.stop_proc(sender)
        srv.stop()
    return out


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q / 100.0 * (len(v) - 1)))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tessera", nargs="?", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--publishes", type=int, default=10)
    ap.add_argument("--viewers", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=10, help="measured window per viewer level (default 10)")
    ap.add_argument("--no-ffmpeg", action="store_true", help="skip the ffmpeg reference")
    args = ap.parse_args()
    if not os.access(args.tessera, os.X_OK):
        sys.exit("webrtc: no tessera binary at %s (run make)" % args.tessera)
    if os.environ.get("TESSERA_BENCH_NETNS") != "1":
        # Only 127.0.0.1 in a namespace of our own (Chromium and libnice gather on it alone).
        env = dict(os.environ, TESSERA_BENCH_NETNS="1")
        argv = [sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
        return subprocess.call(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"] + argv, env=env)
    os.environ["TESSERA_BIN"] = os.path.abspath(args.tessera)
    tests_webrtc.ensure_playwright()
    ctx = fanout.Ctx("webrtc")
    drain = fanout.Drain()
    result = {"tessera": os.path.abspath(args.tessera), "git_head": fanout.git_head(), "seconds": args.seconds}
    refs = []
    if not args.no_ffmpeg:
        refs.append(fanout.ffmpeg_reference(ctx, drain, args.seconds, "before"))
        log("ffmpeg reference (one low encode, before): %.3f cpu-s/media-s  peak RSS %.1f MiB"
            % (refs[-1]["cpu_per_media_s"], refs[-1]["peak_rss_mib"]))
    log("(a) %d WHIP publishes (Chromium, red camera) into a room one WHEP viewer (Chromium) is watching"
        % args.publishes)
    runs = part_publish(ctx, args.publishes)
    log("(b) tessera with 1 and %d WHEP viewers of low (one Chromium page, %d RTCPeerConnections)"
        % (args.viewers, args.viewers))
    levels = part_viewers(ctx, sorted({1, args.viewers}), args.seconds)
    if not args.no_ffmpeg:
        refs.append(fanout.ffmpeg_reference(ctx, drain, args.seconds, "after"))
        log("ffmpeg reference (one low encode, after): %.3f cpu-s/media-s  peak RSS %.1f MiB"
            % (refs[-1]["cpu_per_media_s"], refs[-1]["peak_rss_mib"]))
    drain.close()

    lat = [r["latency_ms"] for r in runs]
    result.update(publishes=runs, viewers=levels, ffmpeg_reference=refs)
    result["publish_to_frame_ms"] = {"p50": pct(lat, 50), "p95": pct(lat, 95), "min": min(lat), "max": max(lat)}
    log("")
    log("summary:")
    log("  (a) WHIP POST -> first composited frame with the publisher in a WHEP viewer, %d publishes: "
        "p50 %.0f ms  p95 %.0f ms  (min %.0f, max %.0f); WHIP answer p50 %.0f ms"
        % (len(lat), pct(lat, 50), pct(lat, 95), min(lat), max(lat), pct([r["answer_ms"] for r in runs], 50)))
    one, top = levels[0], levels[-1]
    per = (top["cpu_per_media_s"] - one["cpu_per_media_s"]) / max(1, top["viewers"] - 1)
    result["per_viewer_cpu_ms_per_s"] = per * 1000
    log("  (b) tessera cpu-s/media-s: %d viewer %.3f, %d viewers %.3f (%+.1f %%); per added viewer %.2f ms/s; "
        "peak RSS %.1f -> %.1f MiB (%.2f MiB per viewer)"
        % (one["viewers"], one["cpu_per_media_s"], top["viewers"], top["cpu_per_media_s"],
           100 * (top["cpu_per_media_s"] / one["cpu_per_media_s"] - 1), per * 1000, one["peak_rss_mib"],
           top["peak_rss_mib"], (top["peak_rss_mib"] - one["peak_rss_mib"]) / max(1, top["viewers"] - 1)))
    if refs:
        ref = statistics.median(r["cpu_per_media_s"] for r in refs)
        ref_rss = statistics.median(r["peak_rss_mib"] for r in refs)
        result["ffmpeg_cpu_per_media_s"] = ref
        log("  reference: ffmpeg, one low encode of the same input: %.3f cpu-s/media-s (median of %s), "
            "peak RSS %.1f MiB" % (ref, ", ".join("%.3f" % r["cpu_per_media_s"] for r in refs), ref_rss))
        log("  ratios: tessera with 1 viewer / ffmpeg one encode: CPU %.2f, RSS %.2f; with %d viewers: CPU %.2f; "
            "one added WHEP viewer = %.2f %% of one ffmpeg encode"
            % (one["cpu_per_media_s"] / ref, one["peak_rss_mib"] / ref_rss, top["viewers"],
               top["cpu_per_media_s"] / ref, 100 * per / ref))
    os.makedirs(fanout.WORK, exist_ok=True)
    path = os.path.join(fanout.WORK, "webrtc.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    log("results: %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
