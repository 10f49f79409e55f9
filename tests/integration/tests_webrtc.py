"""Integration tests of WebRTC ingest (WHIP) with a real browser: Debian's headless
Chromium, driven by playwright-core from npm (webrtc/publish.mjs), publishes a known
camera (flat red y4m) and microphone (440 Hz) to `tessera serve`. Each browser test
runs in its own network namespace (only 127.0.0.1 exists, so both ICE agents have
loopback host candidates only): the test process forks, the child unshares its
network namespace and runs tessera and the browser there."""
import ctypes
import json
import os
import queue
import signal
import subprocess
import threading
import time
import traceback

import lib
import serve
from lib import RED, grab_frame, layout_tiles, tile_centre, assert_colour, decode_audio, goertzel_db

WEBRTC_DIR = os.path.join(lib.HERE, "webrtc")
CHROMIUM = "/usr/bin/chromium"
CLONE_NEWNET = 0x40000000
NETNS_TIMEOUT = 150


def ensure_playwright():
    """npm installs playwright-core (package-lock.json) into webrtc/node_modules once;
    no browser is downloaded (Debian's chromium is used)."""
    if not os.path.exists(CHROMIUM):
        raise AssertionError("%s is missing: install Debian's chromium (make deps)" % CHROMIUM)
    if os.path.isdir(os.path.join(WEBRTC_DIR, "node_modules", "playwright-core")):
        return
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    res = lib.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEBRTC_DIR, env=env, timeout=300)
    if res.rc != 0:
        raise AssertionError("npm ci in %s failed:\n%s" % (WEBRTC_DIR, lib.tail(res.stderr + res.stdout)))


def fake_media(ctx):
    """The browser's camera (flat red 640x360, looped) and microphone (440 Hz)."""
    cam, mic = ctx.path("cam.y4m"), ctx.path("mic.wav")
    for args in (["-f", "lavfi", "-i", "color=c=0x%02X%02X%02X:s=640x360:r=15:d=1" % RED,
                  "-pix_fmt", "yuv420p", cam],
                 ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4", "-ac", "1", mic]):
        res = lib.ffmpeg(["-y"] + args)
        if res.rc != 0:
            raise AssertionError("cannot make the fake media: %s" % res.stderr[-300:])
    return cam, mic


def in_netns(ctx, body):
    """Runs body() in a forked child inside a new network namespace with lo up;
    its AssertionError (or crash) fails the test. Everything the child starts is in
    its process group, killed if it overruns NETNS_TIMEOUT."""
    ensure_playwright()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child: never returns
        os.close(r)
        code, msg = 0, ""
        try:
            os.setpgid(0, 0)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                raise AssertionError("unshare(CLONE_NEWNET) failed: %s" % os.strerror(ctypes.get_errno()))
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            body()
        except AssertionError as e:
            code, msg = 1, str(e)
        except BaseException:
            code, msg = 2, "test error in the namespace:\n" + traceback.format_exc()
        os.write(w, msg.encode("utf-8", "replace"))
        os._exit(code)
    os.close(w)
    chunks, deadline = [], time.monotonic() + NETNS_TIMEOUT
    done = False
    while time.monotonic() < deadline:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got:
            done = True
            break
        time.sleep(0.1)
    if not done:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
        os.close(r)
        raise AssertionError("the namespaced test did not finish within %d s" % NETNS_TIMEOUT)
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    try:                                           # leftovers of the child's group
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if status != 0:
        raise AssertionError(b"".join(chunks).decode("utf-8", "replace") or "child exit status %d" % status)


class Publisher:
    """node publish.mjs: one Chromium page publishing over WHIP; its JSON events are
    read by a thread into a queue."""

    def __init__(self, ctx, srv, room, name, mutate_fingerprint=False):
        cam, mic = fake_media(ctx)
        argv = ["node", os.path.join(WEBRTC_DIR, "publish.mjs"), "--url",
                "http://127.0.0.1:%d/whip/%s?name=%s" % (srv.http_port, room, name),
                "--video", cam, "--audio", mic] + (["--mutate-fingerprint"] if mutate_fingerprint else [])
        self.log = open(ctx.path("publish_%s.log" % name), "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass
        self.events.put({"event": "exit"})

    def wait_event(self, name, timeout, pred=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = self.events.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if ev["event"] == "error":
                raise AssertionError("publish.mjs failed: %s" % ev.get("message"))
            if ev["event"] == name and (pred is None or pred(ev)):
                return ev
            if ev["event"] == "exit":
                break
        raise AssertionError("the browser page did not report '%s' within %d s" % (name, timeout))

    def command(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.command("close")
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def participants(srv, room="r1"):
    return srv.ok("GET", "/rooms/" + room)["state"]["participants"]


def wait_state(srv, pred, timeout, what):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = participants(srv)
        if pred(last):
            return last
        time.sleep(0.25)
    raise AssertionError("%s: not within %.0f s; room state: %s" % (what, timeout, last))


def wait_log(srv, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in srv.read_log():
            return
        time.sleep(0.25)
    raise AssertionError("no log line with %r within %d s; log:\n%s" % (text, timeout, lib.tail(srv.read_log())))


def check_answer(ans):
    if ans.get("status") != 201 or not (ans.get("location") or "").startswith("/whip/r1/"):
        raise AssertionError("WHIP POST: %s %s" % (ans.get("status"), ans.get("body") or ans.get("location")))
    sdp = ans["answer"]
    for want in ("a=group:BUNDLE", "a=setup:passive", "a=recvonly", "a=rtcp-mux", "a=fingerprint:sha-256 ",
                 "a=end-of-candidates", " 127.0.0.1 ", "a=rtcp-fb:"):
        if want not in sdp:
            raise AssertionError("the WHIP answer lacks %r:\n%s" % (want, sdp))


def check_recording(ctx, path):
    """The room's low profile: the browser's red tile at the grid-1 centre and its
    440 Hz in the mix, near the end (when it had been publishing for seconds)."""
    info = lib.probe(path)
    dur = lib.format_duration(info) or 0
    if dur < 4:
        raise AssertionError("%s lasts %.1f s, expected > 4 s" % (path, dur))
    f = grab_frame(path, dur - 0.7, ctx.dir)
    tile = layout_tiles("grid", 1, f.w, f.h)[0]
    assert_colour(f, *tile_centre(tile), RED, "the browser's tile (grid, 1 participant)", tol=40)
    a = decode_audio(path, 16000)
    lv, ref = goertzel_db(a, 16000, 440, dur - 2.2, 1.5), goertzel_db(a, 16000, 300, dur - 2.2, 1.5)
    if lv < ref + 20:
        raise AssertionError("the browser's 440 Hz is %.1f dB in the mix (300 Hz reference %.1f)" % (lv, ref))


def test_whip_publish(ctx):
    """Chromium publishes over WHIP: frames and audio decoded within 10 s, the
    recording shows its red tile and its tone, DELETE removes it."""
    def body():
        srv = serve.Server(ctx)
        pub = None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            out = srv.ok("POST", "/rooms/r1/outputs", {"profile": "low", "url": "low.mkv"})
            pub = Publisher(ctx, srv, "r1", "Navigateur")
            ans = pub.wait_event("answer", 40)
            check_answer(ans)
            t0 = time.monotonic()
            wait_state(srv, lambda ps: len(ps) == 1 and ps[0]["name"] == "Navigateur" and
                       ps[0]["video_frames"] > 30 and ps[0]["audio_frames"] > 50, 10,
                       "the browser's video (> 30 frames) and audio (> 50 frames) decoded")
            pub.command("stats")
            stats = pub.wait_event("stats", 10)
            with open(ctx.path("browser_stats.json"), "w") as fh:
                json.dump(stats, fh, indent=1)
            time.sleep(max(0.0, 5.0 - (time.monotonic() - t0)))
            srv.ok("DELETE", "/rooms/r1/outputs/%d" % out["id"])
            code, reply, _ = srv.call("DELETE", ans["location"])
            if code != 200:
                raise AssertionError("DELETE %s -> %d %s" % (ans["location"], code, reply))
            wait_state(srv, lambda ps: not ps, 3, "the participant removed after DELETE")
            code, _, _ = srv.call("DELETE", ans["location"])
            if code != 404:
                raise AssertionError("a second DELETE of %s -> %d, expected 404" % (ans["location"], code))
        finally:
            if pub:
                pub.close()
            srv.stop()
        check_recording(ctx, ctx.path("low.mkv"))
    in_netns(ctx, body)


def test_whip_wrong_fingerprint(ctx):
    """The offer's a=fingerprint is not the browser's certificate: 201, then the
    DTLS handshake fails the check, a log line says so and the participant goes."""
    def body():
        srv = serve.Server(ctx)
        pub = None
        try:
            srv.ok("POST", "/rooms", {"id": "r1"})
            pub = Publisher(ctx, srv, "r1", "Imposteur", mutate_fingerprint=True)
            check_answer(pub.wait_event("answer", 40))
            wait_log(srv, "does not match the offer's a=fingerprint", 15)
            wait_state(srv, lambda ps: not ps, 3, "the participant removed after the fingerprint mismatch")
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            if pub:
                pub.close()
            srv.stop()
    in_netns(ctx, body)


def test_whip_silent_peer(ctx):
    """A browser that vanishes (killed: no DTLS close_notify, no RTCP BYE) is
    removed after ice_timeout_s of silence, with a log line."""
    def body():
        srv = serve.Server(ctx, extra={"ice_timeout_s": 3})
        pub = None
        try:
            srv.ok("POST", "/rooms", {"id": "r1"})
            pub = Publisher(ctx, srv, "r1", "Fantome")
            check_answer(pub.wait_event("answer", 40))
            wait_state(srv, lambda ps: ps and ps[0]["video_frames"] > 0, 10, "the browser's video decoded")
            pub.command("crash")
            pub.wait_event("crashed", 10)
            t0 = time.monotonic()
            wait_state(srv, lambda ps: not ps, 8, "the silent participant removed")
            if time.monotonic() - t0 < 1.5:
                raise AssertionError("the participant left %.1f s after the browser died: before the 3 s timeout?"
                                     % (time.monotonic() - t0))
            wait_log(srv, "nothing received for 3 s", 2)
        finally:
            if pub:
                pub.close()
            srv.stop()
    in_netns(ctx, body)


def bad_offer(video_codec="AV1/90000", fingerprint=True):
    """A browser-like offer whose only video codec is video_codec and whose audio is
    L16 (neither decodable by tessera unless video_codec is)."""
    fp = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n" if fingerprint else ""
    return ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
            "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n%sa=setup:actpass\r\na=mid:0\r\na=sendonly\r\n"
            "a=rtcp-mux\r\na=rtpmap:120 L16/48000/2\r\n"
            "m=video 9 UDP/TLS/RTP/SAVPF 45\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
            "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n%sa=setup:actpass\r\na=mid:1\r\na=sendonly\r\n"
            "a=rtcp-mux\r\na=rtpmap:45 %s\r\n" % (fp, fp, video_codec))


def test_whip_errors(ctx):
    """Refused offers (no codec tessera decodes, no fingerprint), an unknown room,
    a wrong content type and PATCH get their status and a reason; nothing joins."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        cases = (("/whip/r1", bad_offer(), "application/sdp", 400, "no common codec"),
                 ("/whip/r1", bad_offer("VP8/90000", fingerprint=False), "application/sdp", 400, "fingerprint"),
                 ("/whip/r1", "v=0\r\nnonsense", "application/sdp", 400, "line"),
                 ("/whip/nosuchroom", bad_offer("VP8/90000"), "application/sdp", 404, "nosuchroom"),
                 ("/whip/r1", bad_offer("VP8/90000"), "text/plain", 415, "application/sdp"))
        for path, sdp, ctype, want, cause in cases:
            code, reply, _ = srv.call("POST", path, raw=sdp, content_type=ctype)
            err = reply.get("error", "") if isinstance(reply, dict) else str(reply)
            if code != want or cause.lower() not in err.lower():
                raise AssertionError("POST %s (%s) -> %d %r, expected %d naming %r" % (path, ctype, code, err,
                                                                                     want, cause))
        code, _, _ = srv.call("PATCH", "/whip/r1/1", raw="a=candidate:1 1 udp 1 127.0.0.1 9 typ host",
                              content_type="application/trickle-ice-sdpfrag")
        if code != 405:
            raise AssertionError("PATCH (trickle) -> %d, expected 405" % code)
        if participants(srv):
            raise AssertionError("a refused offer left a participant: %s" % participants(srv))
    finally:
        srv.stop()


def test_whip_churn(ctx):
    """50 WHIP sessions whose peer never connects (no browser: offers with no
    candidate): 20 left by DELETE, 10 with their room deleted, 20 removed by the
    5 s ICE timeout, 5 more alive at SIGINT. Everything goes (under ASan: no leak, no
    use after free) and the server exits 0."""
    srv = serve.Server(ctx, extra={"ice_timeout_s": 5})
    try:
        locations = {}
        for room, count in (("r1", 30), ("r2", 20), ("r3", 5)):
            srv.ok("POST", "/rooms", {"id": room})
            for i in range(count):
                code, reply, headers = srv.call("POST", "/whip/%s?name=P%d" % (room, i), raw=bad_offer("VP8/90000"),
                                                content_type="application/sdp")
                if code != 201 or "a=candidate:" not in reply:
                    raise AssertionError("WHIP POST %d in %s -> %d %s" % (i, room, code, reply))
                locations.setdefault(room, []).append(headers["Location"])
        for loc in locations["r1"][:20]:
            code, reply, _ = srv.call("DELETE", loc)
            if code != 200:
                raise AssertionError("DELETE %s -> %d %s" % (loc, code, reply))
        deadline = time.monotonic() + 3         # the room state is a snapshot (10 ticks)
        while len(participants(srv, "r1")) != 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        if len(participants(srv, "r1")) != 10:
            raise AssertionError("r1 after 20 DELETEs of 30: %s" % participants(srv, "r1"))
        srv.ok("DELETE", "/rooms/r1")
        time.sleep(0.5)
        deadline = time.monotonic() + 15
        while participants(srv, "r2") and time.monotonic() < deadline:
            time.sleep(0.25)
        left = participants(srv, "r2")
        if left:
            raise AssertionError("20 peers that never connected, ice_timeout_s 5: %d still in r2 after 15 s" % len(left))
        timeouts = srv.read_log().count("did not complete within 5 s")
        if timeouts < 20:
            raise AssertionError("%d timeout log lines, expected >= 20" % timeouts)
    finally:
        srv.stop()


TESTS = [
    ("whip_errors", test_whip_errors),
    ("whip_churn", test_whip_churn),
    ("whip_publish", test_whip_publish),
    ("whip_wrong_fingerprint", test_whip_wrong_fingerprint),
    ("whip_silent_peer", test_whip_silent_peer),
]
