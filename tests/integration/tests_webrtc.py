"""Integration tests of WebRTC ingest (WHIP) and egress (WHEP) with a real browser:
Debian's headless Chromium, driven by playwright-core from npm (webrtc/publish.mjs),
publishes a known camera (flat red y4m) and microphone (440 Hz) to `tessera serve`;
webrtc/view.mjs plays a room's profile over WHEP; webrtc/room_page.mjs drives
tessera's own room page (GET /rooms/ID/view). Each browser test
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
from lib import RED, GREEN, BLUE, grab_frame, layout_tiles, tile_centre, assert_colour, decode_audio, goertzel_db

WEBRTC_DIR = os.path.join(lib.HERE, "webrtc")
CHROMIUM = "/usr/bin/chromium"
FIREFOX = "/usr/bin/firefox-esr"
CLONE_NEWNET = 0x40000000
NETNS_TIMEOUT = 150


def ensure_playwright():
    """npm installs playwright-core and puppeteer-core (package-lock.json) into
    webrtc/node_modules once; no browser is downloaded (Debian's chromium and
    firefox-esr are used)."""
    if not os.path.exists(CHROMIUM):
        raise AssertionError("%s is missing: install Debian's chromium (make deps)" % CHROMIUM)
    if all(os.path.isdir(os.path.join(WEBRTC_DIR, "node_modules", m)) for m in ("playwright-core", "puppeteer-core")):
        return
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    res = lib.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEBRTC_DIR, env=env, timeout=300)
    if res.rc != 0:
        raise AssertionError("npm ci in %s failed:\n%s" % (WEBRTC_DIR, lib.tail(res.stderr + res.stdout)))


def fake_media(ctx, colour=RED, freq=440, tag=""):
    """The browser's camera (a flat colour, 640x360, looped; red by default) and
    microphone (a tone, 440 Hz by default)."""
    cam, mic = ctx.path("cam%s.y4m" % tag), ctx.path("mic%s.wav" % tag)
    for args in (["-f", "lavfi", "-i", "color=c=0x%02X%02X%02X:s=640x360:r=15:d=1" % colour,
                  "-pix_fmt", "yuv420p", cam],
                 ["-f", "lavfi", "-i", "sine=frequency=%d:sample_rate=48000:duration=4" % freq, "-ac", "1", mic]):
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


class Page:
    """node SCRIPT ARGS: one Chromium page driven over stdin; its JSON events (one a
    line on stdout) are read by a thread into a queue."""

    def __init__(self, ctx, script, args, log_name):
        argv = ["node", os.path.join(WEBRTC_DIR, script)] + args
        self.script = script
        self.log = open(ctx.path(log_name), "w")
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
                raise AssertionError("%s failed: %s" % (self.script, ev.get("message")))
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


class Publisher(Page):
    """publish.mjs: a Chromium page publishing its fake camera and microphone over WHIP."""

    def __init__(self, ctx, srv, room, name, mutate_fingerprint=False, trickle=False, colour=RED, freq=440):
        cam, mic = fake_media(ctx, colour, freq, "" if (colour, freq) == (RED, 440) else "_" + name)
        Page.__init__(self, ctx, "publish.mjs",
                      ["--url", "http://127.0.0.1:%d/whip/%s?name=%s" % (srv.http_port, room, name),
                       "--video", cam, "--audio", mic] + (["--mutate-fingerprint"] if mutate_fingerprint else []) +
                      (["--trickle"] if trickle else []),
                      "publish_%s.log" % name)


class Viewer(Page):
    """view.mjs: a Chromium page playing a room's profile over WHEP."""

    def __init__(self, ctx, srv, room, profile):
        Page.__init__(self, ctx, "view.mjs",
                      ["--url", "http://127.0.0.1:%d/whep/%s?profile=%s" % (srv.http_port, room, profile)],
                      "view_%s.log" % profile)


# Firefox's ICE never uses loopback: its parent process lists the host's addresses
# and drops 127.0.0.0/8 whatever media.peerconnection.ice.loopback says, and with no
# default route it gathers nothing at all. Inside the test's own namespace a veth
# pair gets an address of the benchmarking range (RFC 2544, never routed) and the
# default route points at it: packets to it are delivered locally in the namespace,
# nothing leaves it. tessera lists it in ice_addresses beside 127.0.0.1.
FIREFOX_ADDR = "198.18.0.1"


def firefox_netns_address():
    """In the test's namespace (in_netns body): the veth pair and route above."""
    for cmd in (["ip", "link", "add", "ffx0", "type", "veth", "peer", "name", "ffx1"],
                ["ip", "addr", "add", FIREFOX_ADDR + "/32", "dev", "ffx0"],
                ["ip", "link", "set", "ffx0", "up"], ["ip", "link", "set", "ffx1", "up"],
                ["ip", "route", "add", "default", "dev", "ffx0"]):
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise AssertionError("%s failed: %s" % (" ".join(cmd), res.stderr.strip()))


def firefox_server(ctx):
    """tessera serve for a Firefox peer: ICE on 127.0.0.1 and FIREFOX_ADDR."""
    if not os.path.exists(FIREFOX):
        raise AssertionError("%s is missing: install Debian's firefox-esr (make deps)" % FIREFOX)
    firefox_netns_address()
    return serve.Server(ctx, extra={"ice_addresses": ["127.0.0.1", FIREFOX_ADDR]})


class FirefoxPage(Page):
    """A node script driving Firefox ESR with its profile in the test's folder
    (deleted with it). puppeteer starts Firefox in a process group of its own, so
    the namespace's group kill misses it: a script that does not close in time gets
    SIGTERM (puppeteer then closes Firefox), and any Firefox left on our profile is
    killed by its pid."""

    def __init__(self, ctx, script, url, profile_name, log_name):
        self.profile = ctx.path(profile_name)
        Page.__init__(self, ctx, script, ["--url", url, "--profile", self.profile], log_name)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.command("close")
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.log.close()
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as fh:
                    argv = fh.read().split(b"\0")
            except (OSError, ValueError):
                continue
            if pid.isdigit() and self.profile.encode() in argv:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass


class FirefoxPublisher(FirefoxPage):
    """firefox_publish.mjs: a Firefox ESR page publishing its fake camera and
    microphone (a synthetic picture and a tone) over WHIP."""

    def __init__(self, ctx, srv, room, name):
        FirefoxPage.__init__(self, ctx, "firefox_publish.mjs",
                             "http://127.0.0.1:%d/whip/%s?name=%s" % (srv.http_port, room, name),
                             "firefox_profile_%s" % name, "firefox_publish_%s.log" % name)


class FirefoxViewer(FirefoxPage):
    """firefox_view.mjs: a Firefox ESR page playing a room's profile over WHEP."""

    def __init__(self, ctx, srv, room, profile):
        FirefoxPage.__init__(self, ctx, "firefox_view.mjs",
                             "http://127.0.0.1:%d/whep/%s?profile=%s" % (srv.http_port, room, profile),
                             "firefox_profile_view_%s" % profile, "firefox_view_%s.log" % profile)


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
        if participants(srv):
            raise AssertionError("a refused offer left a participant: %s" % participants(srv))
    finally:
        srv.stop()


SDPFRAG = "application/trickle-ice-sdpfrag"


def sdp_value(sdp, attr):
    """The first a=ATTR: value of an SDP or sdpfrag."""
    for line in sdp.splitlines():
        if line.startswith("a=%s:" % attr):
            return line.split(":", 1)[1].strip()
    return None


def check_patch_routes(srv, location, sdp, etag, what):
    """RFC 9725 PATCH on one session (no browser: nothing connects): errors, a trickle
    (204), an ICE restart (200, our new credentials as an sdpfrag, a new ETag that
    the old one no longer matches)."""
    ufrag = sdp_value(sdp, "ice-ufrag")
    if etag != '"%s"' % ufrag:
        raise AssertionError("%s: ETag %r, expected our ICE ufrag %r quoted" % (what, etag, ufrag))
    trickle = ("a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
               "a=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host generation 0\r\n"
               "a=end-of-candidates\r\n")
    room, sid = location.split("/")[2:4]
    cases = ((location.replace("/" + sid, "/999"), trickle, SDPFRAG, None, 404, "no "),
             (location.replace("/%s/" % room, "/nosuchroom/"), trickle, SDPFRAG, None, 404, "nosuchroom"),
             (location, trickle, "application/sdp", None, 415, SDPFRAG),
             (location, trickle, SDPFRAG, '"wrong"', 412, "entity-tag"),
             (location, "hello\r\n", SDPFRAG, etag, 400, "sdpfrag line 1"),
             (location, "a=ice-options:trickle\r\n", SDPFRAG, etag, 400, "no a=ice-ufrag"),
             (location, "a=ice-ufrag:new1\r\n", SDPFRAG, "*", 400, "ice-pwd"))
    for path, body, ctype, match, want, cause in cases:
        code, reply, _ = srv.call("PATCH", path, raw=body, content_type=ctype,
                                  headers={"If-Match": match} if match else None)
        err = reply.get("error", "") if isinstance(reply, dict) else str(reply)
        if code != want or cause.lower() not in err.lower():
            raise AssertionError("%s: PATCH %s (%s, If-Match %s) -> %d %r, expected %d naming %r"
                                 % (what, path, ctype, match, code, err, want, cause))
    code, reply, _ = srv.call("PATCH", location, raw=trickle, content_type=SDPFRAG, headers={"If-Match": etag})
    if code != 204 or reply:
        raise AssertionError("%s: trickle PATCH -> %d %r, expected 204 without a body" % (what, code, reply))
    restart = trickle.replace("abcd", "efgh").replace("abcdefghijklmnopqrstuvwx", "ijklmnopqrstuvwxyz012345")
    code, reply, headers = srv.call("PATCH", location, raw=restart, content_type=SDPFRAG, headers={"If-Match": "*"})
    if code != 200 or not headers.get("Content-Type", "").startswith(SDPFRAG):
        raise AssertionError("%s: ICE restart PATCH -> %d %s %r" % (what, code, headers.get("Content-Type"), reply))
    new_ufrag, new_pwd = sdp_value(reply, "ice-ufrag"), sdp_value(reply, "ice-pwd")
    for want in ("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "a=mid:0\r\n", "a=candidate:", " 127.0.0.1 ",
                 "a=end-of-candidates\r\n"):
        if want not in reply:
            raise AssertionError("%s: the ICE restart answer lacks %r:\n%s" % (what, want, reply))
    if not new_ufrag or new_ufrag == ufrag or not new_pwd or new_pwd == sdp_value(sdp, "ice-pwd"):
        raise AssertionError("%s: ICE restart kept or lacks our credentials (%s/%s):\n%s"
                             % (what, ufrag, new_ufrag, reply))
    if headers.get("ETag") != '"%s"' % new_ufrag:
        raise AssertionError("%s: ICE restart ETag %r, expected %r" % (what, headers.get("ETag"), new_ufrag))
    code, reply, _ = srv.call("PATCH", location, raw=restart, content_type=SDPFRAG, headers={"If-Match": etag})
    if code != 412:
        raise AssertionError("%s: PATCH with the ETag of before the restart -> %d, expected 412" % (what, code))
    code, reply, _ = srv.call("PATCH", location, raw=restart, content_type=SDPFRAG,
                              headers={"If-Match": headers["ETag"]})
    if code != 204:
        raise AssertionError("%s: trickle PATCH after the restart -> %d %r" % (what, code, reply))


def test_whip_patch_http(ctx):
    """PATCH (RFC 9725 §4.3) on a WHIP and a WHEP session without a browser: 404
    unknown session or room, 415 not an sdpfrag, 412 wrong If-Match, 400 bad sdpfrag,
    204 trickle, 200 ICE restart with new credentials and ETag; the server logs the
    trickled candidates and the restarts and stays up."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        code, reply, headers = srv.call("POST", "/whip/r1?name=P", raw=bad_offer("VP8/90000"),
                                        content_type="application/sdp")
        if code != 201:
            raise AssertionError("WHIP POST -> %d %s" % (code, reply))
        check_patch_routes(srv, headers["Location"], reply, headers.get("ETag"), "WHIP")
        code, reply, headers = srv.call("POST", "/whep/r1", raw=view_offer(), content_type="application/sdp")
        if code != 201:
            raise AssertionError("WHEP POST -> %d %s" % (code, reply))
        check_patch_routes(srv, headers["Location"], reply, headers.get("ETag"), "WHEP")
        log = srv.read_log()
        if log.count("1 trickled ICE candidate, end of candidates") != 4 or log.count("ICE restart (peer ufrag efgh)") != 2:
            raise AssertionError("the log lacks the trickle/restart lines:\n%s" % lib.tail(log, 30))
        wait_state(srv, lambda ps: len(ps) == 1, 3, "the WHIP participant still there after its PATCHes")
        if srv.proc.poll() is not None:
            raise AssertionError("tessera serve died")
    finally:
        srv.stop()


def test_whip_trickle(ctx):
    """Chromium POSTs its offer without candidates, applies our answer without ours
    (so it cannot start the checks: only tessera can, towards candidates it was
    trickled) and PATCHes each candidate as it comes, with the POST's ETag, then
    end-of-candidates: every PATCH gets 204, the session connects and the room
    decodes the browser's video and audio."""
    def body():
        srv = serve.Server(ctx)
        pub = None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            pub = Publisher(ctx, srv, "r1", "Goutte", trickle=True)
            ans = pub.wait_event("answer", 40)
            check_answer(ans)
            if "a=candidate:" in ans["offer"] or not ans.get("etag"):
                raise AssertionError("the trickle offer has candidates, or the 201 no ETag: %s" % ans)
            patches = []
            while not any(p["end"] for p in patches):
                patches.append(pub.wait_event("patch", 15))
            if any(p["status"] != 204 for p in patches) or not sum(p["candidates"] for p in patches):
                raise AssertionError("the trickle PATCHes: %s (expected 204s carrying candidates)" % patches)
            wait_state(srv, lambda ps: len(ps) == 1 and ps[0]["video_frames"] > 30 and ps[0]["audio_frames"] > 50,
                       15, "the trickled browser's video (> 30 frames) and audio (> 50 frames) decoded")
            wait_log(srv, "trickled ICE candidate", 1)
            wait_log(srv, "end of candidates", 1)
        finally:
            if pub:
                pub.close()
            srv.stop()
    in_netns(ctx, body)


def test_whip_ice_restart(ctx):
    """A connected Chromium publisher restarts ICE (pc.restartIce()): its new
    credentials and candidates PATCHed with If-Match: *, our 200 sdpfrag (new ufrag,
    password, candidates) applied; the new ETag is our new ufrag, the browser's ICE
    transport runs on its new credentials and stays connected, and the room keeps
    decoding its video."""
    def body():
        srv = serve.Server(ctx)
        pub = None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            pub = Publisher(ctx, srv, "r1", "Phenix")
            check_answer(pub.wait_event("answer", 40))
            wait_state(srv, lambda ps: len(ps) == 1 and ps[0]["video_frames"] > 30, 15, "the browser's video decoded")
            pub.command("stats")
            before = pub.wait_event("stats", 10)["transport"]
            pub.command("restart")
            res = pub.wait_event("restart", 20)
            with open(ctx.path("restart.json"), "w") as fh:
                json.dump({"before": before, "restart": res}, fh, indent=1)
            if res["status"] != 200 or res["newUfrag"] == res["oldUfrag"]:
                raise AssertionError("ICE restart PATCH: %s" % res)
            ufrag = sdp_value(res["answer"], "ice-ufrag")
            if res.get("etag") != '"%s"' % ufrag or "a=candidate:" not in res["answer"]:
                raise AssertionError("the restart answer/ETag: %s" % res)
            wait_log(srv, "ICE restart (peer ufrag %s)" % res["newUfrag"], 2)
            frames0 = participants(srv)[0]["video_frames"]
            deadline, after = time.monotonic() + 15, None
            while time.monotonic() < deadline:
                pub.command("stats")
                after = pub.wait_event("stats", 10)["transport"]
                pair = after.get("pair") or {}
                if after.get("iceLocalUsernameFragment") == res["newUfrag"] and after.get("iceState") == "connected" \
                        and pair.get("state") == "succeeded" and (pair.get("responsesReceived") or 0) > 0 \
                        and pair.get("id") != (before.get("pair") or {}).get("id"):
                    break
                time.sleep(0.5)
            with open(ctx.path("restart.json"), "w") as fh:
                json.dump({"before": before, "restart": res, "after": after}, fh, indent=1)
            pair = after.get("pair") or {}
            if after.get("iceLocalUsernameFragment") != res["newUfrag"] or after.get("iceState") != "connected" or \
                    pair.get("state") != "succeeded" or pair.get("id") == (before.get("pair") or {}).get("id"):
                raise AssertionError("the browser's ICE after the restart: %s (before: %s)" % (after, before))
            time.sleep(3)
            frames = participants(srv)[0]["video_frames"]
            if frames - frames0 < 20:
                raise AssertionError("%d video frames decoded in the 3 s after the restart" % (frames - frames0))
        finally:
            if pub:
                pub.close()
            srv.stop()
    in_netns(ctx, body)


def make_cert(ctx, name):
    """An ECDSA P-256 self-signed certificate and its key made by the openssl CLI;
    returns (cert path, key path, its SHA-256 fingerprint "AB:CD:...")."""
    cert, key = ctx.path(name + ".pem"), ctx.path(name + ".key")
    res = lib.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                   "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=tessera-test-" + name])
    if res.rc != 0:
        raise AssertionError("openssl req failed: %s" % res.stderr[-400:])
    res = lib.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"])
    if res.rc != 0 or "=" not in res.stdout:
        raise AssertionError("openssl x509 -fingerprint failed: %s" % (res.stderr or res.stdout))
    return cert, key, res.stdout.strip().split("=", 1)[1].upper()


def test_dtls_cert_config(ctx):
    """dtls_cert/dtls_key in the config: the WHIP and WHEP answers carry the
    fingerprint openssl computes for that certificate; a missing file, a file that
    is not PEM, a key of another certificate, or one setting without the other: a
    clear error at start-up and a non-zero exit."""
    cert, key, fp = make_cert(ctx, "a")
    _, other_key, _ = make_cert(ctx, "b")
    srv = serve.Server(ctx, extra={"dtls_cert": cert, "dtls_key": key})
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        for path, offer in (("/whip/r1", bad_offer("VP8/90000")), ("/whep/r1", view_offer())):
            code, reply, _ = srv.call("POST", path, raw=offer, content_type="application/sdp")
            got = sdp_value(reply, "fingerprint") if code == 201 else None
            if got != "sha-256 " + fp:
                raise AssertionError("%s: a=fingerprint:%s, expected sha-256 %s (openssl x509 -fingerprint)"
                                     % (path, got, fp))
    finally:
        srv.stop()
    not_pem = ctx.path("not.pem")
    with open(not_pem, "w") as fh:
        fh.write("hello\n")
    for extra, cause in (({"dtls_cert": ctx.path("nope.pem"), "dtls_key": key}, "cannot open it"),
                         ({"dtls_cert": cert, "dtls_key": ctx.path("nope.key")}, "cannot open it"),
                         ({"dtls_cert": not_pem, "dtls_key": key}, "not a PEM certificate"),
                         ({"dtls_cert": cert, "dtls_key": not_pem}, "not an unencrypted PEM private key"),
                         ({"dtls_cert": cert, "dtls_key": other_key}, "is not the private key of"),
                         ({"dtls_cert": cert}, "go together")):
        cfg = ctx.path("bad.json")
        with open(cfg, "w") as fh:
            json.dump(dict({"http_port": serve.free_port_block(1)}, **extra), fh)
        res = lib.run([lib.tessera_bin(), "serve", "--config", cfg], timeout=20)
        lib.check_not_crashed(res, "tessera serve")
        if res.rc == 0 or cause not in res.stderr + res.stdout:
            raise AssertionError("serve with %s: exit %d, expected non-zero and an error naming %r:\n%s"
                                 % (extra, res.rc, cause, lib.tail(res.stderr + res.stdout)))


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


def churn_open(ctx, srv, count, tag):
    """A churn.mjs page with count WHIP sessions, all connected and sending."""
    _, mic = fake_media(ctx)
    page = Page(ctx, "churn.mjs", ["--url", "http://127.0.0.1:%d/whip/r1" % srv.http_port, "--audio", mic,
                                   "--count", str(count)], "churn_%s.log" % tag)
    statuses = page.wait_event("answer", 90)["statuses"]
    if statuses != [201] * count:
        raise AssertionError("%s: the %d WHIP POSTs: %s" % (tag, count, statuses))
    wait_state(srv, lambda ps: len(ps) == count and all(p["audio_frames"] > 20 for p in ps), 30,
               "%s: %d browser sessions connected and decoding audio" % (tag, count))
    return page


def test_whip_browser_churn(ctx):
    """One Chromium page opens 20 WHIP sessions (real RTCPeerConnections, audio only)
    that all connect and send; the page is closed without any DELETE: all 20 leave
    (Chromium sends no DTLS close_notify then: at the 4 s timeout). Then 20 more, and the browser is killed
    (no DELETE, no DTLS close_notify): none leaves before 1.5 s, all 20 after the 4 s
    consent/silence timeout, each with its log line. The server exits cleanly (under
    ASan: no leak, no use after free)."""
    count = 20

    def body():
        srv = serve.Server(ctx, extra={"ice_timeout_s": 4})
        page = None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            page = churn_open(ctx, srv, count, "closepage")
            page.command("closepage")
            page.wait_event("pageclosed", 15)
            t0 = time.monotonic()
            wait_state(srv, lambda ps: not ps, 12, "every session of the closed page removed")
            closed_after = time.monotonic() - t0
            left = srv.read_log().count(" left (participant ")
            if left != count:
                raise AssertionError("%d 'left' log lines after the page closed, expected %d" % (left, count))
            silent = srv.read_log().count("nothing received for 4 s")
            page.close()
            page = churn_open(ctx, srv, count, "crash")
            page.command("crash")
            page.wait_event("crashed", 10)
            t0 = time.monotonic()
            time.sleep(1.5)
            if len(participants(srv)) != count:
                raise AssertionError("participants left 1.5 s after the browser died, before the 4 s timeout: %d of %d"
                                     % (count - len(participants(srv)), count))
            wait_state(srv, lambda ps: not ps, 12, "every session of the killed browser removed")
            gone = time.monotonic() - t0
            lines = srv.read_log().count("nothing received for 4 s") - silent
            if lines != count:
                raise AssertionError("%d 'nothing received for 4 s' log lines after the kill, expected %d"
                                     % (lines, count))
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
            with open(ctx.path("churn.json"), "w") as fh:
                json.dump({"sessions": count, "closed_page_all_removed_after_s": closed_after,
                           "killed_browser_all_removed_after_s": gone}, fh)
        finally:
            if page:
                page.close()
            srv.stop()
    in_netns(ctx, body)

def profile_sinks(srv, name, room="r1"):
    """The sinks of the room's running profile `name` (from the room thread's state)."""
    for p in srv.ok("GET", "/rooms/" + room)["state"].get("profiles", []):
        if p["name"] == name:
            return p["outputs"]
    return []


def wait_sinks(srv, name, pred, timeout, what):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = profile_sinks(srv, name)
        if pred(last):
            return last
        time.sleep(0.25)
    raise AssertionError("%s: not within %.0f s; profile %s sinks: %s" % (what, timeout, name, last))


def test_whep_view(ctx):
    """An ffmpeg RTP participant (red 640x360 + 440 Hz) in a room viewed by Chromium
    over WHEP (?profile=low): the page decodes 320x180 frames and audio, the video's
    centre is red (screenshot saved); DELETE detaches the viewer's two sinks."""
    def body():
        srv = serve.Server(ctx)
        view, sender = None, None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            base = serve.free_port_block(8)
            rp = srv.ok("POST", "/rooms/r1/participants", {"name": "Rouge", "sdp": serve.sender_offer(base, base + 2)})
            v, a, _ = serve.answer_ports(rp["sdp"])
            sender = serve.start_sender(ctx, "red", RED, 440, 30, v, a, base + 4)
            view = Viewer(ctx, srv, "r1", "low")
            ans = view.wait_event("answer", 40)
            if ans.get("status") != 201 or not (ans.get("location") or "").startswith("/whep/r1/"):
                raise AssertionError("WHEP POST: %s %s" % (ans.get("status"), ans.get("body") or ans.get("location")))
            for want in ("a=group:BUNDLE", "a=setup:passive", "a=sendonly", "a=rtcp-mux", "a=fingerprint:sha-256 ",
                         "a=end-of-candidates", "H264/90000", "packetization-mode=1", "opus/48000", "a=ssrc:"):
                if want not in ans["answer"]:
                    raise AssertionError("the WHEP answer lacks %r:\n%s" % (want, ans["answer"]))
            sinks = wait_sinks(srv, "low", lambda s: len(s) == 2, 5, "the viewer's two sinks on profile low")
            deadline, stats = time.monotonic() + 20, None
            while time.monotonic() < deadline:
                view.command("stats")
                stats = {s["kind"]: s for s in view.wait_event("stats", 10)["inbound"]}
                vs, au = stats.get("video", {}), stats.get("audio", {})
                if (vs.get("framesDecoded") or 0) > 30 and max(au.get("packetsReceived") or 0,
                                                                 au.get("totalSamplesReceived") or 0) > 50:
                    break
                time.sleep(0.5)
            with open(ctx.path("viewer_stats.json"), "w") as fh:
                json.dump(stats, fh, indent=1)
            vs, au = stats.get("video", {}), stats.get("audio", {})
            if (vs.get("framesDecoded") or 0) <= 30 or max(au.get("packetsReceived") or 0,
                                                           au.get("totalSamplesReceived") or 0) <= 50:
                raise AssertionError("the viewer decoded too little within 20 s: %s" % stats)
            if (vs.get("frameWidth"), vs.get("frameHeight")) != (320, 180):
                raise AssertionError("the viewer's frames are %sx%s, expected 320x180 (profile low)"
                                     % (vs.get("frameWidth"), vs.get("frameHeight")))
            view.command("pixel")
            px = view.wait_event("pixel", 10)
            rgb = px.get("rgb") or [0, 0, 0]
            if not (rgb[0] > 150 and rgb[1] < 90 and rgb[2] < 90):
                raise AssertionError("the video's centre pixel is %s, expected red-ish (%s)" % (rgb, px))
            view.command("screenshot " + ctx.path("whep_view.png"))
            view.wait_event("screenshot", 10)
            code, reply, _ = srv.call("DELETE", ans["location"])
            if code != 200:
                raise AssertionError("DELETE %s -> %d %s" % (ans["location"], code, reply))
            ids = {s["id"] for s in sinks}
            wait_sinks(srv, "low", lambda s: not ids & {x["id"] for x in s}, 3, "the viewer's sinks detached")
            if any(o["url"].startswith("whep:") for o in srv.ok("GET", "/rooms/r1")["outputs"]):
                raise AssertionError("the viewer is still listed: %s" % srv.ok("GET", "/rooms/r1")["outputs"])
            code, _, _ = srv.call("DELETE", ans["location"])
            if code != 404:
                raise AssertionError("a second DELETE of %s -> %d, expected 404" % (ans["location"], code))
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            if view:
                view.close()
            if sender and sender.poll() is None:
                sender.kill()
                sender.wait()
            srv.stop()
    in_netns(ctx, body)


ADAPT_PORTS = (21000, 21199)   # tessera's ICE ports: below the ephemeral range the browser uses


def nft_loss(percent):
    """Inside the test's namespace: drop `percent`% of every UDP datagram tessera sends
    (source port in ADAPT_PORTS: SRTP, SRTCP and STUN alike), on the input hook (on
    output sendto would fail). Consent rests on the viewer's authenticated packets
    (net/ice.c), so lost STUN must not drop the viewer either."""
    rules = ("table inet tessera_loss {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
             "  udp sport %d-%d numgen random mod 100 < %d counter drop\n }\n}\n"
             % (ADAPT_PORTS + (percent,)))
    res = subprocess.run(["nft", "-f", "-"], input=rules, text=True, capture_output=True)
    if res.returncode != 0:
        raise AssertionError("nft could not add the loss rule: %s" % res.stderr)


def nft_loss_counter():
    res = subprocess.run(["nft", "list", "table", "inet", "tessera_loss"], text=True, capture_output=True)
    words = res.stdout.split()
    return int(words[words.index("packets") + 1]) if "packets" in words else -1


def adapt_state(srv, room="r1"):
    """The adaptive viewer's state (its active tap's "adapt" object), or None."""
    for p in srv.ok("GET", "/rooms/" + room)["state"].get("profiles", []):
        for o in p["outputs"]:
            if o.get("adapt", {}).get("active"):
                return dict(o["adapt"], tap_profile=p["name"])
    return None


def wait_adapt(srv, pred, timeout, what):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = adapt_state(srv)
        if last and pred(last):
            return last
        time.sleep(0.25)
    raise AssertionError("%s: not within %.0f s; viewer state: %s" % (what, timeout, last))


def wait_height(view, height, timeout):
    deadline, vs = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        view.command("stats")
        vs = {x["kind"]: x for x in view.wait_event("stats", 10)["inbound"]}.get("video", {})
        if vs.get("frameHeight") == height:
            return vs
        time.sleep(0.3)
    raise AssertionError("the browser does not decode %dp frames within %.0f s: %s" % (height, timeout, vs))


def metric(srv, name):
    code, text, _ = srv.call("GET", "/metrics")
    for line in (text if isinstance(text, str) else text.decode()).splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError("/metrics lacks %s" % name)


def test_whep_adapt(ctx):
    """Issue 4: a Chromium WHEP viewer of hd (an ffmpeg RTP participant in the room)
    behind 10% loss (nftables in the namespace, on the media tessera sends) is moved to
    low at low's keyframe: 180p decodes, no freeze over 1 s from the loss on; when
    the loss stops it moves back to hd (720p). Room state, /metrics and a
    screenshot of the low picture."""
    def body():
        srv = serve.Server(ctx, extra={"rtp_port_min": ADAPT_PORTS[0], "rtp_port_max": ADAPT_PORTS[1]})
        view, sender = None, None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            base = serve.free_port_block(8)
            rp = srv.ok("POST", "/rooms/r1/participants", {"name": "Rouge", "sdp": serve.sender_offer(base, base + 2)})
            v, a, _ = serve.answer_ports(rp["sdp"])
            sender = serve.start_sender(ctx, "red", RED, 440, 80, v, a, base + 4)
            view = Viewer(ctx, srv, "r1", "hd")
            ans = view.wait_event("answer", 40)
            if ans.get("status") != 201:
                raise AssertionError("WHEP POST: %s %s" % (ans.get("status"), ans.get("body")))
            st = wait_adapt(srv, lambda s: s["profile"] == "hd", 5, "the viewer on hd")
            if not st["adaptive"] or st["ceiling"] != "hd":
                raise AssertionError("the viewer is not adaptive with ceiling hd: %s" % st)
            wait_height(view, 720, 20)
            view.command("monitor")
            view.wait_event("monitor", 10)
            time.sleep(1)
            nft_loss(10)
            t_loss = time.monotonic()
            st = wait_adapt(srv, lambda s: s["profile"] == "low", 15, "the viewer moved to low under 10% loss")
            t_down = time.monotonic() - t_loss
            if not st["last_reason"].startswith("down: loss") or st["switches_down"] != 1:
                raise AssertionError("unexpected state after the move down: %s" % st)
            low_stats = wait_height(view, 180, 5)
            time.sleep(2)                          # decoding 180p behind the loss
            view.command("screenshot " + ctx.path("whep_adapt_low.png"))
            view.wait_event("screenshot", 10)
            view.command("pixel")
            px = view.wait_event("pixel", 10)
            rgb = px.get("rgb") or [0, 0, 0]
            if px.get("height") != 180 or not (rgb[0] > 150 and rgb[1] < 90 and rgb[2] < 90):
                raise AssertionError("the low picture is %sx%s with centre %s, expected 320x180 red-ish"
                                     % (px.get("width"), px.get("height"), rgb))
            dropped = nft_loss_counter()
            subprocess.run(["nft", "delete", "table", "inet", "tessera_loss"], check=True)
            t_clean = time.monotonic()
            st = wait_adapt(srv, lambda s: s["profile"] == "hd", 30, "the viewer back on hd once the loss stopped")
            t_up = time.monotonic() - t_clean
            wait_height(view, 720, 5)
            time.sleep(1)
            view.command("monitor_report")
            mon = view.wait_event("monitor_report", 10)
            view.command("stats")
            final = {x["kind"]: x for x in view.wait_event("stats", 10)["inbound"]}
            down, up = (metric(srv, 'tessera_whep_profile_switches_total{direction="%s"}' % d) for d in ("down", "up"))
            result = {"seconds_to_low": round(t_down, 1), "seconds_back_to_hd": round(t_up, 1),
                      "packets_dropped_by_nft": dropped, "state": st, "monitor": mon,
                      "low_stats": low_stats, "final_stats": final, "metrics": {"down": down, "up": up}}
            with open(ctx.path("whep_adapt.json"), "w") as fh:
                json.dump(result, fh, indent=1)
            print("whep_adapt: %s" % json.dumps({k: result[k] for k in ("seconds_to_low", "seconds_back_to_hd",
                                                                          "packets_dropped_by_nft")}
                                                 | {"longest_gap_ms": mon["longestGapMs"]}))
            if dropped < 20:
                raise AssertionError("the loss rule dropped only %d packets" % dropped)
            if st["switches_down"] != 1 or st["switches_up"] != 1 or not st["last_reason"].startswith("up:"):
                raise AssertionError("unexpected state after the move up: %s" % st)
            if down < 1 or up < 1:
                raise AssertionError("/metrics counts %d moves down and %d up" % (down, up))
            if mon["samples"] < 100 or mon["longestGapMs"] > 1000:
                raise AssertionError("the video froze %d ms (longest, %d samples), expected <= 1000 ms: %s"
                                     % (mon["longestGapMs"], mon["samples"], mon))
            heights = [h for _, h in mon["heights"]]
            if heights[:3] != [720, 180, 720] or len(heights) != 3:
                raise AssertionError("the decoded heights went %s, expected 720 -> 180 -> 720" % mon["heights"])
            code, reply, _ = srv.call("DELETE", ans["location"])
            if code != 200:
                raise AssertionError("DELETE %s -> %d %s" % (ans["location"], code, reply))
            wait_sinks(srv, "low", lambda x: not x, 3, "the viewer's tap on low removed")
            wait_sinks(srv, "hd", lambda x: not x, 3, "the viewer's taps on hd removed")
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            if view:
                view.close()
            if sender and sender.poll() is None:
                sender.kill()
                sender.wait()
            srv.stop()
    in_netns(ctx, body)


def viewer_stats(view, pred, timeout):
    """Polls the viewer's inbound-rtp stats ({kind: stats}) until pred(stats) or timeout;
    returns the last ones."""
    deadline, stats = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        view.command("stats")
        stats = {s["kind"]: s for s in view.wait_event("stats", 10)["inbound"]}
        if pred(stats):
            break
        time.sleep(0.5)
    return stats


def test_webrtc_two_publishers(ctx):
    """Two Chromium pages publish over WHIP (flat red + 440 Hz, flat green + 620 Hz)
    and a third views the room over WHEP (low): getStats shows frames decoded at
    320x180 and audio arriving, both tones are in the viewer's audio, and the
    picture is a grid of two tiles, red in slot 0 and green in slot 1 (screenshot
    saved as two_publishers.png)."""
    def body():
        srv = serve.Server(ctx)
        pubs, view = [], None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            for name, colour, freq in (("Rouge", RED, 440), ("Vert", GREEN, 620)):
                pub = Publisher(ctx, srv, "r1", name, colour=colour, freq=freq)
                pubs.append(pub)
                check_answer(pub.wait_event("answer", 40))
                wait_state(srv, lambda ps, n=len(pubs): len(ps) == n and all(p["video_frames"] > 10 for p in ps),
                           20, "%d WHIP publisher(s) decoded" % len(pubs))
            view = Viewer(ctx, srv, "r1", "low")
            ans = view.wait_event("answer", 40)
            if ans.get("status") != 201:
                raise AssertionError("WHEP POST: %s %s" % (ans.get("status"), ans.get("body")))
            stats = viewer_stats(view, lambda st: (st.get("video", {}).get("framesDecoded") or 0) > 30 and
                                 (st.get("audio", {}).get("packetsReceived") or 0) > 50, 25)
            vs, au = stats.get("video", {}), stats.get("audio", {})
            if (vs.get("framesDecoded") or 0) <= 30 or (vs.get("frameWidth"), vs.get("frameHeight")) != (320, 180):
                raise AssertionError("the viewer should decode > 30 frames of 320x180 (low): %s" % stats)
            if (au.get("packetsReceived") or 0) <= 50:
                raise AssertionError("the viewer received too little audio: %s" % au)
            view.command("tones 440,620,300,900")
            db = {int(k): v for k, v in view.wait_event("tones", 15)["db"].items()}
            for freq, who in ((440, "Rouge"), (620, "Vert")):
                if not db.get(freq, -999) > max(db.get(300, -999), db.get(900, -999)) + 20:
                    raise AssertionError("%s's %d Hz is not in the viewer's audio (dB per Hz: %s)" % (who, freq, db))
            tiles = layout_tiles("grid", 2, 1, 1)[:2]
            pts = ";".join("%.4f,%.4f" % tile_centre(t) for t in tiles)
            want = ((RED, "slot 0: Rouge, red"), (GREEN, "slot 1: Vert, green"))
            deadline, px = time.monotonic() + 10, None
            while time.monotonic() < deadline:
                view.command("pixel " + pts)
                px = view.wait_event("pixel", 10)
                if all(lib.colour_dist(tuple(got), w[0]) <= 45 for got, w in zip(px["points"], want)):
                    break
                time.sleep(0.5)
            view.command("screenshot " + ctx.path("two_publishers.png"))
            view.wait_event("screenshot", 10)
            for got, (colour, what) in zip(px["points"], want):
                if lib.colour_dist(tuple(got), colour) > 45:
                    raise AssertionError("the WHEP viewer shows %s at %s, expected %s; samples %s"
                                         % (lib.hexc(tuple(got)), what, lib.hexc(colour), px))
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            for page in [view] + pubs:
                if page:
                    page.close()
            srv.stop()
    in_netns(ctx, body)


def test_webrtc_mixed_room(ctx):
    """The ffmpeg command line (RTP, flat blue + 1040 Hz) and Chromium (WHIP, flat red
    camera + 440 Hz) in one grid room; a second Chromium views it over WHEP (low):
    its decoded frames are 320x180, audio with energy arrives, and sampling the
    video shows blue at slot 0's centre and red at slot 1's (screenshot saved), and
    both tones are heard in its audio (WebAudio analyser in the page). The server
    uses a certificate from its config (dtls_cert, dtls_key made by openssl): both
    browsers' DTLS handshakes run with it."""
    def body():
        cert, key, fp = make_cert(ctx, "server")
        srv = serve.Server(ctx, extra={"dtls_cert": cert, "dtls_key": key})
        pub, view, sender = None, None, None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            base = serve.free_port_block(8)
            rp = srv.ok("POST", "/rooms/r1/participants", {"name": "Bleu", "sdp": serve.sender_offer(base, base + 2)})
            v, a, _ = serve.answer_ports(rp["sdp"])
            sender = serve.start_sender(ctx, "blue", BLUE, 1040, 60, v, a, base + 4)
            pub = Publisher(ctx, srv, "r1", "Navigateur")
            ans = pub.wait_event("answer", 40)
            check_answer(ans)
            if sdp_value(ans["answer"], "fingerprint") != "sha-256 " + fp:
                raise AssertionError("the answer's a=fingerprint is not the configured certificate's %s" % fp)
            wait_state(srv, lambda ps: len(ps) == 2 and all(p["video_frames"] > 10 for p in ps), 15,
                       "both participants' video decoded (ffmpeg RTP and Chromium WHIP)")
            view = Viewer(ctx, srv, "r1", "low")
            ans = view.wait_event("answer", 40)
            if ans.get("status") != 201:
                raise AssertionError("WHEP POST: %s %s" % (ans.get("status"), ans.get("body")))
            stats = viewer_stats(view, lambda st: (st.get("video", {}).get("framesDecoded") or 0) > 30 and
                                 (st.get("audio", {}).get("packetsReceived") or 0) > 50, 25)
            with open(ctx.path("viewer_stats.json"), "w") as fh:
                json.dump(stats, fh, indent=1)
            vs, au = stats.get("video", {}), stats.get("audio", {})
            if (vs.get("framesDecoded") or 0) <= 30:
                raise AssertionError("the viewer decoded too few frames within 25 s: %s" % stats)
            if (vs.get("frameWidth"), vs.get("frameHeight")) != (320, 180):
                raise AssertionError("the viewer's frames are %sx%s, expected 320x180 (profile low)"
                                     % (vs.get("frameWidth"), vs.get("frameHeight")))
            if (au.get("packetsReceived") or 0) <= 50:
                raise AssertionError("the viewer received too little audio: %s" % au)
            view.command("tones 440,1040,300,700")
            db = {int(k): v for k, v in view.wait_event("tones", 15)["db"].items()}
            with open(ctx.path("viewer_tones.json"), "w") as fh:
                json.dump(db, fh, indent=1)
            for freq, who in ((440, "the browser publisher"), (1040, "the ffmpeg participant")):
                if not db.get(freq, -999) > max(db.get(300, -999), db.get(700, -999)) + 20:
                    raise AssertionError("%s's %d Hz is not in the viewer's audio (dB per Hz: %s)" % (who, freq, db))
            tiles = layout_tiles("grid", 2, 1, 1)[:2]
            pts = ";".join("%.4f,%.4f" % tile_centre(t) for t in tiles)
            want = ((BLUE, "slot 0: the ffmpeg RTP participant, blue"),
                    (RED, "slot 1: the Chromium WHIP publisher, red"))
            deadline, px = time.monotonic() + 10, None
            while time.monotonic() < deadline:       # the browser's first frames may still be settling
                view.command("pixel " + pts)
                px = view.wait_event("pixel", 10)
                if all(lib.colour_dist(tuple(got), w[0]) <= 45 for got, w in zip(px["points"], want)):
                    break
                time.sleep(0.5)
            view.command("screenshot " + ctx.path("mixed_room.png"))
            view.wait_event("screenshot", 10)
            for got, (colour, what) in zip(px["points"], want):
                if lib.colour_dist(tuple(got), colour) > 45:
                    raise AssertionError("the WHEP viewer shows %s at %s, expected %s (%s); samples %s"
                                         % (lib.hexc(tuple(got)), what, lib.hexc(colour), pts, px))
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            for page in (view, pub):
                if page:
                    page.close()
            if sender and sender.poll() is None:
                sender.kill()
                sender.wait()
            srv.stop()
    in_netns(ctx, body)


def view_offer(fingerprint=True, ice=True):
    """A browser-like WHEP offer: recvonly Opus + H.264 (42e01f, mode 1), bundled."""
    fp = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n" if fingerprint else ""
    cred = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" if ice else ""
    return ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n%s%sa=setup:actpass\r\na=mid:0\r\n"
            "a=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
            "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\n%s%sa=setup:actpass\r\na=mid:1\r\n"
            "a=recvonly\r\na=rtcp-mux\r\na=rtpmap:102 H264/90000\r\na=rtcp-fb:102 nack\r\n"
            "a=rtcp-fb:102 nack pli\r\na=rtcp-fb:102 ccm fir\r\na=rtcp-fb:102 goog-remb\r\n"
            "a=rtcp-fb:102 transport-cc\r\n"
            "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
            % (cred, fp, cred, fp))


def test_whep_errors(ctx):
    """Refused WHEP offers (no fingerprint, no ICE credentials, a profile browsers
    cannot decode, an unknown profile or room) get their status and a reason and
    leave no output; a good offer without a browser is answered and DELETE removes it;
    viewers that never connect go at the ICE timeout, with their room, or at SIGINT
    (under ASan: nothing leaks)."""
    srv = serve.Server(ctx, extra={"ice_timeout_s": 3})
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        cases = (("/whep/r1", view_offer(fingerprint=False), 400, "fingerprint"),
                 ("/whep/r1", view_offer(ice=False), 400, "ice-ufrag"),
                 ("/whep/r1?profile=legacy", view_offer(), 400, "h263p"),
                 ("/whep/r1?profile=nosuch", view_offer(), 404, "no profile nosuch"),
                 ("/whep/nosuchroom", view_offer(), 404, "nosuchroom"))
        for path, sdp, want, cause in cases:
            code, reply, _ = srv.call("POST", path, raw=sdp, content_type="application/sdp")
            err = reply.get("error", "") if isinstance(reply, dict) else str(reply)
            if code != want or cause.lower() not in err.lower():
                raise AssertionError("POST %s -> %d %r, expected %d naming %r" % (path, code, err, want, cause))
        if srv.ok("GET", "/rooms/r1")["outputs"]:
            raise AssertionError("a refused offer left an output: %s" % srv.ok("GET", "/rooms/r1")["outputs"])
        code, reply, headers = srv.call("POST", "/whep/r1?profile=low", raw=view_offer(),
                                        content_type="application/sdp")
        if code != 201 or "a=sendonly" not in reply or "a=rtpmap:102 H264/90000" not in reply:
            raise AssertionError("WHEP POST -> %d %s" % (code, reply))
        # Feedback we act on as the sender is answered (NACK, PLI, FIR, REMB); transport-cc is not.
        for line, want in (("a=rtcp-fb:102 nack\r\n", True), ("a=rtcp-fb:102 nack pli", True),
                           ("a=rtcp-fb:102 ccm fir", True), ("a=rtcp-fb:102 goog-remb", True),
                           ("transport-cc", False)):
            if (line in reply) != want:
                raise AssertionError("the WHEP answer should %shave %r:\n%s" % ("" if want else "not ", line, reply))
        wait_sinks(srv, "low", lambda s: len(s) == 2, 5, "two sinks on profile low")
        code, reply, _ = srv.call("DELETE", headers["Location"])
        if code != 200:
            raise AssertionError("DELETE %s -> %d %s" % (headers["Location"], code, reply))
        wait_sinks(srv, "low", lambda s: not s, 3, "the sinks detached")
        if srv.ok("GET", "/rooms/r1")["outputs"]:
            raise AssertionError("DELETE left the output: %s" % srv.ok("GET", "/rooms/r1")["outputs"])
        srv.ok("POST", "/rooms", {"id": "r2"})
        for room in ("r1", "r2"):
            code, reply, _ = srv.call("POST", "/whep/%s" % room, raw=view_offer(), content_type="application/sdp")
            if code != 201:
                raise AssertionError("WHEP POST in %s -> %d %s" % (room, code, reply))
        srv.ok("DELETE", "/rooms/r2")
        deadline = time.monotonic() + 8
        while srv.ok("GET", "/rooms/r1")["outputs"] and time.monotonic() < deadline:
            time.sleep(0.25)
        if srv.ok("GET", "/rooms/r1")["outputs"]:
            raise AssertionError("a viewer that never connected is still there after 8 s (ice_timeout_s 3)")
        wait_log(srv, "stopped viewing (viewer", 1)
        code, _, _ = srv.call("POST", "/whep/r1?profile=hd", raw=view_offer(), content_type="application/sdp")
        if code != 201:
            raise AssertionError("WHEP POST ?profile=hd -> %d" % code)
        code, _, _ = srv.call("POST", "/whep/r1?profile=hd&adaptive=0", raw=view_offer(),
                              content_type="application/sdp")
        if code != 201:
            raise AssertionError("WHEP POST ?profile=hd&adaptive=0 -> %d" % code)
        # Adaptive by default (ceiling hd, ladder low..hd); ?adaptive=0 stays put.
        sinks = wait_sinks(srv, "hd", lambda x: len([o for o in x if "adapt" in o]) == 2, 5,
                           "two WHEP viewers of hd with their adaptation state")
        states = sorted((o["adapt"]["adaptive"], o["adapt"]["ceiling"], o["adapt"]["profile"], o["adapt"]["active"])
                        for o in sinks if "adapt" in o)
        if states != [(False, "hd", "hd", True), (True, "hd", "hd", True)]:
            raise AssertionError("adaptation state of the two hd viewers: %s" % sinks)
    finally:
        srv.stop()


class RoomPage(Page):
    """room_page.mjs: Chromium on tessera's own room page (GET /rooms/ROOM/view)."""

    def __init__(self, ctx, srv, room, query=""):
        Page.__init__(self, ctx, "room_page.mjs",
                      ["--url", "http://127.0.0.1:%d/rooms/%s/view%s" % (srv.http_port, room, query)],
                      "room_page_%s.log" % room)


def test_room_page_http(ctx):
    """GET /rooms/ROOM/view without a browser: 404 for an unknown room, 200 HTML
    naming the room; with a token: 401 without one, 200 with ?token= (the page
    route only: ?token= opens no other route)."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        code, _, _ = srv.call("GET", "/rooms/nope/view")
        if code != 404:
            raise AssertionError("GET /rooms/nope/view -> %d, expected 404" % code)
        code, text, headers = srv.call("GET", "/rooms/r1/view")
        if code != 200 or not headers.get("Content-Type", "").startswith("text/html"):
            raise AssertionError("GET /rooms/r1/view -> %d %s" % (code, headers.get("Content-Type")))
        for want in ("<title>tessera: room r1</title>", "/whep/", "/layout", "/captions", "<video"):
            if want not in text:
                raise AssertionError("the room page lacks %r" % want)
        if "@ROOM@" in text or "http" in text.replace("http-equiv", ""):
            raise AssertionError("the room page has a placeholder left or an external URL")
        code, _, _ = srv.call("POST", "/rooms/r1/view", raw="x")
        if code != 405:
            raise AssertionError("POST /rooms/r1/view -> %d, expected 405" % code)
    finally:
        srv.stop()
    srv = serve.Server(ctx, token="s3cret")
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        for path, want in (("/rooms/r1/view", 401), ("/rooms/r1/view?token=wrong", 401),
                           ("/rooms/r1/view?token=s3cret", 200), ("/rooms/r1?token=s3cret", 401),
                           ("/rooms/nope/view?token=s3cret", 404)):
            code, _, _ = srv.call("GET", path, token="")
            if code != want:
                raise AssertionError("GET %s (no header) -> %d, expected %d" % (path, code, want))
        code, _, _ = srv.call("GET", "/rooms/r1/view")
        if code != 200:
            raise AssertionError("GET /rooms/r1/view with the bearer header -> %d" % code)
    finally:
        srv.stop()


def test_room_page_browser(ctx):
    """Chromium opens /rooms/r1/view of a room with an ffmpeg RTP participant
    "Rouge": the page's WHEP video decodes frames, its list shows Rouge, its
    "speaker" button changes the room's layout, a caption posted from it is shown
    (screenshot saved). With a token, the page given ?token= does the same calls."""
    def body():
        srv = serve.Server(ctx, token="s3cret")
        page, sender = None, None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            base = serve.free_port_block(8)
            rp = srv.ok("POST", "/rooms/r1/participants", {"name": "Rouge", "sdp": serve.sender_offer(base, base + 2)})
            v, a, _ = serve.answer_ports(rp["sdp"])
            sender = serve.start_sender(ctx, "red", RED, 440, 40, v, a, base + 4)
            page = RoomPage(ctx, srv, "r1", "?token=s3cret")
            ev = page.wait_event("answer", 40)
            if ev.get("status") != 200 or "r1" not in (ev.get("title") or ""):
                raise AssertionError("the room page: %s" % ev)
            deadline, stats, first_time = time.monotonic() + 25, None, None
            while time.monotonic() < deadline:
                page.command("stats")
                stats = page.wait_event("stats", 10)
                if first_time is None and stats.get("currentTime"):
                    first_time = stats["currentTime"]
                if (stats.get("framesDecoded") or 0) > 10 and first_time is not None and \
                        stats["currentTime"] > first_time:
                    break
                time.sleep(0.5)
            with open(ctx.path("room_page_stats.json"), "w") as fh:
                json.dump(stats, fh, indent=1)
            if (stats.get("framesDecoded") or 0) <= 10 or first_time is None or stats["currentTime"] <= first_time:
                raise AssertionError("the page's video decoded too little within 25 s: %s" % stats)
            deadline, names = time.monotonic() + 5, None
            while time.monotonic() < deadline:
                page.command("participants")
                names = page.wait_event("participants", 10)["names"]
                if any("Rouge" in n for n in names):
                    break
                time.sleep(0.3)
            if not any("Rouge" in n for n in names or []):
                raise AssertionError("the page's participant list is %s, expected Rouge" % names)
            page.command("layout speaker")
            page.wait_event("layout", 10)
            deadline = time.monotonic() + 3
            while srv.ok("GET", "/rooms/r1")["layout"] != "speaker" and time.monotonic() < deadline:
                time.sleep(0.1)
            if srv.ok("GET", "/rooms/r1")["layout"] != "speaker":
                raise AssertionError("the speaker button left the layout %s" % srv.ok("GET", "/rooms/r1")["layout"])
            page.command("caption Bonjour")
            shown = page.wait_event("caption", 10).get("shown")
            if shown != "Bonjour":
                raise AssertionError("the page shows the caption %r, expected 'Bonjour'" % shown)
            time.sleep(1.0)                         # the burned-in caption reaches the video
            page.command("screenshot " + ctx.path("room_page.png"))
            page.wait_event("screenshot", 10)
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            if page:
                page.close()
            if sender and sender.poll() is None:
                sender.kill()
                sender.wait()
            srv.stop()
    in_netns(ctx, body)


def answer_codecs(sdp):
    """{media type: the encoding of the first rtpmap of its m= section} of an answer
    (what was chosen: our answers keep one codec per section, plus telephone-event)."""
    out, kind = {}, None
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split(" ")[0]
        elif line.startswith("a=rtpmap:") and kind and kind not in out:
            out[kind] = line.split(" ", 1)[1].strip()
    return out


FIREFOX_TONE = 660          # media.navigator.audio.fake_frequency in webrtc/firefox_page.mjs


def test_firefox_whip_publish(ctx):
    """Firefox ESR publishes its fake camera and microphone over WHIP: our answer is
    accepted (setRemoteDescription), the connection gets to "connected", the room
    decodes > 30 video and > 50 audio frames of it within 15 s; the codecs chosen
    (VP8: Debian's Firefox has no H.264 without the OpenH264 plug-in; Opus) are
    checked in the answer and in Firefox's outbound-rtp stats; the room's `low`
    recording has Firefox's 660 Hz tone 20 dB over 300 Hz and a saturated colour
    (its fake camera) at the tile centre."""
    def body():
        srv = firefox_server(ctx)
        pub = None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            out = srv.ok("POST", "/rooms/r1/outputs", {"profile": "low", "url": "low.mkv"})
            pub = FirefoxPublisher(ctx, srv, "r1", "Renard")
            ans = pub.wait_event("answer", 40)
            if ans.get("rejected"):
                raise AssertionError("Firefox rejected our answer: %s\n%s" % (ans["rejected"], ans.get("answer")))
            check_answer(ans)
            codecs = answer_codecs(ans["answer"])
            if codecs.get("video") != "VP8/90000" or codecs.get("audio") != "opus/48000/2":
                raise AssertionError("the answer chose %s, expected VP8/90000 and opus/48000/2" % codecs)
            pub.wait_event("state", 15, lambda ev: ev.get("connection") == "connected")
            wait_state(srv, lambda ps: len(ps) == 1 and ps[0]["name"] == "Renard" and
                       ps[0]["video_frames"] > 30 and ps[0]["audio_frames"] > 50, 15,
                       "Firefox's video (> 30 frames) and audio (> 50 frames) decoded")
            pub.command("stats")
            stats = pub.wait_event("stats", 10)
            report = {"browser": ans.get("browser"), "answer_codecs": codecs, "stats": stats,
                      "participant": participants(srv)[0]}
            with open(ctx.path("firefox_publish.json"), "w") as fh:
                json.dump(report, fh, indent=1)
            sent = {o["kind"]: o for o in stats["outbound"]}
            for kind, mime in (("video", "video/VP8"), ("audio", "audio/opus")):
                got = sent.get(kind, {})
                if got.get("codec", "").lower() != mime.lower() or not got.get("packetsSent"):
                    raise AssertionError("Firefox's outbound %s: %s, expected %s packets" % (kind, got, mime))
            print("  %s sent %s + %s" % (ans.get("browser"), sent["video"]["codec"], sent["audio"]["codec"]))
            time.sleep(2.5)                      # > 4 s of Firefox's tone in the recording
            srv.ok("DELETE", "/rooms/r1/outputs/%d" % out["id"])
            code, reply, _ = srv.call("DELETE", ans["location"])
            if code != 200:
                raise AssertionError("DELETE %s -> %d %s" % (ans["location"], code, reply))
            wait_state(srv, lambda ps: not ps, 3, "the participant removed after DELETE")
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            if pub:
                pub.close()
            srv.stop()
        path = ctx.path("low.mkv")
        dur = lib.format_duration(lib.probe(path)) or 0
        a = decode_audio(path, 16000)
        lv, ref = goertzel_db(a, 16000, FIREFOX_TONE, dur - 2.2, 1.5), goertzel_db(a, 16000, 300, dur - 2.2, 1.5)
        if dur < 4 or lv < ref + 20:
            raise AssertionError("the room's recording (%.1f s): Firefox's %d Hz at %.1f dB, 300 Hz %.1f dB"
                                 % (dur, FIREFOX_TONE, lv, ref))
        # Firefox's fake camera is one saturated colour (its hue drifts), not the grey
        # of a tile without video.
        f = grab_frame(path, dur - 0.7, ctx.dir)
        rgb = f.mean_at(*tile_centre(layout_tiles("grid", 1, f.w, f.h)[0]))
        if max(rgb) - min(rgb) < 100:
            raise AssertionError("Firefox's tile centre is %s in the recording: not its fake camera's colour"
                                 % lib.hexc(rgb))
    in_netns(ctx, body)


def test_firefox_whep_view(ctx):
    """An ffmpeg RTP participant (red 640x360 + 440 Hz) in a room viewed by Firefox ESR
    over WHEP (?profile=low). Firefox offers no H.264 (no OpenH264 plug-in here), so
    tessera answers VP8 from low's VP8 twin `low-vp8` (same size and rate): Firefox
    accepts the answer, decodes > 30 frames at 320x180 and > 50 audio packets, the
    video's centre is red, 440 Hz is 20 dB over 300/700 Hz in a WebAudio analyser of
    the received audio; the room runs low-vp8 with the viewer's two sinks."""
    def body():
        srv = firefox_server(ctx)
        view, sender = None, None
        try:
            srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
            base = serve.free_port_block(8)
            rp = srv.ok("POST", "/rooms/r1/participants", {"name": "Rouge", "sdp": serve.sender_offer(base, base + 2)})
            v, a, _ = serve.answer_ports(rp["sdp"])
            sender = serve.start_sender(ctx, "red", RED, 440, 30, v, a, base + 4)
            view = FirefoxViewer(ctx, srv, "r1", "low")
            ans = view.wait_event("answer", 40)
            if ans.get("status") != 201 or not (ans.get("location") or "").startswith("/whep/r1/"):
                raise AssertionError("WHEP POST: %s %s" % (ans.get("status"), ans.get("body") or ans.get("location")))
            if ans.get("rejected"):
                raise AssertionError("Firefox rejected our answer: %s\n%s" % (ans["rejected"], ans.get("answer")))
            codecs = answer_codecs(ans["answer"])
            if codecs.get("video") != "VP8/90000" or codecs.get("audio") != "opus/48000/2":
                raise AssertionError("the WHEP answer chose %s, expected VP8/90000 and opus/48000/2" % codecs)
            for want in ("a=group:BUNDLE", "a=setup:passive", "a=sendonly", "a=rtcp-mux", "a=ssrc:", "a=msid:"):
                if want not in ans["answer"]:
                    raise AssertionError("the WHEP answer lacks %r:\n%s" % (want, ans["answer"]))
            wait_sinks(srv, "low-vp8", lambda s: len(s) == 2, 5, "the viewer's two sinks on profile low-vp8")
            stats = viewer_stats(view, lambda st: (st.get("video", {}).get("framesDecoded") or 0) > 30 and
                                 (st.get("audio", {}).get("packetsReceived") or 0) > 50, 20)
            with open(ctx.path("firefox_viewer_stats.json"), "w") as fh:
                json.dump({"browser": ans.get("browser"), "answer_codecs": codecs, "stats": stats}, fh, indent=1)
            vs, au = stats.get("video", {}), stats.get("audio", {})
            if (vs.get("framesDecoded") or 0) <= 30 or (au.get("packetsReceived") or 0) <= 50:
                raise AssertionError("Firefox decoded too little within 20 s: %s" % stats)
            if (vs.get("frameWidth"), vs.get("frameHeight")) != (320, 180):
                raise AssertionError("Firefox's frames are %sx%s, expected 320x180 (profile low)"
                                     % (vs.get("frameWidth"), vs.get("frameHeight")))
            deadline, px = time.monotonic() + 10, None
            while time.monotonic() < deadline:
                view.command("pixel")
                px = view.wait_event("pixel", 10)
                rgb = px.get("rgb") or [0, 0, 0]
                if rgb[0] > 150 and rgb[1] < 90 and rgb[2] < 90:
                    break
                time.sleep(0.5)
            if not (rgb[0] > 150 and rgb[1] < 90 and rgb[2] < 90):
                raise AssertionError("the video's centre pixel in Firefox is %s, expected red-ish (%s)" % (rgb, px))
            view.command("tones 440,300,700")
            db = {int(k): v for k, v in view.wait_event("tones", 15)["db"].items()}
            if not db.get(440, -999) > max(db.get(300, -999), db.get(700, -999)) + 20:
                raise AssertionError("the participant's 440 Hz is not in Firefox's audio (dB per Hz: %s)" % db)
            print("  %s decoded %d frames %dx%d (%s) + %d audio packets (%s); centre %s; 440 Hz %.0f dB (300 Hz %.0f)"
                  % (ans.get("browser"), vs["framesDecoded"], vs["frameWidth"], vs["frameHeight"], vs.get("codec"),
                     au["packetsReceived"], au.get("codec"), rgb, db[440], db[300]))
            code, reply, _ = srv.call("DELETE", ans["location"])
            if code != 200:
                raise AssertionError("DELETE %s -> %d %s" % (ans["location"], code, reply))
            wait_sinks(srv, "low-vp8", lambda s: not s, 3, "the viewer's sinks detached")
            if srv.proc.poll() is not None:
                raise AssertionError("tessera serve died")
        finally:
            if view:
                view.close()
            if sender and sender.poll() is None:
                sender.kill()
                sender.wait()
            srv.stop()
    in_netns(ctx, body)


def firefox_like_offer(direction, bundle="0 1"):
    """A Firefox-like offer without a browser: session-level fingerprint, Opus in a
    port-9 section and VP8 only (no H.264) in a port-0 a=bundle-only section."""
    fp = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n"
    cred = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    return ("v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=sendrecv\r\n%s"
            "a=group:BUNDLE %s\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\nc=IN IP4 0.0.0.0\r\na=%s\r\n%sa=mid:0\r\na=rtcp-mux\r\n"
            "a=rtpmap:109 opus/48000/2\r\na=setup:actpass\r\n"
            "m=video 0 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=bundle-only\r\na=%s\r\n%sa=mid:1\r\n"
            "a=rtcp-fb:120 nack\r\na=rtcp-fb:120 nack pli\r\na=rtcp-mux\r\na=rtpmap:120 VP8/90000\r\n"
            "a=setup:actpass\r\n" % (fp, bundle, direction, cred, direction, cred))


def media_ports(sdp):
    """{media type: (port, its rtpmap encodings)} of an answer."""
    out, kind = {}, None
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split(" ")[0]
            out[kind] = (int(line.split(" ")[1]), [])
        elif line.startswith("a=rtpmap:") and kind:
            out[kind][1].append(line.split(" ", 1)[1].strip())
    return out


def test_webrtc_bundle_only_http(ctx):
    """No browser: Firefox-shaped offers (a=bundle-only port-0 video section, VP8 only).
    WHIP: the video section is answered with our port and VP8 (recvonly), not
    rejected; outside the BUNDLE group it is rejected (port 0). WHEP ?profile=hd: VP8
    from the VP8 twin hd-vp8 (its two sinks, adaptive with ceiling hd-vp8); the
    H.264 profile hd itself gets no sink."""
    srv = serve.Server(ctx, extra={"ice_timeout_s": 3})
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        code, reply, _ = srv.call("POST", "/whip/r1?name=Renard", raw=firefox_like_offer("sendonly"),
                                  content_type="application/sdp")
        m = media_ports(reply) if code == 201 else {}
        if code != 201 or m["video"][0] == 0 or m["video"][1] != ["VP8/90000"] or m["audio"][0] == 0:
            raise AssertionError("WHIP POST of a bundle-only video section -> %d\n%s" % (code, reply))
        if "a=recvonly" not in reply.split("m=video")[1]:
            raise AssertionError("the bundle-only video section is not answered recvonly:\n%s" % reply)
        code, reply, _ = srv.call("POST", "/whip/r1?name=Seul", raw=firefox_like_offer("sendonly", bundle="0"),
                                  content_type="application/sdp")
        m = media_ports(reply) if code == 201 else {}
        if code != 201 or m["video"][0] != 0 or m["audio"][0] == 0:
            raise AssertionError("WHIP POST of a bundle-only section outside BUNDLE -> %d, expected audio only:\n%s"
                                 % (code, reply))
        code, reply, _ = srv.call("POST", "/whep/r1?profile=hd", raw=firefox_like_offer("recvonly"),
                                  content_type="application/sdp")
        m = media_ports(reply) if code == 201 else {}
        if code != 201 or m["video"][0] == 0 or m["video"][1] != ["VP8/90000"] or "a=sendonly" not in reply:
            raise AssertionError("WHEP POST (VP8 only, bundle-only) -> %d\n%s" % (code, reply))
        sinks = wait_sinks(srv, "hd-vp8", lambda x: len(x) == 2, 5, "the viewer's two sinks on hd-vp8")
        adapt = [o["adapt"] for o in sinks if "adapt" in o]
        if len(adapt) != 1 or adapt[0]["ceiling"] != "hd-vp8" or not adapt[0]["adaptive"]:
            raise AssertionError("the VP8 viewer's adaptation state: %s" % sinks)
        if profile_sinks(srv, "hd"):
            raise AssertionError("the VP8 viewer has sinks on the H.264 profile hd: %s" % profile_sinks(srv, "hd"))
        if srv.proc.poll() is not None:
            raise AssertionError("tessera serve died")
    finally:
        srv.stop()


TESTS = [
    ("whip_errors", test_whip_errors),
    ("whip_churn", test_whip_churn),
    ("whip_browser_churn", test_whip_browser_churn),
    ("whip_patch_http", test_whip_patch_http),
    ("whip_trickle", test_whip_trickle),
    ("whip_ice_restart", test_whip_ice_restart),
    ("dtls_cert_config", test_dtls_cert_config),
    ("whip_publish", test_whip_publish),
    ("whip_wrong_fingerprint", test_whip_wrong_fingerprint),
    ("whip_silent_peer", test_whip_silent_peer),
    ("whep_errors", test_whep_errors),
    ("webrtc_bundle_only_http", test_webrtc_bundle_only_http),
    ("whep_view", test_whep_view),
    ("whep_adapt", test_whep_adapt),
    ("webrtc_two_publishers", test_webrtc_two_publishers),
    ("webrtc_mixed_room", test_webrtc_mixed_room),
    ("room_page_http", test_room_page_http),
    ("room_page_browser", test_room_page_browser),
    ("firefox_whip_publish", test_firefox_whip_publish),
    ("firefox_whep_view", test_firefox_whep_view),
]
