#!/usr/bin/env python3
"""latency benchmark: tessera serve's frame latency, from an input frame's RTP arrival to
the output RTP packet carrying it (network-to-network, no capture or display), hd and low
profiles, p50/p95/p99,
against an ffmpeg RTP-in/RTP-out transcode of the same input (reference). Target: tessera's
p95 < 100 ms at 30 fps.

Method (everything on 127.0.0.1, one clock: CLOCK_MONOTONIC, which tessera also uses):
- Input: a 1280x720@30 clip (testsrc2 darkened to ~10 % luma) with a full-frame white
  "flash" for 4 frames every 15 frames (0.5 s), encoded once by ffmpeg (x264 ultrafast,
  baseline, AUD NALs) into an Annex B file in bench/work/.
- Sender: a child process (no GIL shared with the receiver) packetizes it itself (RFC 6184
  single NAL / FU-A, 1200-byte payloads, PT 96) and sends it to the participant port of
  tessera's SDP answer, recording when the LAST packet of each frame left (sendto
  returned): that frame is complete at tessera then (loopback: < 0.1 ms). Like a real
  participant it also sends Opus audio (20 ms packets of a tone, PT 111) and an RTCP SR per
  stream every second, so tessera's lip sync (video waits for the audio it belongs with)
  is part of what is measured; side "tessera-vo" sends the video alone (no lip sync).
  Audio and video of one instant share a media time (RTP timestamps and SRs agree); each
  audio packet leaves 10 ms after the video frame of its first sample (AUDIO_LAG: a real
  sender sends audio once its 20 ms are captured, video once encoded, ~10 ms).
- Phase stepping: tessera's canvas ticks at exactly 1/30 s on CLOCK_MONOTONIC. A sender at
  exactly 30 fps would hit every tick at the same phase, so every flash would have the
  same latency. So at each flash (every 0.5 s) the sender's capture clock steps forward by
  1/30 s / (number of measured flashes): it pauses that long and its media time (RTP
  timestamps of audio and video, SR times) jumps by the same amount. Between steps it is
  an exact real-time sender (transit constant, jitter 0, no clock drift), and over the
  run the flashes sample the phase against the ticks uniformly. (A sender whose clock
  runs fast is not an option: tessera's audio FIFO, which lip sync waits for, would grow
  by the skew.)
- Receiver: this process binds the RTP/RTCP ports of a receiver SDP given to
  POST /rooms/ID/outputs, records every packet with its arrival time, and after the run
  regroups the video packets into access units (same RTP timestamp, ends with the marker
  bit); an access unit's time is the arrival of its last packet. The access units from the
  first IDR on are written as Annex B (an AUD before each) and decoded in one go by
  `ffmpeg -f h264 ... -f rawvideo -pix_fmt gray`; decoded frame i is access unit i (the
  script checks the counts match; baseline has no reordering). Decoding after the run keeps
  the decoder off the 2 CPUs while latency is measured.
- Flash onsets: the output frames whose mean luma crosses the midpoint between the dark and
  the flash level (from below). Each input onset (frame n, n % 15 == 0, after a 3 s
  warm-up) is matched to the first output onset 0-450 ms after it.
  latency = output onset's last packet arrival - input onset's last packet send.
- Decomposition (tessera sides): tessera's ticks are found from the phase of its audio RTP
  packets (one Opus packet or two per tick, sent early in the tick, before video): the
  earliest edge of their phase cluster modulo 1/30 s. The jitter buffer releases a frame at
  arrival + its playout delay (clamp(3 * jitter + 10 ms, 20 ms, cap); the jitter is read
  from the room state, the 20 ms floor assumed when the state lacks it); the first tick at
  or after that decodes it; the low profile (15 fps) encodes only every other tick (its
  parity is read from its video packets' arrival ticks). So per flash: latency = jitter
  buffer delay + wait for the next canvas tick (0-33 ms) + wait for a tick the profile
  encodes (low: 0 or 33 ms) + rest: decode, lip-sync hold (whole ticks), compose, scale,
  encode, packetize, send, our receive. Flashes within 3 ms of a tick edge are ambiguous
  (the tick-phase estimate is ~1-3 ms late); they are given the tick that makes their
  rest closest to the median of the others (counted in flashes_on_tick_edge_moved).
- ffmpeg reference: the same sender (video only) feeding `ffmpeg -i in.sdp` (RTP, no
  reorder queue, low_delay) that scales to the profile's size (low: every other frame)
  and encodes x264 veryfast zerolatency baseline (hd 1500k, low 150k) to RTP; it has no
  jitter buffer, no canvas clock and no lip sync, so it is a lower bound for a transcoding
  hop, not the same job.
- Runs are alternated (tessera, tessera-vo, ffmpeg for hd, then for low, then again) and
  the flashes of all runs of a side are pooled for the percentiles; per-run p50s are
  printed too, and each run's count of late room ticks (a CPU-starved room thread: the
  machine is shared) is shown. CPU-seconds per media-second (utime+stime from /proc over
  the measured part) and peak RSS (VmHWM) of tessera and of the ffmpeg relay are printed
  per run and as medians.
- tessera serve is stopped with SIGINT and must exit 0 (serve.Server.stop).

Usage: python3 bench/latency.py [TESSERA_BIN] [--seconds N] [--runs N] [--profiles hd,low] [--no-ffmpeg]
Results: printed, and written to bench/work/latency.json."""
import argparse
import json
import math
import multiprocessing
import os
import random
import selectors
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import serve  # noqa: E402  (tests/integration helpers: Server, SDP offers and receiver SDPs)

FPS = 30
TICK = 1.0 / FPS
PERIOD = 15                 # frames between flash onsets (0.5 s)
FLASH_FRAMES = 4            # a flash lasts 4 frames, so the 15 fps profile shows it too
WARMUP = 3.0                # s of the clip before the first measured flash (ffmpeg probes ~2 s)
AMBIGUOUS = 0.003           # s: tick-edge ambiguity of the decomposition
MATCH_WINDOW = 0.45         # s after an input onset in which its output onset must arrive
MTU = 1200
TARGET_P95_MS = 100.0
JB_MIN_MS, JB_MAX_MS = 20, 200   # tessera's jitter buffer floor and default cap (jitter_max_ms)
PROFILES = {"hd": (1280, 720, 30, "1500k"), "low": (320, 180, 15, "150k")}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(msg, flush=True)


class Ctx:
    """What serve.Server needs of a test context: a directory for its files."""

    def __init__(self, name):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)

    def path(self, name):
        return os.path.join(self.dir, name)


# ---------------------------------------------------------------------------------
# Input clip and RFC 6184 packetization

def make_clip(seconds):
    path = os.path.join(WORK, "latency_clip_%ds.h264" % seconds)
    if os.path.isfile(path) and os.path.getsize(path) > 0:
        return path
    os.makedirs(WORK, exist_ok=True)
    log("generating %s" % path)
    vf = ("lutyuv=y=val*0.3,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:"
          "enable='lt(mod(n\\,%d)\\,%d)'" % (PERIOD, FLASH_FRAMES))
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
            "-i", "testsrc2=size=1280x720:rate=%d:duration=%d" % (FPS, seconds), "-vf", vf,
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline",
            "-crf", "28", "-g", "60", "-pix_fmt", "yuv420p", "-x264-params", "aud=1", "-f", "h264",
            path + ".part"]
    if subprocess.run(argv).returncode != 0:
        sys.exit("latency: ffmpeg could not generate the clip")
    os.replace(path + ".part", path)
    return path


def make_audio(seconds):
    """Opus 20 ms packets of a 440 Hz tone (libopus voip, mono 32k), from an Ogg file."""
    path = os.path.join(WORK, "latency_tone_%ds.ogg" % seconds)
    if not (os.path.isfile(path) and os.path.getsize(path) > 0):
        argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
                "-i", "sine=frequency=440:sample_rate=48000:duration=%d" % seconds, "-c:a", "libopus",
                "-application", "voip", "-frame_duration", "20", "-b:a", "32k", "-ac", "1", "-f", "ogg",
                path + ".part"]
        if subprocess.run(argv).returncode != 0:
            sys.exit("latency: ffmpeg could not generate the tone")
        os.replace(path + ".part", path)
    with open(path, "rb") as f:
        data = f.read()
    packets, cur, i = [], b"", 0
    while i + 27 <= len(data) and data[i:i + 4] == b"OggS":
        nseg = data[i + 26]
        lace = data[i + 27:i + 27 + nseg]
        j = i + 27 + nseg
        for v in lace:
            cur += data[j:j + v]
            j += v
            if v < 255:
                packets.append(cur)
                cur = b""
        i = j
    return [p for p in packets if not p.startswith(b"OpusHead") and not p.startswith(b"OpusTags")]


def rtcp_sr(ssrc, ntp, rtp_ts, count, octets):
    sec = int(ntp)
    frac = int((ntp - sec) * 4294967296.0) & 0xFFFFFFFF
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, sec & 0xFFFFFFFF, frac, rtp_ts & 0xFFFFFFFF,
                       count & 0xFFFFFFFF, octets & 0xFFFFFFFF)


def split_nals(data):
    """NAL units (without start codes) of an Annex B stream."""
    nals, i, n = [], 0, len(data)
    starts = []
    while True:
        j = data.find(b"\x00\x00\x01", i)
        if j < 0:
            break
        starts.append(j + 3)
        i = j + 3
    for k, s in enumerate(starts):
        e = starts[k + 1] - 3 if k + 1 < len(starts) else n
        while e > s and data[e - 1] == 0:      # 4-byte start code / trailing zeros
            e -= 1
        if e > s:
            nals.append(data[s:e])
    return nals


def read_access_units(path):
    """The clip's access units (lists of NALs), split at its AUD NALs (dropped)."""
    with open(path, "rb") as f:
        nals = split_nals(f.read())
    aus = []
    for nal in nals:
        if nal[0] & 0x1F == 9:
            aus.append([])
        elif aus:
            aus[-1].append(nal)
    return [a for a in aus if a]


def packetize(nal):
    """RFC 6184 payloads of one NAL unit: single NAL unit packet or FU-A fragments."""
    if len(nal) <= MTU:
        return [nal]
    ind = (nal[0] & 0xE0) | 28
    typ = nal[0] & 0x1F
    body = nal[1:]
    out = []
    for off in range(0, len(body), MTU - 2):
        hdr = typ | (0x80 if off == 0 else 0) | (0x40 if off + MTU - 2 >= len(body) else 0)
        out.append(bytes((ind, hdr)) + body[off:off + MTU - 2])
    return out


SEGMENT = PERIOD / FPS       # s: one flash period; the sender's phase steps at each boundary


def shifted(m, step):
    """Media (and send) time of what a sender with no phase stepping would capture at
    m: every SEGMENT boundary (unshifted) adds `step` seconds."""
    return m + step * math.floor(m / SEGMENT + 1e-9)


class Stream:
    """One RTP stream of the sender: its packets per media unit (media time s, packets),
    RTP timestamps = ts0 + media time * rate."""

    def __init__(self, units, pt, rate, unit_s, video, step):
        self.ssrc = random.getrandbits(32)
        self.ts0 = random.getrandbits(32)
        self.rate = rate
        self.step = step
        self.units = []
        seq = random.getrandbits(16)
        for n, payloads in enumerate(units):
            m = shifted(n * unit_s, step)
            pkts = []
            for k, p in enumerate(payloads):
                marker = 0x80 if (video and k == len(payloads) - 1) or (not video and n == 0) else 0
                pkts.append(struct.pack("!BBHII", 0x80, marker | pt, seq & 0xFFFF,
                                        (self.ts0 + int(round(m * rate))) & 0xFFFFFFFF, self.ssrc) + p)
                seq += 1
            self.units.append((m, pkts))


def video_stream(aus, step):
    return Stream([[p for nal in au for p in packetize(nal)] for au in aus], 96, 90000, 1.0 / FPS, True, step)


def audio_stream(opus, step):
    return Stream([[p] for p in opus], 111, 48000, 0.02, False, step)


NTP_BASE = 3900000000.0      # the sender's wall clock (NTP s) at media time 0
# A real sender sends an audio packet once its 20 ms are captured, and a video frame once
# it is encoded (~10 ms after capture): relative to the video, each audio packet leaves
# 10 ms after its first sample's media time.
AUDIO_LAG = 0.010


def sender_main(video, audio, socks, dsts, t0, conn):
    """Child process: sends each media unit at t0 + its media time (video from socks[0]
    to dsts[0], audio from socks[2] to dsts[1], AUDIO_LAG later) and, with audio, an RTCP SR per stream
    every second (from socks[1] / socks[3] to RTP port + 1) mapping RTP time to the
    sender's clock (NTP_BASE + media time). Returns each video frame's last send time."""
    events = [(m, 0, n) for n, (m, _) in enumerate(video.units)]
    if audio is not None:
        events += [(m + AUDIO_LAG, 1, n) for n, (m, _) in enumerate(audio.units)]
        events += [(shifted(k, video.step), 2, k) for k in range(int(video.units[-1][0]) + 1)]
    events.sort()
    sent = [0.0] * len(video.units)
    counts = [[0, 0], [0, 0]]
    errors = 0
    for m, kind, n in events:
        due = t0 + m
        while True:
            d = due - time.monotonic()
            if d <= 0:
                break
            time.sleep(d if d < 0.002 else d - 0.001)
        try:
            if kind == 2:
                for i, st in ((0, video), (1, audio)):
                    sr = rtcp_sr(st.ssrc, NTP_BASE + m, st.ts0 + int(round(m * st.rate)), *counts[i])
                    socks[1 + 2 * i].sendto(sr, ("127.0.0.1", dsts[i] + 1))
                continue
            st = video if kind == 0 else audio
            for p in st.units[n][1]:
                socks[2 * kind].sendto(p, ("127.0.0.1", dsts[kind]))
                counts[kind][0] += 1
                counts[kind][1] += len(p) - 12
        except OSError:
            errors += 1
        if kind == 0:
            sent[n] = time.monotonic()
    conn.send((sent, errors))
    conn.close()


# ---------------------------------------------------------------------------------
# Receiving and depacketizing

class Receiver:
    """The ports of a receiver SDP (video RTP/RTCP, audio RTP/RTCP), drained in this
    process; each packet kept with its arrival time."""

    def __init__(self, base):
        self.base = base
        self.sel = selectors.DefaultSelector()
        self.socks = []
        for off in range(4):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            s.bind(("127.0.0.1", base + off))
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, off)
            self.socks.append(s)
        self.video, self.audio_times = [], []
        self.rtcp = 0

    def run_until(self, t_end):
        while True:
            left = t_end - time.monotonic()
            if left <= 0:
                return
            for key, _ in self.sel.select(min(left, 0.1)):
                s, off = key.fileobj, key.data
                while True:
                    try:
                        data = s.recv(2048)
                    except BlockingIOError:
                        break
                    now = time.monotonic()
                    if off == 0 and len(data) > 12 and not 200 <= data[1] <= 204:
                        self.video.append((now, data))
                    elif off == 2 and len(data) > 12 and not 200 <= data[1] <= 204:
                        self.audio_times.append(now)
                    else:
                        self.rtcp += 1

    def close(self):
        for s in self.socks:
            self.sel.unregister(s)
            s.close()
        self.sel.close()


def rtp_payload(p):
    cc = p[0] & 0x0F
    off = 12 + 4 * cc
    if p[0] & 0x10:
        off += 4 + 4 * struct.unpack("!H", p[off + 2:off + 4])[0]
    end = len(p)
    if p[0] & 0x20:
        end -= p[-1]
    return p[off:end]


def access_units(packets):
    """(arrival of last packet, [NAL units]) per access unit; counts sequence gaps."""
    aus, cur, cur_ts, last_t, last_seq, gaps = [], [], None, 0, None, 0
    fu = None
    for t, p in packets:
        seq, ts = struct.unpack("!HI", p[2:8])
        if last_seq is not None and seq != (last_seq + 1) & 0xFFFF:
            gaps += 1
        last_seq = seq
        if cur_ts is not None and ts != cur_ts and cur:
            aus.append((last_t, cur))
            cur = []
        cur_ts, last_t = ts, t
        pl = rtp_payload(p)
        typ = pl[0] & 0x1F
        if typ == 28:
            if pl[1] & 0x80:
                fu = bytearray([(pl[0] & 0xE0) | (pl[1] & 0x1F)])
            if fu is not None:
                fu += pl[2:]
                if pl[1] & 0x40:
                    cur.append(bytes(fu))
                    fu = None
        elif typ == 24:
            i = 1
            while i + 2 <= len(pl):
                n = struct.unpack("!H", pl[i:i + 2])[0]
                cur.append(pl[i + 2:i + 2 + n])
                i += 2 + n
        elif 1 <= typ <= 23:
            cur.append(pl)
        if p[1] & 0x80 and cur:
            aus.append((t, cur))
            cur = []
    return aus, gaps


def decode_means(aus, workdir, name):
    """Mean luma (0-255) of each decoded frame of aus, from the first IDR on; returns
    (times, means) aligned, or raises on a frame count mismatch."""
    first = next((i for i, (_, nals) in enumerate(aus) if any(n[0] & 0x1F == 5 for n in nals)), None)
    if first is None:
        raise RuntimeError("no IDR among %d received access units" % len(aus))
    aus = aus[first:]
    path = os.path.join(workdir, name + ".h264")
    with open(path, "wb") as f:
        for _, nals in aus:
            f.write(b"\x00\x00\x00\x01\x09\xf0")
            for n in nals:
                f.write(b"\x00\x00\x00\x01" + n)
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "h264", "-i", path,
                        "-vf", "scale=80:45:flags=area", "-fps_mode", "passthrough",
                        "-f", "rawvideo", "-pix_fmt", "gray", "-"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    size = 80 * 45
    count = len(r.stdout) // size
    if r.returncode != 0 or count != len(aus):
        raise RuntimeError("decoding %s: exit %d, %d frames for %d access units: %s"
                           % (path, r.returncode, count, len(aus), r.stderr.decode()[-500:]))
    means = [sum(r.stdout[i * size:(i + 1) * size]) / size for i in range(count)]
    return [t for t, _ in aus], means


def onsets(times, means):
    lo = percentile(means, 10)
    hi = percentile(means, 90)
    thr = (lo + hi) / 2
    out = [times[i] for i in range(1, len(means)) if means[i] > thr >= means[i - 1]]
    return out, lo, hi


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    f = math.floor(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def match(input_onsets, output_onsets):
    """Latency (s) per input onset, None when no output onset followed within the window."""
    res, j = [], 0
    for t in input_onsets:
        while j < len(output_onsets) and output_onsets[j] <= t:
            j += 1
        if j < len(output_onsets) and output_onsets[j] - t <= MATCH_WINDOW:
            res.append(output_onsets[j] - t)
            j += 1
        else:
            res.append(None)
    return res


def tick_phase(times):
    """The canvas tick phase (s, modulo TICK) from packets sent at tick starts: the
    earliest edge (2nd percentile) of their phase cluster."""
    if len(times) < 20:
        return None, None
    ang = [2 * math.pi * ((t % TICK) / TICK) for t in times]
    c = math.atan2(sum(math.sin(a) for a in ang), sum(math.cos(a) for a in ang)) / (2 * math.pi) * TICK
    rel = [((t - c + TICK / 2) % TICK) - TICK / 2 for t in times]
    return (c + percentile(rel, 2)) % TICK, percentile(rel, 90) - percentile(rel, 2)


# ---------------------------------------------------------------------------------
# Process accounting

def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_hwm_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


# ---------------------------------------------------------------------------------
# One run

def receiver_sdp_video_audio(base):
    return serve.receiver_sdp(base, base + 2)


def run_one(side, profile, video, audio, seconds, ctx):
    """One run of a side: "tessera" (the sender sends video, Opus audio and RTCP SRs, as a
    real participant does: tessera's lip sync applies), "tessera-vo" (video only, no SR:
    no lip sync) or "ffmpeg" (video only, to the ffmpeg transcode). Returns a dict."""
    # One block: receiver 0-3, sender 4-7 (video RTP/RTCP, audio RTP/RTCP), ffmpeg
    # relay's output 8-9 and input 10-11.
    ports = serve.free_port_block(12)
    rx_base, tx_port = ports, ports + 4
    rx = Receiver(rx_base)
    tx = []
    for k in range(4):
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 21)
        t.bind(("127.0.0.1", tx_port + k))
        tx.append(t)
    srv = relay = None
    cpu0 = cpu1 = hwm = None
    result = {"side": side, "profile": profile}
    if side != "tessera":
        audio = None
    adst = 0
    try:
        if side.startswith("tessera"):
            srv = serve.Server(ctx)
            srv.ok("POST", "/rooms", {"id": "lat", "layout": "grid", "fps": FPS})
            ans = srv.ok("POST", "/rooms/lat/participants",
                         {"name": "Flash", "sdp": serve.sender_offer(tx_port, tx_port + 2)})
            dst, adst, _ = serve.answer_ports(ans["sdp"])
            srv.ok("POST", "/rooms/lat/outputs", {"profile": profile, "sdp": receiver_sdp_video_audio(rx_base)})
            pid = srv.proc.pid
        else:
            w, h, fps, rate = PROFILES[profile]
            dst = ports + 10
            sdp = ctx.path("relay_in.sdp")
            with open(sdp, "w") as f:
                f.write("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=in\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                        "m=video %d RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                        "a=fmtp:96 packetization-mode=1\r\n" % dst)
            vf = "scale=%d:%d:flags=bilinear" % (w, h) + (",select=not(mod(n\\,2))" if fps == 15 else "")
            argv = ["ffmpeg", "-nostdin", "-v", "error", "-protocol_whitelist", "file,udp,rtp",
                    "-fflags", "nobuffer", "-flags", "low_delay", "-reorder_queue_size", "0",
                    "-i", sdp, "-map", "0:v", "-vf", vf, "-fps_mode", "passthrough",
                    "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "baseline",
                    "-g", "60", "-b:v", rate, "-maxrate", rate, "-bufsize", rate, "-pix_fmt", "yuv420p",
                    "-bsf:v", "dump_extra", "-f", "rtp", "-payload_type", "96",
                    "rtp://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (rx_base, ports + 8, ports + 9)]
            with open(ctx.path("relay_cmd.txt"), "w") as f:
                f.write(" ".join(argv) + "\n")
            relay = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(ctx.path("relay.log"), "w"))
            pid = relay.pid
            time.sleep(0.5)
        parent, child = multiprocessing.Pipe(duplex=False)
        t0 = time.monotonic() + 0.3
        sender = multiprocessing.get_context("fork").Process(
            target=sender_main, args=(video, audio, tx, (dst, adst), t0, child))
        sender.start()
        child.close()
        t_meas0 = t0 + WARMUP
        t_end = t0 + video.units[-1][0] + 0.6
        rx.run_until(t_meas0)
        cpu0 = proc_cpu(pid)
        rx.run_until(t_end - 0.6)
        cpu1 = proc_cpu(pid)
        hwm = proc_hwm_mib(pid)
        rx.run_until(t_end)
        sent, send_errors = parent.recv()
        sender.join(10)
        media = (t_end - 0.6) - t_meas0
        result.update(cpu_per_media_s=(cpu1 - cpu0) / media, peak_rss_mib=hwm, send_errors=send_errors)
        if srv is not None:
            st = srv.ok("GET", "/rooms/lat")["state"]
            p = st["participants"][0]
            v = p.get("rtp", {}).get("video")
            if v is None:
                # GET /rooms/ID should list the participant's RTP counters; without them
                # the jitter is unknown and the jitter buffer's floor is assumed.
                result["state_bug"] = "participant has no \"rtp\" object in GET /rooms/ID"
                v = {}
            jitter = v.get("jitter_ms")
            result["jitter_ms"] = jitter
            result["jb_delay_ms"] = min(max(int(3 * (jitter or 0.0) + 10 + 0.5), JB_MIN_MS), JB_MAX_MS)
            result["input"] = {k: v.get(k) for k in ("packets", "lost", "late", "frames_broken")}
            result["decoded_frames"] = p.get("video_frames")
            code, metrics, _ = srv.call("GET", "/metrics")
            if code == 200 and isinstance(metrics, str):
                for line in metrics.splitlines():
                    if line.startswith("tessera_room_late_ticks_total"):
                        result["late_ticks"] = int(float(line.split()[-1]))
    finally:
        rx.close()
        for t in tx:
            t.close()
        if relay is not None:
            relay.send_signal(signal.SIGINT)
            try:
                relay.wait(10)
            except subprocess.TimeoutExpired:
                relay.kill()
                relay.wait()
        if srv is not None:
            srv.stop()      # SIGINT; raises unless tessera exits 0 cleanly
            result["exit"] = srv.proc.returncode

    aus, gaps = access_units(rx.video)
    result["received_aus"] = len(aus)
    result["rtp_seq_gaps"] = gaps
    times, means = decode_means(aus, ctx.dir, "rx_%s_%s" % (side, profile))
    out_on, lo, hi = onsets(times, means)
    result["luma_dark"], result["luma_flash"] = round(lo, 1), round(hi, 1)
    in_idx = [n for n in range(0, len(sent), PERIOD)
              if sent[n] >= t0 + WARMUP and n + PERIOD <= len(sent)]
    in_on = [sent[n] for n in in_idx]
    lat = match(in_on, out_on)
    result["flashes"] = len(in_on)
    result["missed"] = sum(1 for x in lat if x is None)
    result["latencies_ms"] = [round(x * 1000, 2) for x in lat if x is not None]
    result["per_flash_ms"] = [None if x is None else round(x * 1000, 2) for x in lat]

    if srv is not None:
        theta, spread = tick_phase(rx.audio_times)
        result["tick_phase_spread_ms"] = None if spread is None else round(spread * 1000, 2)
        if theta is not None:
            # The profile encodes on ticks of one parity when it runs at half the canvas rate.
            fps = PROFILES[profile][2]
            parity = None
            if fps * 2 == FPS:
                idx = [math.floor((t - theta) / TICK + 1e-6) for t in times]
                ones = sum(i % 2 for i in idx)
                parity = 1 if ones * 2 > len(idx) else 0
            # Per flash: the tick that should take the frame (first at or after its
            # playout time). Within AMBIGUOUS of a tick edge the estimate of the tick
            # phase (from audio packets sent a little after the tick starts) cannot
            # tell whether the frame made it: there the next tick is chosen when it
            # gives a processing time closer to the median of the unambiguous flashes.
            D = result["jb_delay_ms"] / 1000.0

            def split(t_in, l, k):
                k_enc = k if parity is None or k % 2 == parity else k + 1
                tick_wait = theta + k * TICK - (t_in + D)
                rate_wait = (k_enc - k) * TICK
                return (D, tick_wait, rate_wait, l - D - tick_wait - rate_wait)

            pairs = [(t, l) for t, l in zip(in_on, lat) if l is not None]
            first = []
            for t_in, l in pairs:
                k0 = math.ceil((t_in + D - theta) / TICK - 1e-9)
                first.append((k0, split(t_in, l, k0)))
            sure = [c[3] for _, c in first if AMBIGUOUS <= c[1] <= TICK - AMBIGUOUS]
            med = statistics.median(sure) if sure else None
            comps, moved = [], 0
            for (t_in, l), (k0, c) in zip(pairs, first):
                if med is not None and c[1] < AMBIGUOUS:
                    alt = split(t_in, l, k0 + 1)
                    if alt[3] >= 0 and abs(alt[3] - med) < abs(c[3] - med):
                        c = alt
                        moved += 1
                comps.append(c)
            result["components_ms"] = [[round(x * 1000, 2) for x in c] for c in comps]
            result["flashes_on_tick_edge_moved"] = moved
    return result, in_on


def summarize(name, runs):
    lats = [x for r in runs for x in r["latencies_ms"]]
    flashes = sum(r["flashes"] for r in runs)
    missed = sum(r["missed"] for r in runs)
    s = {"flashes": flashes, "matched": len(lats), "missed": missed}
    if lats:
        s.update(p50_ms=percentile(lats, 50), p95_ms=percentile(lats, 95), p99_ms=percentile(lats, 99),
                 min_ms=min(lats), max_ms=max(lats),
                 per_run_p50_ms=[percentile(r["latencies_ms"], 50) for r in runs if r["latencies_ms"]])
    s["late_ticks_per_run"] = [r.get("late_ticks") for r in runs]
    s["cpu_per_media_s"] = statistics.median(r["cpu_per_media_s"] for r in runs)
    s["peak_rss_mib"] = statistics.median(r["peak_rss_mib"] for r in runs)
    comps = [c for r in runs for c in r.get("components_ms", [])]
    if comps:
        s["components"] = {k: {"mean_ms": statistics.mean(c[i] for c in comps),
                               "p95_ms": percentile([c[i] for c in comps], 95),
                               "min_ms": min(c[i] for c in comps), "max_ms": max(c[i] for c in comps)}
                           for i, k in enumerate(("jitter_buffer", "tick_wait", "rate_wait", "processing"))}
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tessera", nargs="?", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--seconds", type=int, default=5, help="measured seconds per run (default 5)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each side and profile (default 2)")
    ap.add_argument("--profiles", default="hd,low")
    ap.add_argument("--no-ffmpeg", action="store_true", help="skip the ffmpeg reference")
    args = ap.parse_args()
    if not os.access(args.tessera, os.X_OK):
        sys.exit("latency: no tessera binary at %s (run make)" % args.tessera)
    os.environ["TESSERA_BIN"] = os.path.abspath(args.tessera)
    profiles = [p for p in args.profiles.split(",") if p]
    for p in profiles:
        if p not in PROFILES:
            sys.exit("latency: unknown profile %s" % p)
    length = int(WARMUP) + args.seconds + 1
    # The phase step: the measured flashes sweep one canvas tick period.
    measured = len(range(int(WARMUP * FPS), length * FPS - PERIOD + 1, PERIOD))
    step = TICK / measured
    video = video_stream(read_access_units(make_clip(length)), step)
    audio = audio_stream(make_audio(length), step)
    sides = ["tessera", "tessera-vo"] + ([] if args.no_ffmpeg else ["ffmpeg"])
    log("latency: 1280x720@30 input with a flash every %d frames, %d s measured per run, %d runs per side, "
        "alternated: tessera (sender sends video + Opus + RTCP SR: lip sync on), tessera-vo (video only), "
        "ffmpeg (RTP-in/RTP-out transcode, reference)" % (PERIOD, args.seconds, args.runs))
    res = {(s, p): [] for s in sides for p in profiles}
    for i in range(args.runs):
        for p in profiles:
            for side in sides:
                ctx = Ctx("latency_%s_%s" % (side, p))
                r, _ = run_one(side, p, video, audio, args.seconds, ctx)
                res[(side, p)].append(r)
                lats = r["latencies_ms"]
                extra = ""
                if side.startswith("tessera"):
                    extra = "  jitter %s ms -> jb delay %d ms  late ticks %s  tick phase spread %s ms" % (
                        "%.2f" % r["jitter_ms"] if r["jitter_ms"] is not None else "?(no rtp stats in room state)",
                        r["jb_delay_ms"], r.get("late_ticks"), r.get("tick_phase_spread_ms"))
                log("run %d %-10s %-3s flashes %2d missed %d  p50 %6.1f  p95 %6.1f  max %6.1f ms  "
                    "%.3f cpu-s/media-s  peak RSS %6.1f MiB  (luma %.0f/%.0f, seq gaps %d)%s"
                    % (i + 1, side, p, r["flashes"], r["missed"], percentile(lats, 50), percentile(lats, 95),
                       max(lats) if lats else float("nan"), r["cpu_per_media_s"], r["peak_rss_mib"],
                       r["luma_dark"], r["luma_flash"], r["rtp_seq_gaps"], extra))
    log("")
    summary = {}
    ok = True
    for p in profiles:
        log("profile %s (%dx%d@%d), all runs pooled:" % ((p,) + PROFILES[p][:3]))
        for side in sides:
            s = summarize(side, res[(side, p)])
            summary["%s_%s" % (side, p)] = s
            if "p50_ms" not in s:
                log("  %-10s no flash matched (%d missed)" % (side, s["missed"]))
                ok = False
                continue
            log("  %-10s flashes %d, missed %d: p50 %6.1f  p95 %6.1f  p99 %6.1f ms (min %.1f, max %.1f; "
                "per-run p50 %s)  %.3f cpu-s/media-s  peak RSS %.1f MiB"
                % (side, s["flashes"], s["missed"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["min_ms"],
                   s["max_ms"], ", ".join("%.1f" % x for x in s["per_run_p50_ms"]),
                   s["cpu_per_media_s"], s["peak_rss_mib"]))
            if side.startswith("tessera"):
                met = s["p95_ms"] < TARGET_P95_MS and s["missed"] == 0
                noisy = [x for x in s["late_ticks_per_run"] if x]
                log("             target p95 < %.0f ms: %s%s" % (
                    TARGET_P95_MS, "MET" if met else "NOT MET",
                    "  (runs with late ticks, i.e. a CPU-starved room thread: %s)" % s["late_ticks_per_run"]
                    if noisy else ""))
                c = s.get("components")
                if c:
                    log("             where it goes (mean, [min-max]): jitter buffer %.1f ms + wait for the next "
                        "canvas tick %.1f [%.1f-%.1f] + wait for a tick the profile encodes %.1f + rest (decode, "
                        "lip-sync hold, compose, encode, send) %.1f [%.1f-%.1f] (p95 %.1f) ms"
                        % (c["jitter_buffer"]["mean_ms"], c["tick_wait"]["mean_ms"], c["tick_wait"]["min_ms"],
                           c["tick_wait"]["max_ms"], c["rate_wait"]["mean_ms"], c["processing"]["mean_ms"],
                           c["processing"]["min_ms"], c["processing"]["max_ms"], c["processing"]["p95_ms"]))
        b = summary.get("ffmpeg_%s" % p)
        for side in ("tessera", "tessera-vo"):
            a = summary.get("%s_%s" % (side, p))
            if a and b and "p50_ms" in a and "p50_ms" in b:
                log("  ratios %s/ffmpeg: p50 %.2f, p95 %.2f, CPU %.2f, RSS %.2f"
                    % (side, a["p50_ms"] / b["p50_ms"], a["p95_ms"] / b["p95_ms"],
                       a["cpu_per_media_s"] / b["cpu_per_media_s"], a["peak_rss_mib"] / b["peak_rss_mib"]))
    out = os.path.join(WORK, "latency.json")
    with open(out, "w") as f:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL).stdout.decode().strip() or None
        json.dump({"seconds": args.seconds, "runs": args.runs, "tessera": os.path.abspath(args.tessera),
                   "git_head": head, "summary": summary,
                   "runs_detail": {"%s_%s" % k: v for k, v in res.items()}}, f, indent=1)
    log("results: %s" % out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
