"""Integration tests of `tessera serve`: real ffmpeg peers send participants over
RTP and SRTP, another ffmpeg receives the `low` profile over RTP/SRTP; the picture
and the tones are checked as for `tessera mix`; API errors and auth."""
import operator
import os
import random
import socket
import struct
import subprocess
import sys
import time

import lib
import serve
from lib import RED, GREEN, grab_frame, layout_tiles, tile_centre, assert_colour, decode_audio, goertzel_db

sys.path.insert(0, os.path.join(lib.ROOT, "tests", "tools"))
import udp_relay                # noqa: E402


def check_grid2_low(path, ctx, t):
    f = grab_frame(path, t, ctx.dir)
    if (f.w, f.h) != (320, 180):
        raise AssertionError("low profile is %dx%d, expected 320x180" % (f.w, f.h))
    a, b = layout_tiles("grid", 2, 320, 180)[:2]
    assert_colour(f, *tile_centre(a), RED, "slot 0 (RTP sender, red)", tol=35)
    assert_colour(f, *tile_centre(b), GREEN, "slot 1 (SRTP sender, green)", tol=35)


def run_room(ctx, srv, receiver_key=None):
    """Two senders (RTP red/440 Hz, SRTP green/620 Hz) and one low receiver."""
    srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid"})
    base = serve.free_port_block(12)
    key_b = serve.new_key()
    ra = srv.ok("POST", "/rooms/r1/participants", {"name": "Rouge", "sdp": serve.sender_offer(base, base + 2)})
    rb = srv.ok("POST", "/rooms/r1/participants",
                {"name": "Vert", "sdp": serve.sender_offer(base + 4, base + 6, key=key_b)})
    va, aa, _ = serve.answer_ports(ra["sdp"])
    vb, ab, keys_b = serve.answer_ports(rb["sdp"])
    if "RTP/SAVP" not in rb["sdp"] or "video" not in keys_b:
        raise AssertionError("SRTP offer answered without RTP/SAVP + a=crypto:\n%s" % rb["sdp"])
    rx = serve.receiver_sdp(base + 8, base + 10, key=receiver_key)
    recv = serve.start_receiver(ctx, rx, "rx", 6)
    time.sleep(0.3)
    out = srv.ok("POST", "/rooms/r1/outputs", {"profile": "low", "sdp": rx})
    if "sdp" not in out:
        raise AssertionError("RTP output answered without an SDP: %s" % out)
    sa = serve.start_sender(ctx, "a", RED, 440, 8, va, aa, base + 20)
    sb = serve.start_sender(ctx, "b", GREEN, 620, 8, vb, ab, base + 24, key=key_b)
    serve.wait(recv, 30, "ffmpeg receiver")
    state = srv.ok("GET", "/rooms/r1")
    serve.wait(sa, 30, "ffmpeg sender a")
    serve.wait(sb, 30, "ffmpeg sender b")
    return state


def test_serve_rtp_and_srtp(ctx):
    srv = serve.Server(ctx)
    try:
        state = run_room(ctx, srv)
        names = sorted(p["name"] for p in state["state"]["participants"])
        if names != ["Rouge", "Vert"]:
            raise AssertionError("room state lists %s, expected Rouge and Vert" % names)
        for p in state["state"]["participants"]:
            if p["video_frames"] < 25 or p["audio_frames"] < 50:
                raise AssertionError("participant %s decoded too little: %s" % (p["name"], p))
        path = ctx.path("rx.mkv")
        lib.decode_ok(path)
        check_grid2_low(path, ctx, 4.0)
        a = decode_audio(path, 16000)
        for freq, who in ((440, "RTP sender"), (620, "SRTP sender")):
            lv, ref = goertzel_db(a, 16000, freq, 3.0, 1.0), goertzel_db(a, 16000, 300, 3.0, 1.0)
            if lv < ref + 20:
                raise AssertionError("%s's %d Hz is %.1f dB in the received mix (reference %.1f)"
                                     % (who, freq, lv, ref))
    finally:
        srv.stop()


def test_serve_srtp_receiver(ctx):
    """The low profile to an SRTP receiver (ffmpeg decrypts with its SDES key)."""
    srv = serve.Server(ctx)
    try:
        run_room(ctx, srv, receiver_key=serve.new_key())
        path = ctx.path("rx.mkv")
        lib.decode_ok(path)
        check_grid2_low(path, ctx, 4.0)
    finally:
        srv.stop()


def test_serve_wrong_srtp_key(ctx):
    """A sender encrypting with a key other than the one it announced: every packet
    fails authentication, is counted and never decoded; the room keeps running."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        base = serve.free_port_block(8)
        r = srv.ok("POST", "/rooms/r1/participants",
                   {"name": "Intrus", "sdp": serve.sender_offer(base, base + 2, key=serve.new_key())})
        v, a, _ = serve.answer_ports(r["sdp"])
        s = serve.start_sender(ctx, "bad", RED, 440, 2, v, a, base + 4, key=serve.new_key())
        serve.wait(s, 20, "ffmpeg sender")
        time.sleep(0.5)
        st = srv.ok("GET", "/rooms/r1")["state"]
        p = [x for x in st["participants"] if x["name"] == "Intrus"]
        if not p or p[0]["video_frames"] or p[0]["audio_frames"]:
            raise AssertionError("packets with the wrong SRTP key were decoded: %s" % p)
        if p[0].get("srtp_failures", 0) < 20:
            raise AssertionError("SRTP failures not counted: %s" % p[0])
        if st["media_time"] < 2:
            raise AssertionError("room stopped ticking: %s" % st)
    finally:
        srv.stop()


def test_serve_api_errors(ctx):
    srv = serve.Server(ctx, token="s3cret")
    try:
        code, reply, _ = srv.call("GET", "/rooms", token="")
        if code != 401:
            raise AssertionError("no token: %d %s, expected 401" % (code, reply))
        code, reply, _ = srv.call("GET", "/rooms", token="wrong")
        if code != 401:
            raise AssertionError("wrong token: %d, expected 401" % code)
        if srv.call("GET", "/health", token="")[0] != 200:
            raise AssertionError("/health needs no token")
        code, reply, _ = srv.call("POST", "/rooms", raw="{not json")
        if code != 400 or "JSON" not in str(reply):
            raise AssertionError("malformed JSON: %d %s, expected 400 naming JSON" % (code, reply))
        code, reply, _ = srv.call("GET", "/rooms/nope")
        if code != 404:
            raise AssertionError("unknown room: %d, expected 404" % code)
        srv.ok("POST", "/rooms", {"id": "r1"})
        code, reply, _ = srv.call("POST", "/rooms", {"id": "r1"})
        if code != 409:
            raise AssertionError("duplicate room: %d, expected 409" % code)
        code, reply, _ = srv.call("POST", "/rooms/r1/participants", {"sdp": "v=0\r\nm=video x RTP/AVP 96\r\n"})
        if code != 400 or "line" not in str(reply):
            raise AssertionError("malformed SDP: %d %s, expected 400 naming the line" % (code, reply))
        offer = serve.sender_offer(5000, 5002).replace("H264/90000", "MP4V-ES/90000").replace("opus/48000/2", "AMR/8000")
        code, reply, _ = srv.call("POST", "/rooms/r1/participants", {"sdp": offer})
        if code != 400 or "codec" not in str(reply):
            raise AssertionError("no common codec: %d %s, expected 400 naming the codec" % (code, reply))
        code, reply, _ = srv.call("POST", "/rooms/r1/layout", {"layout": "nonsense"})
        if code != 400 or "nonsense" not in str(reply):
            raise AssertionError("unknown layout: %d %s" % (code, reply))
        srv.ok("POST", "/rooms/r1/layout", {"layout": "speaker"})
        srv.ok("POST", "/rooms/r1/captions", {"speaker": "Alice", "text": "Bonjour à tous", "final": True})
        code, reply, _ = srv.call("POST", "/rooms/r1/outputs", {"profile": "nope", "url": "x.mkv"})
        if code != 400:
            raise AssertionError("unknown profile: %d, expected 400" % code)
        code, reply, _ = srv.call("GET", "/metrics")
        if code != 200 or "tessera_rooms 1" not in reply:
            raise AssertionError("metrics: %d %s" % (code, reply))
        srv.ok("DELETE", "/rooms/r1")
        if srv.call("GET", "/rooms/r1")[0] != 404:
            raise AssertionError("deleted room still there")
    finally:
        srv.stop()


def test_serve_recording_on_sigint(ctx):
    """A live recording attached by the API is finished cleanly on SIGINT, with the
    live caption posted as its subtitle track."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "outputs": [{"profile": "record", "url": "live.mp4"}]})
        time.sleep(1.0)
        srv.ok("POST", "/rooms/r1/captions", {"speaker": "Alice", "text": "Bonjour à tous", "final": True})
        time.sleep(1.5)
    finally:
        srv.stop()
    path = ctx.path("live.mp4")
    info = lib.probe(path)
    kinds = sorted(s["codec_type"] for s in info["streams"])
    if kinds != ["audio", "subtitle", "video"]:
        raise AssertionError("live recording streams: %s" % kinds)
    if float(info["format"]["duration"]) < 2.0:
        raise AssertionError("live recording only %s s" % info["format"]["duration"])
    res = lib.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:s", "-f", "srt", "-"])
    if "Alice: Bonjour à tous" not in res.stdout:
        raise AssertionError("caption not in the recording's subtitle track: %r" % res.stdout)


# ---------------------------------------------------------------------------------
# A bad network: loss, jitter and reordering through tests/tools/udp_relay.py

LOW_W, LOW_H, LOW_FPS = 320, 180, 15
FREEZE_MAD = 0.5         # mean |difference| of the tile below which two frames are "the same"
                         # (clean run: testsrc2 pairs differ by >= 2.5; a held picture
                         # re-encoded differs by < 0.2)


def grey_frames(path, w, h):
    """Every decoded video frame of path (no frame dropped or doubled) as grey bytes,
    with its timestamp: [(t, bytes)]."""
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
                        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError("cannot decode %s: %s" % (path, p.stderr.decode("utf-8", "replace")[-400:]))
    res = lib.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                   "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
    times = [float(x.strip(",")) for x in res.stdout.split() if x.strip(",")]
    n = len(p.stdout) // (w * h)
    if n != len(times):
        raise AssertionError("%s: %d decoded frames but ffprobe lists %d" % (path, n, len(times)))
    return [(times[i], p.stdout[i * w * h:(i + 1) * w * h]) for i in range(n)]


def region_bytes(frame, w, rect):
    x0, y0, x1, y1 = rect
    return b"".join(frame[y * w + x0:y * w + x1] for y in range(y0, y1))


def mean_abs_diff(a, b):
    return sum(map(abs, map(operator.sub, a, b))) / len(a)


def tile_motion(path, w, h, exclude):
    """[(t, mean |difference| from the previous frame)] of the picture outside the
    rectangle exclude (x0, y0, x1, y1: the name label), from the second frame on."""
    frames = grey_frames(path, w, h)
    x0, y0, x1, y1 = exclude
    # Two regions: everything above the label, and the strip right of it.
    rects = [(0, 0, w, y0), (x1, y0, w, h)]
    prev, out = None, []
    for t, f in frames:
        cur = b"".join(region_bytes(f, w, r) for r in rects)
        if prev is not None:
            out.append((t, mean_abs_diff(prev, cur)))
        prev = cur
    return frames, out


def longest_freeze(motion, thr):
    """(onset, longest time the picture stayed the same after onset, where it began):
    onset is the first frame that differs from its predecessor (the participant's
    first decoded keyframe replaces the placeholder)."""
    changes = [t for t, d in motion if d >= thr]
    if not changes:
        return None, None, None
    end = motion[-1][0]
    longest, at = 0.0, changes[0]
    for a, b in zip(changes, changes[1:] + [end]):
        if b - a > longest:
            longest, at = b - a, a
    return changes[0], longest, at


def loss_room(ctx, loss, seconds=8.0, seed=20261127):
    """One moving participant sent by ffmpeg through the relay (loss %, 40 +- 30 ms,
    2 % reordered; RTP and RTCP of both streams) into a room recording `low` to
    low.mkv. Stops the server while the sender still sends, so the recording ends
    in motion. Returns (room state just before the stop, relay stats, sender start
    in the recording's clock)."""
    srv = serve.Server(ctx)
    relay = sender = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid",
                                  "outputs": [{"profile": "low", "url": "low.mkv"}]})
        base = serve.free_port_block(4)             # ffmpeg's own ports
        r = srv.ok("POST", "/rooms/r1/participants",
                   {"name": "Mire", "sdp": serve.sender_offer(base, base + 2)})
        v, a, _ = serve.answer_ports(r["sdp"])
        lport = serve.free_port_block(4)            # the relay's: ffmpeg sends RTCP to port+1
        relay = udp_relay.Relay([("127.0.0.1:%d" % (lport + i), ("127.0.0.1", dst))
                                 for i, dst in enumerate((v, v + 1, a, a + 1))],
                                loss=loss, delay=40, jitter=30, reorder=2, seed=seed,
                                reverse=True, max_seconds=seconds + 20, realtime=True).start()
        t0 = srv.ok("GET", "/rooms/r1")["state"]["media_time"]
        sender = serve.start_sender(ctx, "moving", None, 440, seconds + 4, lport, lport + 2, base,
                                    moving=True)
        time.sleep(seconds)
        if sender.poll() is not None:
            raise AssertionError("ffmpeg sender exited early (%s); log:\n%s"
                                 % (sender.returncode, lib.tail(open(ctx.path("sender_moving.log")).read())))
        time.sleep(0.4)                             # one more state snapshot (every ~0.33 s)
        state = srv.ok("GET", "/rooms/r1")["state"]
    finally:
        try:
            srv.stop()
        finally:
            if sender and sender.poll() is None:
                sender.terminate()
                sender.wait(10)
            stats = relay.stop() if relay else None
    return state, stats, t0


def check_loss_recording(ctx, path):
    """(a) 15 fps kept, (b) the longest freeze; returns (frames, dur, onset, freeze, at)."""
    info = lib.probe(path)
    vs = lib.one_stream(info, "video", path)
    if (vs["width"], vs["height"]) != (LOW_W, LOW_H):
        raise AssertionError("low output is %dx%d" % (vs["width"], vs["height"]))
    pk = lib.packet_times(path, "v")
    dur, count, rate = lib.stream_timing(path, "v")
    gaps = [b[0] - a[0] for a, b in zip(pk, pk[1:])]
    big = max(gaps) if gaps else 0
    if abs(count - dur * LOW_FPS) > 0.1 * dur * LOW_FPS or big > 0.2:
        raise AssertionError("low output lost its frame rate: %d frames in %.2f s (%.2f fps), "
                             "largest timestamp gap %.3f s" % (count, dur, rate, big))
    # The grid gives the only participant the whole canvas; its name label sits at the
    # bottom-left: leave that corner out.
    frames, motion = tile_motion(path, LOW_W, LOW_H, (0, LOW_H * 3 // 4, LOW_W // 2, LOW_H))
    onset, freeze, at = longest_freeze(motion, FREEZE_MAD)
    return frames, motion, dur, onset, freeze, at


TESTS = [
    ("serve_api_errors", test_serve_api_errors),
    ("serve_rtp_and_srtp", test_serve_rtp_and_srtp),
    ("serve_srtp_receiver", test_serve_srtp_receiver),
    ("serve_wrong_srtp_key", test_serve_wrong_srtp_key),
    ("serve_recording_on_sigint", test_serve_recording_on_sigint),
]
