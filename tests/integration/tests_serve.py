"""Integration tests of `tessera serve`: real ffmpeg peers send participants over
RTP and SRTP, another ffmpeg receives the `low` profile over RTP/SRTP; the picture
and the tones are checked as for `tessera mix`; API errors and auth; a lossy, jittery
network (tests/tools/udp_relay.py), junk datagrams, and join/leave churn."""
import json
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


def test_serve_pin(ctx):
    """Pinning the second participant to slot 0 moves it to the top-left tile of
    the live grid; the other one takes its place."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid",
                                  "outputs": [{"profile": "low", "url": "pin.mkv"}]})
        base = serve.free_port_block(12)
        ra = srv.ok("POST", "/rooms/r1/participants", {"name": "Rouge", "sdp": serve.sender_offer(base, base + 2)})
        rb = srv.ok("POST", "/rooms/r1/participants", {"name": "Vert", "sdp": serve.sender_offer(base + 4, base + 6)})
        va, aa, _ = serve.answer_ports(ra["sdp"])
        vb, ab, _ = serve.answer_ports(rb["sdp"])
        t0 = time.monotonic()
        sa = serve.start_sender(ctx, "a", RED, 440, 7, va, aa, base + 20)
        sb = serve.start_sender(ctx, "b", GREEN, 620, 7, vb, ab, base + 24)
        time.sleep(3.5)
        code, reply, _ = srv.call("POST", "/rooms/r1/participants/%d/pin" % rb["id"], {"slot": "top"})
        if code != 400:
            raise AssertionError("a bad slot was accepted: %d %s" % (code, reply))
        srv.ok("POST", "/rooms/r1/participants/%d/pin" % rb["id"], {"slot": 0})
        pinned_at = time.monotonic() - t0
        serve.wait(sa, 30, "ffmpeg sender a")
        serve.wait(sb, 30, "ffmpeg sender b")
        state = srv.ok("GET", "/rooms/r1")["state"]
    finally:
        srv.stop()
    path = ctx.path("pin.mkv")
    # The recording started with the room, a little before the senders.
    a, b = layout_tiles("grid", 2, 320, 180)[:2]
    before = grab_frame(path, 2.5, ctx.dir)
    assert_colour(before, *tile_centre(a), RED, "slot 0 before the pin (first joiner)", tol=35)
    after = grab_frame(path, pinned_at + 1.5, ctx.dir)
    assert_colour(after, *tile_centre(a), GREEN, "slot 0 after pinning the second participant", tol=35)
    assert_colour(after, *tile_centre(b), RED, "slot 1 after the pin", tol=35)
    if len(state["participants"]) != 2:
        raise AssertionError("room state: %s" % state)


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
LABEL = (0, LOW_H * 3 // 4, LOW_W // 2, LOW_H)   # bottom-left corner, holds the name label
FREEZE_MAD = 0.5         # mean |difference| of the tile below which two frames are "the same":
                         # clean run (no loss): consecutive testsrc2 frames differ by >= 1.3
                         # (median 4.7); a held picture, re-encoded, by 0.006-0.29
PICTURE_STDDEV = 45      # testsrc2 has a grey-level spread of ~64, the placeholder ~29
LOSS_PCT, LOSS_SEED = 5, 20261127
# At 640x360 a keyframe spans ~25 packets and 5 % loss breaks most of them: ffmpeg
# ignores PLIs, so the first picture came anywhere from 2.3 to 5.3 s and freezes
# reached 0.93 s (a GOP). At 320x180 (~7 packets a keyframe) the test has a margin.
SENDER_SIZE, SENDER_GOP = "320x180", 25


def grey_frames(path, w, h):
    """Every decoded video frame of path (none dropped or doubled) as grey bytes,
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


def outside(frame, w, h, exclude):
    """The bytes of a grey frame outside the rectangle exclude (x0, y0, x1, y1), which
    touches the bottom edge: the rows above it, then the strip right of it."""
    x0, y0, x1, y1 = exclude
    return frame[:y0 * w] + b"".join(frame[y * w + x1:(y + 1) * w] for y in range(y0, h))


def mean_abs_diff(a, b):
    return sum(map(abs, map(operator.sub, a, b))) / len(a)


def stddev(b):
    s = b[::5]
    m = sum(s) / len(s)
    return (sum((x - m) ** 2 for x in s) / len(s)) ** 0.5


def tile_motion(path, w, h, exclude):
    """[(t, grey-level spread, mean |difference| from the previous frame)] of the
    picture outside exclude (the name label), from the second frame on."""
    prev, out = None, []
    for t, f in grey_frames(path, w, h):
        cur = outside(f, w, h, exclude)
        if prev is not None:
            out.append((t, stddev(cur), mean_abs_diff(prev, cur)))
        prev = cur
    return out


def longest_freeze(motion, thr=FREEZE_MAD, picture=PICTURE_STDDEV):
    """(onset, longest time the picture stayed the same from onset to the end, where
    that began). onset: the first frame showing the sender's picture (its spread
    tells it from the placeholder), i.e. the first decoded keyframe."""
    onset = next((t for t, sd, _ in motion if sd > picture), None)
    if onset is None:
        return None, None, None
    changes = [t for t, _, d in motion if t > onset and d >= thr]
    longest, at, last = 0.0, onset, onset
    for t in changes + [motion[-1][0]]:
        if t - last > longest:
            longest, at = t - last, last
        last = t
    return onset, longest, at


def room_state(srv, room, timeout=5.0):
    """The room's state snapshot (the first one comes a few ticks after the room)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = srv.ok("GET", "/rooms/" + room)
        if "state" in reply or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if "state" not in reply:
        raise AssertionError("GET /rooms/%s has no state after %.0f s: %s" % (room, timeout, reply))
    return reply["state"]


def the_participant(state, name):
    """The participant called name in a room state, with its RTP counters."""
    p = [x for x in state["participants"] if x["name"] == name]
    if len(p) != 1:
        raise AssertionError("room state lists %d participants named %s: %s" % (len(p), name, state))
    if not isinstance(p[0].get("rtp"), dict) or not all(k in p[0]["rtp"] for k in ("video", "audio")):
        raise AssertionError("room state has no RTP counters for %s: %s" % (name, p[0]))
    return p[0]


def loss_room(ctx, loss, seconds=8.0, seed=LOSS_SEED, jitter=30, reorder=2, size=SENDER_SIZE,
              gop=SENDER_GOP):
    """One moving participant (testsrc2 + 440 Hz) sent by ffmpeg through the relay
    (loss %, 40 +- jitter ms, reorder %; RTP and RTCP of both streams; replies
    relayed back) into a room recording `low` to low.mkv. Stops the server while
    ffmpeg still sends, so the recording ends in motion. Returns (room state just
    before the stop, relay stats of the video RTP stream, relay stats)."""
    srv = serve.Server(ctx)
    relay = sender = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid",
                                  "outputs": [{"profile": "low", "url": "low.mkv"}]})
        base = serve.free_port_block(4)             # ffmpeg's own ports (what its offer names)
        r = srv.ok("POST", "/rooms/r1/participants",
                   {"name": "Mire", "sdp": serve.sender_offer(base, base + 2)})
        v, a, _ = serve.answer_ports(r["sdp"])
        lport = serve.free_port_block(4)            # the relay's: ffmpeg sends RTCP to port+1
        relay = udp_relay.Relay([("127.0.0.1:%d" % (lport + i), ("127.0.0.1", dst))
                                 for i, dst in enumerate((v, v + 1, a, a + 1))],
                                loss=loss, delay=40, jitter=jitter, reorder=reorder, seed=seed,
                                reverse=True, max_seconds=seconds + 20, realtime=True).start()
        room_state(srv, "r1")
        sender = serve.start_sender(ctx, "moving", None, 440, seconds + 4, lport, lport + 2, base,
                                    moving=True, size=size, gop=gop)
        time.sleep(seconds)
        if sender.poll() is not None:
            with open(ctx.path("sender_moving.log")) as f:
                raise AssertionError("ffmpeg sender exited early (%s); log:\n%s"
                                     % (sender.returncode, lib.tail(f.read())))
        state = srv.ok("GET", "/rooms/r1")["state"]
    finally:
        try:
            srv.stop()
        finally:
            if sender and sender.poll() is None:
                sender.terminate()
                sender.wait(10)
            stats = relay.stop() if relay else None
    with open(ctx.path("relay.json"), "w") as f:
        json.dump(stats, f, indent=1)
    return state, stats["streams"]["127.0.0.1:%d" % lport], stats


def check_frame_rate(path):
    """(a) the low output decodes at its size and keeps 15 fps: frame count within
    10 % of duration * 15, no timestamp gap over 0.2 s. Returns (frames, duration)."""
    info = lib.probe(path)
    vs = lib.one_stream(info, "video", path)
    if (vs["width"], vs["height"]) != (LOW_W, LOW_H):
        raise AssertionError("low output is %dx%d" % (vs["width"], vs["height"]))
    res = lib.decode_ok(path)
    if res.rc != 0:
        raise AssertionError("low output does not decode: %s" % res.stderr.strip()[-400:])
    pk = lib.packet_times(path, "v")
    dur, count, rate = lib.stream_timing(path, "v")
    big = max((b[0] - a[0] for a, b in zip(pk, pk[1:])), default=0)
    if abs(count - dur * LOW_FPS) > 0.1 * dur * LOW_FPS or big > 0.2:
        raise AssertionError("low output lost its frame rate: %d frames in %.2f s (%.2f fps), "
                             "largest timestamp gap %.3f s" % (count, dur, rate, big))
    return count, dur


def test_serve_loss_jitter(ctx):
    """ffmpeg sends a moving picture through 5 % loss, 40 +- 30 ms jitter and 2 %
    reordering (fixed seed): the room counts the loss, asks for keyframes, and its
    low recording keeps 15 fps, never freezes the tile for 1 s after the first
    keyframe, and keeps the sender's tone."""
    state, vrelay, _ = loss_room(ctx, LOSS_PCT)
    path = ctx.path("low.mkv")
    p = the_participant(state, "Mire")
    v, a = p["rtp"]["video"], p["rtp"]["audio"]
    count, dur = check_frame_rate(path)
    onset, freeze, at = longest_freeze(tile_motion(path, LOW_W, LOW_H, LABEL))
    print("     loss_jitter: relay dropped %d of %d video packets; room: video lost %d late %d "
          "broken frames %d jitter %.1f ms PLIs %d NACKs %d decoded %d; audio lost %d; "
          "low: %d frames in %.2f s, first picture at %s s, longest freeze %s s at %s s"
          % (vrelay["dropped"], vrelay["received"], v["lost"], v["late"], v["frames_broken"],
             v["jitter_ms"], v["plis_sent"], v.get("nacks_sent", -1), p["video_frames"], a["lost"],
             count, dur, onset, freeze and round(freeze, 3), at), flush=True)
    # (c) the loss was applied, counted and answered with keyframe requests.
    if vrelay["dropped"] < 20:
        raise AssertionError("the relay dropped only %d video packets" % vrelay["dropped"])
    if not (0.7 * vrelay["dropped"] <= v["lost"] <= vrelay["dropped"] + v["late"] + 2):
        raise AssertionError("video lost %d (late %d) but the relay dropped %d: %s"
                             % (v["lost"], v["late"], vrelay["dropped"], v))
    if a["lost"] < 1:
        raise AssertionError("no audio loss counted: %s" % a)
    if v["frames_broken"] < 1 or v["jitter_ms"] < 8:
        raise AssertionError("broken frames / jitter not counted (jitter is 40 +- 30 ms): %s" % v)
    if v["plis_sent"] < 1 or v.get("nacks_sent", 1) < 1:
        raise AssertionError("%d frames broken but %d PLIs and %s NACKs sent to a sendonly "
                             "participant: %s" % (v["frames_broken"], v["plis_sent"],
                                                  v.get("nacks_sent"), v))
    # (b) the tile moves: the first keyframe within 4.5 s, then no freeze of 1 s.
    if onset is None or onset > 4.5:
        raise AssertionError("the sender's picture first shows at %s s of the recording "
                             "(expected within 4.5 s: one of its first 4 keyframes)" % onset)
    if dur - onset < 4.0:
        raise AssertionError("only %.1f s of picture after the first keyframe" % (dur - onset))
    if freeze >= 1.0:
        raise AssertionError("the tile froze for %.2f s from %.2f s of %s" % (freeze, at, path))
    # (d) the tone survives the loss.
    samples = decode_audio(path, 16000)
    lv, ref = goertzel_db(samples, 16000, 440, onset, 3.0), goertzel_db(samples, 16000, 300, onset, 3.0)
    if lv < -30 or lv < ref + 20:
        raise AssertionError("the sender's 440 Hz is %.1f dB in the recording (300 Hz: %.1f dB)" % (lv, ref))


# ---------------------------------------------------------------------------------
# Hostile input on a participant's ports

def rtp_packet(pt, seq, ts, ssrc, payload=b"", marker=0, cc=0, flags=0):
    """An RTP packet: version 2, flags ORed into the first byte (0x20 padding, 0x10 extension)."""
    return struct.pack("!BBHII", 0x80 | flags | cc, (marker << 7) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def junk_datagrams(rng, ssrc, pt):
    """2000 datagrams no decoder may see, shuffled, as [(kind, bytes)]. kind is the
    counter each must land in: malformed (not RTP version 2, truncated to 5 bytes,
    CSRC/extension/padding past the end), wrong_payload_type and wrong_ssrc
    (well-formed RTP that is not the stream's), or random (any bytes: one of the three)."""
    def noise(n):
        return rng.randbytes(n)

    def not_v2(n):
        b = bytearray(noise(n))
        b[0] = (rng.choice((0, 1, 3)) << 6) | (b[0] & 0x3F)
        return bytes(b)

    seq = [100]

    def nxt():
        seq[0] += 1
        return seq[0]
    kinds = {
        "malformed": [not_v2(rng.randint(1, 1400)) for _ in range(380)] +
                     [not_v2(3000) for _ in range(20)] +                           # over the MTU
                     [rtp_packet(pt, nxt(), 0, ssrc)[:5] for _ in range(300)] +    # truncated
                     [rtp_packet(pt, nxt(), 0, ssrc, noise(rng.randint(0, 59)), cc=15)
                      for _ in range(200)] +                                       # 15 CSRCs announced
                     [rtp_packet(pt, nxt(), 0, ssrc, b"\xbe\xde\xff\xff" + noise(8), flags=0x10)
                      for _ in range(50)] +                                        # extension past the end
                     [rtp_packet(pt, nxt(), 0, ssrc, noise(8) + b"\xff", flags=0x20)
                      for _ in range(50)],                                         # padding past the end
        "wrong_payload_type": [rtp_packet(rng.choice((0, 8, 9, 13, 34, 97, 100, 127)), nxt(), 0, ssrc,
                                          noise(rng.randint(1, 1000))) for _ in range(400)],
        "wrong_ssrc": [rtp_packet(pt, nxt(), 0, ssrc ^ rng.randint(1, 0xFFFFFFFF), noise(rng.randint(1, 1000)))
                       for _ in range(400)],
        "random": [noise(rng.randint(1, 1400)) for _ in range(200)],
    }
    out = [(k, d) for k, v in kinds.items() for d in v]
    rng.shuffle(out)
    return out


def send_paced(sock, dst, datagrams, per_batch=40, pause=0.01):
    """Sends the datagrams in batches (well under what one room tick drains)."""
    for i in range(0, len(datagrams), per_batch):
        for d in datagrams[i:i + per_batch]:
            sock.sendto(d, dst)
        time.sleep(pause)


def test_serve_bad_packets(ctx):
    """2000 junk datagrams on a participant's RTP port (random bytes, 5-byte stubs,
    CSRC/extension/padding past the end, other payload types, another SSRC after a
    first valid packet) and junk on its audio RTCP port: each one is counted as
    malformed / wrong_payload_type / wrong_ssrc, none is decoded, and the server
    still answers and the room still ticks."""
    srv = serve.Server(ctx)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "outputs": [{"profile": "low", "url": "junk.mkv"}]})
        base = serve.free_port_block(4)
        r = srv.ok("POST", "/rooms/r1/participants", {"name": "Junk", "sdp": serve.sender_offer(base, base + 2)})
        v, a, _ = serve.answer_ports(r["sdp"])
        rng = random.Random(20261127)
        ssrc = 0x5EED0001
        # The first valid packet fixes the stream's SSRC (one H.264 filler-data NAL).
        sock.sendto(rtp_packet(96, 100, 0, ssrc, b"\x0c\xff\xff\x80", marker=1), ("127.0.0.1", v))
        for _ in range(5):                                  # empty datagrams: not even a header
            sock.sendto(b"", ("127.0.0.1", v))
        time.sleep(0.2)
        junk = junk_datagrams(rng, ssrc, 96)
        datagrams = [d for _, d in junk]
        runts = sum(1 for d in datagrams if len(d) < 8)
        want = {}
        for k, d in junk:
            want[k] = want.get(k, 0) + (len(d) >= 8)    # at least this many, runts aside
        t_start = room_state(srv, "r1")["media_time"]
        send_paced(sock, ("127.0.0.1", v), datagrams)
        rtcp_junk = [bytes([0x40 | rng.getrandbits(6)]) + rng.randbytes(rng.randint(0, 200))
                     for _ in range(150)]                   # RTCP of version 1
        rtcp_runts = sum(1 for d in rtcp_junk if len(d) < 8)
        send_paced(sock, ("127.0.0.1", a + 1), rtcp_junk)
        total = 1 + len(datagrams)
        deadline, settled = time.monotonic() + 5, False     # one more snapshot once all is in
        while True:
            time.sleep(0.4)
            st = room_state(srv, "r1")
            p = the_participant(st, "Junk")
            rv, ra = p["rtp"]["video"], p["rtp"]["audio"]
            # A datagram the receive queue had no room for is a counted drop too.
            seen = (rv["malformed"] + rv["wrong_payload_type"] + rv["wrong_ssrc"] + rv["packets"] +
                    rv.get("queue_drops", 0))
            ra = dict(ra, malformed=ra["malformed"] + ra.get("queue_drops", 0))
            if (seen >= total - runts and ra["malformed"] >= len(rtcp_junk) - rtcp_runts and settled) or \
                    time.monotonic() > deadline:
                break
            settled = seen >= total - runts and ra["malformed"] >= len(rtcp_junk) - rtcp_runts
        print("     bad_packets: sent 1 valid + %d junk (%d shorter than 8 bytes), at least %s; video counted "
              "malformed %d, wrong_payload_type %d, wrong_ssrc %d, packets %d; audio RTCP malformed %d "
              "of %d (%d short)" % (len(datagrams), runts, want, rv["malformed"], rv["wrong_payload_type"],
                                    rv["wrong_ssrc"], rv["packets"], ra["malformed"], len(rtcp_junk),
                                    rtcp_runts), flush=True)
        if rv["packets"] != 1 or p["video_frames"] > 1:
            raise AssertionError("junk was taken as media: %d packets accepted: %s" % (rv["packets"], p))
        if seen < total - runts:
            raise AssertionError("%d datagrams of 8 bytes or more sent to the video RTP port, %d counted: %s"
                                 % (total - runts, seen, rv))
        for k in ("malformed", "wrong_payload_type", "wrong_ssrc"):
            if rv[k] + rv.get("queue_drops", 0) < want[k]:
                raise AssertionError("%d %s datagrams sent, %d counted: %s" % (want[k], k, rv[k], rv))
        if ra["malformed"] < len(rtcp_junk) - rtcp_runts:
            raise AssertionError("%d junk RTCP datagrams (%d short), %d counted malformed: %s"
                                 % (len(rtcp_junk), rtcp_runts, ra["malformed"], ra))
        if srv.call("GET", "/health")[0] != 200:
            raise AssertionError("the server stopped answering /health")
        t_end = room_state(srv, "r1")["media_time"]
        time.sleep(0.7)
        t_later = room_state(srv, "r1")["media_time"]
        if t_later - t_end < 0.3 or t_end - t_start < 0.5:
            raise AssertionError("the room stopped ticking: media_time %.2f, %.2f, then %.2f 0.7 s later"
                                 % (t_start, t_end, t_later))
        # Runts too: a peer sending 5-byte datagrams must show up in the counters.
        if seen != total or ra["malformed"] != len(rtcp_junk):
            raise AssertionError("datagrams shorter than 8 bytes are not counted: %d RTP datagrams sent "
                                 "(%d short), %d counted; %d RTCP (%d short), %d counted"
                                 % (total, runts, seen, len(rtcp_junk), rtcp_runts, ra["malformed"]))
    finally:
        sock.close()
        srv.stop()
    lib.decode_ok(ctx.path("junk.mkv"))


# ---------------------------------------------------------------------------------
# Churn: many joins and leaves on one live room

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/%d/status" % pid)


# glibc's RSS after churn mostly measures its arenas: with one arena and fixed mmap/trim
# thresholds it follows live memory (48.9 -> 50.6 MB over 600 cycles; with the
# defaults it wandered by 12-30 MB over 200 cycles without a leak).
CHURN_MALLOC_ENV = {"MALLOC_ARENA_MAX": "1", "MALLOC_MMAP_THRESHOLD_": "131072",
                    "MALLOC_TRIM_THRESHOLD_": "131072"}


def test_serve_churn(ctx):
    """200 join/leave cycles of a sendrecv audio+video participant (its ports: nothing
    listens; every other one stays 40 ms, past a room tick) on a room recording `low`:
    RSS grows < 15 MB from cycle 20 to 200 (60 MB under ASan, whose quarantine holds
    freed memory), the 200-port range never runs out, the server answers, the room
    keeps ticking; stop() checks for sanitizer reports (leaks, under ASan)."""
    asan = "build-asan" in lib.tessera_bin()
    env = dict(CHURN_MALLOC_ENV)
    if asan:        # ASan's quarantine keeps freed memory resident: cap it, and the bound with it
        env["ASAN_OPTIONS"] = ":".join(o for o in (os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=32") if o)
    bound_mb = 15 + 32 + 13 if asan else 15
    cycles, marks = 200, (20, 200)
    srv = serve.Server(ctx, env=env)
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "layout": "grid",
                                  "outputs": [{"profile": "low", "url": "churn.mkv"}]})
        base = serve.free_port_block(4)                     # nothing listens there
        offer = serve.sender_offer(base, base + 2).replace("a=sendonly", "a=sendrecv")
        media0, wall0 = room_state(srv, "r1")["media_time"], time.monotonic()
        rss, ids = {}, set()
        for i in range(1, cycles + 1):
            r = srv.ok("POST", "/rooms/r1/participants", {"name": "P%d" % i, "sdp": offer})
            if r["id"] in ids:
                raise AssertionError("participant id %s given twice" % r["id"])
            ids.add(r["id"])
            if "a=sendrecv" not in r["sdp"]:
                raise AssertionError("sendrecv offer not answered sendrecv:\n%s" % r["sdp"])
            if i % 2:
                time.sleep(0.04)
            srv.ok("DELETE", "/rooms/r1/participants/%d" % r["id"])
            if i in marks:
                time.sleep(0.3)                             # the room thread frees what left
                rss[i] = rss_kb(srv.proc.pid)
        wall = time.monotonic() - wall0
        st = room_state(srv, "r1")
        time.sleep(0.7)
        st2 = room_state(srv, "r1")
        growth = (rss[marks[1]] - rss[marks[0]]) / 1024.0
        print("     churn: %d cycles in %.1f s; RSS %.1f MB after cycle %d, %.1f MB after cycle %d "
              "(growth %.1f MB, bound %d MB%s); media_time %.2f -> %.2f -> %.2f"
              % (cycles, wall, rss[marks[0]] / 1024.0, marks[0], rss[marks[1]] / 1024.0, marks[1],
                 growth, bound_mb, ", ASan" if asan else "", media0, st["media_time"],
                 st2["media_time"]), flush=True)
        if st2["participants"]:
            raise AssertionError("participants left over after every DELETE: %s" % st2["participants"])
        if st["media_time"] - media0 < 0.5 * wall or st2["media_time"] - st["media_time"] < 0.3:
            raise AssertionError("the room did not keep ticking: media_time %.2f before %.1f s of churn, "
                                 "%.2f after, %.2f 0.7 s later" % (media0, wall, st["media_time"],
                                                                    st2["media_time"]))
        if srv.call("GET", "/health")[0] != 200:
            raise AssertionError("the server stopped answering /health")
        if growth >= bound_mb:
            raise AssertionError("RSS grew %.1f MB from cycle %d to %d (bound %d MB): a leak per participant?"
                                 % (growth, marks[0], marks[1], bound_mb))
    finally:
        srv.stop()
    res = lib.decode_ok(ctx.path("churn.mkv"))
    if res.rc != 0:
        raise AssertionError("the churn room's recording does not decode: %s" % res.stderr.strip()[-400:])


TESTS = [
    ("serve_api_errors", test_serve_api_errors),
    ("serve_pin", test_serve_pin),
    ("serve_rtp_and_srtp", test_serve_rtp_and_srtp),
    ("serve_srtp_receiver", test_serve_srtp_receiver),
    ("serve_wrong_srtp_key", test_serve_wrong_srtp_key),
    ("serve_recording_on_sigint", test_serve_recording_on_sigint),
    ("serve_loss_jitter", test_serve_loss_jitter),
    ("serve_bad_packets", test_serve_bad_packets),
    ("serve_churn", test_serve_churn),
]
