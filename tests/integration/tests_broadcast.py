"""Integration tests of live broadcast outputs of `tessera serve` against a real RTMP
server: nginx with Debian's RTMP module (libnginx-mod-rtmp) receives the room's
`broadcast` profile, and an independent ffmpeg pulls the stream back from nginx and
decodes it (tile colour, tone). A server that stops reading (SIGSTOP) or that
never answers must not stall the room: its output drops packets, counted, while the
room's recording keeps its frame rate."""
import os
import signal
import socket
import subprocess
import time

import lib
import serve
from lib import RED, grab_frame, assert_colour, decode_audio, goertzel_db

NGINX_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


class RtmpServer:
    """nginx with only an RTMP `live` application on a free loopback port."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.port = serve.free_port_block(1)
        root = ctx.path("nginx")
        os.makedirs(root, exist_ok=True)
        conf = os.path.join(root, "nginx.conf")
        with open(conf, "w") as f:
            f.write("load_module %s;\ndaemon off;\nmaster_process off;\npid %s/nginx.pid;\n"
                    "error_log %s/error.log info;\nevents { worker_connections 64; }\n"
                    "rtmp { server { listen 127.0.0.1:%d; application live { live on; record off; } } }\n"
                    % (NGINX_MODULE, root, root, self.port))
        self.log = open(os.path.join(root, "stderr.log"), "w")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", root + "/"], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise AssertionError("nginx (RTMP) did not start; see %s" % root)

    def url(self, name):
        return "rtmp://127.0.0.1:%d/live/%s" % (self.port, name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def output_state(srv, room, url, timeout=0.0, want=None):
    """The room-state entry of the output writing to url (waits for state `want`)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = srv.ok("GET", "/rooms/" + room)
        outs = [o for p in reply.get("state", {}).get("profiles", []) for o in p["outputs"]
                if o["url"] == url]
        if outs and (want is None or outs[0].get("state") == want):
            return outs[0]
        if time.monotonic() > deadline:
            raise AssertionError("output %s never reached state %s: %s" % (url, want, outs or reply))
        time.sleep(0.1)


def one_sender_room(ctx, srv, seconds, moving=False, outputs=()):
    srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid", "outputs": list(outputs)})
    base = serve.free_port_block(4)
    r = srv.ok("POST", "/rooms/r1/participants", {"name": "Rouge", "sdp": serve.sender_offer(base, base + 2)})
    v, a, _ = serve.answer_ports(r["sdp"])
    return serve.start_sender(ctx, "red", RED, 440, seconds, v, a, base, moving=moving)


def test_serve_rtmp(ctx):
    """The `broadcast` profile pushed to nginx-rtmp; ffmpeg pulls it back from nginx:
    H.264 1280x720 + AAC, the sender's red tile, its 440 Hz tone; the output is
    reported live in the room state; DELETE ends the push."""
    rtmp = RtmpServer(ctx)
    srv = serve.Server(ctx)
    sender = puller = None
    try:
        sender = one_sender_room(ctx, srv, 14)
        url = rtmp.url("r1")
        out = srv.ok("POST", "/rooms/r1/outputs", {"profile": "broadcast", "url": url})
        st = output_state(srv, "r1", url, timeout=10, want="live")
        time.sleep(1.0)
        pulled = ctx.path("pulled.flv")
        puller = subprocess.Popen(["ffmpeg", "-v", "error", "-rw_timeout", "10000000", "-i", url, "-t", "5",
                                   "-c", "copy", "-y", pulled], stdout=subprocess.DEVNULL,
                                  stderr=open(ctx.path("puller.log"), "w"), stdin=subprocess.DEVNULL)
        serve.wait(puller, 30, "ffmpeg pulling from nginx-rtmp")
        st = output_state(srv, "r1", url)
        if st["packets"] < 100 or st["write_errors"] or st["dropped"]:
            raise AssertionError("RTMP output counters look wrong: %s" % st)
        srv.ok("DELETE", "/rooms/r1/outputs/%d" % out["id"])
        time.sleep(0.5)
        if any(o["url"] == url for p in srv.ok("GET", "/rooms/r1")["state"]["profiles"] for o in p["outputs"]):
            raise AssertionError("DELETE left the RTMP output in the room state")
    finally:
        try:
            srv.stop()
        finally:
            for p in (sender, puller):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()
            rtmp.stop()
    info = lib.probe(pulled)
    vs, as_ = lib.one_stream(info, "video", pulled), lib.one_stream(info, "audio", pulled)
    if (vs["codec_name"], vs["width"], vs["height"]) != ("h264", 1280, 720) or as_["codec_name"] != "aac":
        raise AssertionError("pulled stream is %s %dx%d + %s, expected h264 1280x720 + aac"
                             % (vs["codec_name"], vs["width"], vs["height"], as_["codec_name"]))
    f = grab_frame(pulled, 2.0, ctx.dir)
    assert_colour(f, f.w // 2, f.h // 3, RED, "the one tile (red sender) in the pulled stream", tol=35)
    samples = decode_audio(pulled)
    tone = goertzel_db(samples, 16000, 440, 1.0, 2.0)
    if tone < -35:
        raise AssertionError("the sender's 440 Hz tone is missing from the pulled stream (%.1f dB)" % tone)


def test_serve_rtmp_stalled(ctx):
    """nginx is frozen (SIGSTOP) mid-stream: the RTMP output queues up to
    stream_buffer_ms, then drops (counted) while the room's recording keeps 15 fps;
    a server that accepts TCP but never answers the RTMP handshake, and a closed
    port, leave the room untouched too; removing the stuck outputs returns at once
    and every output is finished on shutdown."""
    rtmp = RtmpServer(ctx)
    srv = serve.Server(ctx, extra={"stream_buffer_ms": 1000})
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(4)                                   # accepts (backlog), never answers
    sender = None
    try:
        sender = one_sender_room(ctx, srv, 16, moving=True, outputs=[{"profile": "low", "url": "low.mkv"}])
        url, silent, closed = (rtmp.url("r1"), "rtmp://127.0.0.1:%d/live/x" % mute.getsockname()[1],
                               "rtmp://127.0.0.1:%d/live/x" % serve.free_port_block(1))
        srv.ok("POST", "/rooms/r1/outputs", {"profile": "broadcast", "url": url})
        output_state(srv, "r1", url, timeout=10, want="live")
        time.sleep(1.0)
        rtmp.proc.send_signal(signal.SIGSTOP)
        o2 = srv.ok("POST", "/rooms/r1/outputs", {"profile": "broadcast", "url": silent})
        srv.ok("POST", "/rooms/r1/outputs", {"profile": "broadcast", "url": closed})
        failed = output_state(srv, "r1", closed, timeout=5, want="failed")
        if not failed.get("error"):
            raise AssertionError("a refused RTMP connection has no error in the room state: %s" % failed)
        deadline = time.monotonic() + 10
        while output_state(srv, "r1", url)["dropped"] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        st = output_state(srv, "r1", url)
        if st["dropped"] == 0:
            raise AssertionError("a frozen RTMP server never made the output drop: %s" % st)
        if output_state(srv, "r1", silent).get("state") != "connecting":
            raise AssertionError("an RTMP server that never answers should leave the output connecting")
        t0 = time.monotonic()
        srv.ok("DELETE", "/rooms/r1/outputs/%d" % o2["id"])
        took = time.monotonic() - t0
        if took > 1.0:
            raise AssertionError("DELETE of an output to a mute server took %.1f s" % took)
        time.sleep(2.0)
    finally:
        try:
            srv.stop()
        finally:
            if sender and sender.poll() is None:
                sender.kill()
                sender.wait()
            rtmp.stop()
            mute.close()
    # The room never waited for the stuck servers: its recording kept 15 fps.
    path = ctx.path("low.mkv")
    pk = lib.packet_times(path, "v")
    dur, count, rate = lib.stream_timing(path, "v")
    big = max((b[0] - a[0] for a, b in zip(pk, pk[1:])), default=0)
    if dur < 5 or abs(count - dur * 15) > 0.1 * dur * 15 or big > 0.3:
        raise AssertionError("the room's recording lost its pace while RTMP servers were stuck: "
                             "%d frames in %.2f s, largest gap %.3f s" % (count, dur, big))


def test_serve_output_url_errors(ctx):
    """Only rtmp:// and rtmps:// URLs (or file paths) are accepted as outputs."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        for url in ("file:///etc/passwd", "http://127.0.0.1:1/x.flv", "udp://127.0.0.1:1"):
            code, reply, _ = srv.call("POST", "/rooms/r1/outputs", {"profile": "broadcast", "url": url})
            if code != 400 or "rtmp" not in str(reply):
                raise AssertionError("output URL %s -> %d %s, expected 400 naming rtmp" % (url, code, reply))
    finally:
        srv.stop()


TESTS = [
    ("serve_rtmp", test_serve_rtmp),
    ("serve_rtmp_stalled", test_serve_rtmp_stalled),
    ("serve_output_url_errors", test_serve_output_url_errors),
]
