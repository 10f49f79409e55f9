"""A/V sync through `tessera serve`: an ffmpeg sender flashes the picture and beeps
at the same instants; in the room's recording each beep must start within 80 ms of
its flash (lip sync from RTCP SR; the video waits for the audio it belongs with)."""
import time

import lib
import serve


def flash_times(path, ctx):
    """Times at which the picture turns bright (decoded by ffmpeg as 8x8 gray)."""
    res = lib.run(["ffmpeg", "-v", "error", "-i", path, "-vf", "scale=8:8,format=gray",
                   "-f", "rawvideo", "-"], timeout=60)
    raw = res.stdout.encode("latin-1") if isinstance(res.stdout, str) else res.stdout
    return raw


def decode_gray_means(path):
    import subprocess
    p = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", "scale=8:8,format=gray",
                        "-f", "rawvideo", "-"], capture_output=True, timeout=60)
    data = p.stdout
    means = [sum(data[i:i + 64]) / 64.0 for i in range(0, len(data) - 63, 64)]
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "frame=pts_time", "-of", "csv=p=0", path], capture_output=True, text=True,
                           timeout=60).stdout.split()
    times = [float(t.strip(",")) for t in probe if t.strip(",") and t.strip(",") != "N/A"]
    return list(zip(times, means))


def onsets(values, threshold, min_gap):
    out, last = [], -1e9
    for t, v in values:
        if v > threshold and t - last > min_gap:
            out.append(t)
            last = t
        elif v > threshold:
            last = t
    return out


def test_serve_av_sync(ctx):
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "outputs": [{"profile": "hd", "url": "sync.mkv"}]})
        base = serve.free_port_block(8)
        r = srv.ok("POST", "/rooms/r1/participants", {"name": "Sync", "sdp": serve.sender_offer(base, base + 2)})
        v, a, _ = serve.answer_ports(r["sdp"])
        # A flash (white) and a 1 kHz beep during the first 100 ms of every second.
        # Both RTP outputs share one wall-clock origin so their RTCP SRs agree.
        origin = ["-start_time_realtime", str(int(time.time() * 1e6) + 300000)]
        argv = ["ffmpeg", "-v", "error", "-re",
                "-f", "lavfi", "-i", "color=c=black:s=320x240:r=25:d=7,"
                "drawbox=c=white:t=fill:enable='lt(mod(t\\,1)\\,0.1)'",
                "-f", "lavfi", "-i", "aevalsrc='if(lt(mod(t\\,1)\\,0.1)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=7",
                "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
                "-pix_fmt", "yuv420p"] + origin + ["-f", "rtp", "-payload_type", "96",
                "rtp://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (v, base + 4, base + 5),
                "-map", "1:a", "-c:a", "libopus"] + origin + ["-f", "rtp", "-payload_type", "111",
                "rtp://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (a, base + 6, base + 7)]
        import subprocess
        with open(ctx.path("sender.log"), "w") as log:
            sender = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        serve.wait(sender, 30, "ffmpeg sender")
        time.sleep(0.5)
    finally:
        srv.stop()
    path = ctx.path("sync.mkv")
    flashes = onsets(decode_gray_means(path), 80, 0.5)
    samples = lib.decode_audio(path, 16000)
    win = 160      # 10 ms windows
    energy = []
    for i in range(0, len(samples) - win, win):
        e = sum(x * x for x in samples[i:i + win]) / win
        energy.append((i / 16000.0, e))
    peak = max(e for _, e in energy) if energy else 0
    beeps = onsets(energy, peak * 0.1, 0.5)
    pairs = []
    for f in flashes[1:]:
        near = [b for b in beeps if abs(b - f) < 0.45]
        if near:
            pairs.append(min(near, key=lambda b: abs(b - f)) - f)
    with open(ctx.path("sync.txt"), "w") as out:
        out.write("flashes %s\nbeeps %s\noffsets %s\n" % (flashes, beeps, pairs))
    if len(pairs) < 3:
        raise AssertionError("could not pair flashes %s with beeps %s" % (flashes, beeps))
    pairs.sort()
    median = pairs[len(pairs) // 2]
    if abs(median) > 0.080:
        raise AssertionError("audio is %+.0f ms from the video (median of %d flashes; offsets %s)"
                             % (median * 1000, len(pairs), ["%+.0f" % (p * 1000) for p in pairs]))


TESTS = [
    ("serve_av_sync", test_serve_av_sync),
]
