"""Helpers for the integration tests: run tessera, probe and decode its output with
ffmpeg/ffprobe, sample pixels and measure tones (Python 3 stdlib only)."""
import array
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "fixtures")
LAYOUTS = os.path.join(ROOT, "layouts")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")

# Fixture facts (fixtures/README.md): RGB colour and tone of each clip.
RED = (0xDC, 0x28, 0x28)
GREEN = (0x28, 0xC8, 0x3C)
YELLOW = (0xE6, 0xD2, 0x28)
BLUE = (0x28, 0x50, 0xDC)
PORTRAIT = (0xC8, 0x32, 0xC8)
TALK_A = (0xF0, 0x8C, 0x14)
TALK_B = (0x78, 0x3C, 0xC8)
BACKGROUND = (0x10, 0x10, 0x10)
TONES = {"red": 440, "green": 620, "yellow": 830, "blue_cif": 1040, "portrait": 1250,
         "audio_only": 1480, "talk_a": 520, "talk_b": 740}

COLOUR_TOL = 25          # per channel, codec + scaling error on flat colours
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer", "ThreadSanitizer")


def fixture(name):
    return os.path.join(FIXTURES, name)


def tessera_bin():
    path = os.environ.get("TESSERA_BIN") or os.path.join(ROOT, "build", "tessera")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise AssertionError("tessera binary not found at %s (set TESSERA_BIN or run make)" % path)
    return path


# ---------------------------------------------------------------------------------
# Processes

class Result:
    def __init__(self, argv, rc, stdout, stderr, elapsed):
        self.argv, self.rc, self.stdout, self.stderr, self.elapsed = argv, rc, stdout, stderr, elapsed

    @property
    def cmdline(self):
        return " ".join(shell_quote(a) for a in self.argv)

    def error_lines(self):
        return [l for l in self.stderr.splitlines() if l.startswith("tessera: error:")]


def shell_quote(a):
    if a and all(c.isalnum() or c in "-_=./:,+@%" for c in a):
        return a
    return "'" + a.replace("'", "'\\''") + "'"


def tail(text, n=15):
    lines = text.splitlines()
    return "\n".join(("    " + l) for l in lines[-n:])


def check_not_crashed(res, what="tessera"):
    """Fails when the process died of a signal or a sanitizer reported anything."""
    if res.rc is not None and res.rc < 0:
        raise AssertionError("%s died of signal %d: %s\n  stderr:\n%s"
                             % (what, -res.rc, res.cmdline, tail(res.stderr)))
    for mark in SANITIZER_MARKS:
        if mark in res.stderr:
            raise AssertionError("%s: sanitizer report (%s): %s\n  stderr:\n%s"
                                 % (what, mark, res.cmdline, tail(res.stderr, 30)))


def run(argv, timeout=120, cwd=None, env=None):
    """Runs a command, captures stdout/stderr as text; a timeout kills it and fails."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"").decode("utf-8", "replace")
        raise AssertionError("timed out after %d s (hang?): %s\n  stderr:\n%s"
                             % (timeout, " ".join(shell_quote(a) for a in argv), tail(err)))
    return Result(list(argv), p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


class Ctx:
    """One test's state: its artifacts dir and a log of the commands it ran."""

    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(ARTIFACTS, name)
        self.shared_dirs = []
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def log(self, res, where=None):
        with open(os.path.join(where or self.dir, "commands.log"), "a") as f:
            f.write("$ %s\n# exit %s after %.1f s\n%s\n" % (res.cmdline, res.rc, res.elapsed, res.stderr))

    def tessera(self, args, timeout=120, expect_ok=True, cwd=None):
        """Runs tessera ARGS in the test's dir. Always checks for a crash or a sanitizer
        report; with expect_ok also checks exit 0."""
        cwd = cwd or self.dir
        res = run([tessera_bin()] + list(args), timeout=timeout, cwd=cwd)
        self.log(res, cwd)
        check_not_crashed(res)
        if expect_ok and res.rc != 0:
            raise AssertionError("tessera exited %d: %s\n  stderr:\n%s" % (res.rc, res.cmdline, tail(res.stderr)))
        return res

    def expect_error(self, args, *causes, timeout=60):
        """Runs tessera expecting a refusal: non-zero exit (not a signal), a line
        'tessera: error: ...' on stderr, and that line naming one of the causes."""
        res = self.tessera(args, timeout=timeout, expect_ok=False)
        if res.rc == 0:
            raise AssertionError("tessera accepted bad input (exit 0): %s\n  stderr:\n%s"
                                 % (res.cmdline, tail(res.stderr)))
        errs = res.error_lines()
        if not errs:
            raise AssertionError("exit %d but no 'tessera: error:' line on stderr: %s\n  stderr:\n%s"
                                 % (res.rc, res.cmdline, tail(res.stderr)))
        text = "\n".join(errs)
        if causes and not any(c.lower() in text.lower() for c in causes):
            raise AssertionError("error message does not name the cause (expected one of %r): %s\n  got: %s"
                                 % (causes, res.cmdline, text))
        return res


_SHARED = {}


def shared(ctx, key, args, timeout=180, prepare=None):
    """Runs one tessera job once per suite run and lends its dir to every test that
    uses it (so e.g. the six profile tests share one mix). args may contain '{dir}';
    prepare(dir) runs before tessera.
    A failed run is remembered and fails every test that uses it."""
    d = os.path.join(ARTIFACTS, "_shared_" + key)
    if d not in ctx.shared_dirs:
        ctx.shared_dirs.append(d)
    if key not in _SHARED:
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        if prepare:
            prepare(d)
        try:
            res = ctx.tessera([a.replace("{dir}", d) for a in args], timeout=timeout, cwd=d)
            _SHARED[key] = (d, res, None)
        except AssertionError as e:
            _SHARED[key] = (d, None, str(e))
    d, res, err = _SHARED[key]
    if err:
        raise AssertionError("shared job '%s' failed: %s" % (key, err))
    return d, res


def shared_dirs_all():
    return [v[0] for v in _SHARED.values()]


# ---------------------------------------------------------------------------------
# ffprobe / ffmpeg

def ffmpeg(args, timeout=120):
    res = run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"] + list(args), timeout=timeout)
    return res


def probe(path, timeout=60):
    """ffprobe -show_streams -show_format as a dict."""
    res = run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path],
              timeout=timeout)
    if res.rc != 0:
        raise AssertionError("ffprobe cannot read %s: %s" % (path, res.stderr.strip()[-400:]))
    return json.loads(res.stdout)


def streams(info, kind):
    return [s for s in info.get("streams", []) if s.get("codec_type") == kind]


def one_stream(info, kind, path=""):
    s = streams(info, kind)
    if len(s) != 1:
        raise AssertionError("%s: expected 1 %s stream, found %d (%s)"
                             % (path, kind, len(s), [x.get("codec_name") for x in info.get("streams", [])]))
    return s[0]


def packet_times(path, kind, timeout=60):
    """[(pts, duration-or-None)] of the first stream of kind ('v' or 'a'), pts sorted."""
    res = run(["ffprobe", "-v", "error", "-select_streams", kind + ":0", "-show_entries",
               "packet=pts_time,duration_time", "-of", "csv=p=0", path], timeout=timeout)
    if res.rc != 0:
        raise AssertionError("ffprobe packets of %s: %s" % (path, res.stderr.strip()[-400:]))
    out = []
    for line in res.stdout.split():
        parts = line.split(",")
        try:
            pts = float(parts[0])
        except (ValueError, IndexError):
            continue
        dur = None
        if len(parts) > 1:
            try:
                dur = float(parts[1])
            except ValueError:
                pass
        out.append((pts, dur))
    out.sort()
    return out


def stream_timing(path, kind):
    """(duration seconds, packet count, measured packet rate) of the first stream of kind."""
    pk = packet_times(path, kind)
    if not pk:
        raise AssertionError("%s: no %s packets" % (path, "video" if kind == "v" else "audio"))
    first, last = pk[0][0], pk[-1][0]
    last_dur = pk[-1][1]
    if last_dur is None or last_dur <= 0:
        deltas = sorted(b[0] - a[0] for a, b in zip(pk, pk[1:]))
        last_dur = deltas[len(deltas) // 2] if deltas else 0.0
    dur = last + last_dur - first
    rate = (len(pk) - 1) / (last - first) if last > first else 0.0
    return dur, len(pk), rate


def decode_ok(path, what="v", timeout=120):
    """Decodes the whole file; returns (ffmpeg Result, decoded frame count of stream what:0)."""
    res = run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-stats_period", "100",
               "-i", path, "-map", "0:%s:0" % what, "-f", "null", "-"], timeout=timeout)
    return res


def count_frames(path, timeout=120):
    res = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
               "stream=nb_read_frames", "-of", "csv=p=0", path], timeout=timeout)
    if res.rc != 0:
        raise AssertionError("ffprobe -count_frames %s: %s" % (path, res.stderr.strip()[-400:]))
    try:
        return int(res.stdout.strip().split(",")[0]), res
    except ValueError:
        raise AssertionError("ffprobe -count_frames %s: unexpected output %r" % (path, res.stdout))


class Frame:
    """One decoded RGB24 picture."""

    def __init__(self, w, h, data, t=None, path=None):
        self.w, self.h, self.data, self.t, self.path = w, h, data, t, path

    def pixel(self, x, y):
        o = (y * self.w + x) * 3
        return tuple(self.data[o:o + 3])

    def mean(self, x0, y0, x1, y1):
        """Mean colour of the rectangle [x0,x1) x [y0,y1) (clamped to the picture)."""
        x0, y0 = max(0, int(x0)), max(0, int(y0))
        x1, y1 = min(self.w, int(x1)), min(self.h, int(y1))
        if x1 <= x0 or y1 <= y0:
            raise AssertionError("empty sample area %r" % ((x0, y0, x1, y1),))
        s = [0, 0, 0]
        for y in range(y0, y1):
            row = self.data[(y * self.w + x0) * 3:(y * self.w + x1) * 3]
            s[0] += sum(row[0::3])
            s[1] += sum(row[1::3])
            s[2] += sum(row[2::3])
        n = (x1 - x0) * (y1 - y0)
        return tuple(round(c / n) for c in s)

    def mean_at(self, cx, cy, r=4):
        """Mean colour of the (2r+1)x(2r+1) area centred on (cx, cy): 9x9 by default."""
        cx, cy = int(round(cx)), int(round(cy))
        return self.mean(cx - r, cy - r, cx + r + 1, cy + r + 1)

    def white_mask_rows(self, x0, y0, x1, y1, thr=200):
        """Per row y in [y0,y1): the count of pixels with R, G and B all > thr in [x0,x1)."""
        x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(self.w, int(x1)), min(self.h, int(y1))
        rows = []
        for y in range(y0, y1):
            row = self.data[(y * self.w + x0) * 3:(y * self.w + x1) * 3]
            rows.append(sum(1 for r, g, b in zip(row[0::3], row[1::3], row[2::3])
                            if r > thr and g > thr and b > thr))
        return rows

    def count_white(self, x0, y0, x1, y1, thr=200):
        return sum(self.white_mask_rows(x0, y0, x1, y1, thr))

    def white_columns(self, x0, y0, x1, y1, thr=200):
        """Sorted x of columns in [x0,x1) that hold a near-white pixel within [y0,y1)."""
        x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(self.w, int(x1)), min(self.h, int(y1))
        cols = set()
        for y in range(y0, y1):
            row = self.data[(y * self.w + x0) * 3:(y * self.w + x1) * 3]
            for i, (r, g, b) in enumerate(zip(row[0::3], row[1::3], row[2::3])):
                if r > thr and g > thr and b > thr:
                    cols.add(x0 + i)
        return sorted(cols)

    def save_ppm(self, path):
        with open(path, "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (self.w, self.h))
            f.write(self.data)


def grab_frame(path, t, save_dir=None):
    """The frame shown at time t (accurate seek) as RGB24: `ffmpeg -ss t -i path
    -frames:v 1` to PPM (rgb24 bytes plus its size). Saved as PPM into save_dir when
    given, so a failing picture check leaves the picture behind."""
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-ss", "%.3f" % t, "-i", path,
            "-frames:v", "1", "-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "-"]
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("ffmpeg hung grabbing a frame at %.2f s from %s" % (t, path))
    if p.returncode != 0:
        raise AssertionError("cannot grab a frame at %.2f s from %s: %s"
                             % (t, path, p.stderr.decode("utf-8", "replace")[-400:]))
    frame = parse_ppm(p.stdout)
    if frame is None:
        raise AssertionError("no frame at %.2f s in %s (past the end?)" % (t, path))
    frame.t, frame.path = t, path
    if save_dir:
        frame.save_ppm(os.path.join(save_dir, "%s_at_%.2f.ppm" % (os.path.basename(path), t)))
    return frame


def parse_ppm(b):
    if not b.startswith(b"P6"):
        return None
    fields, pos = [], 2
    while len(fields) < 3:
        while b[pos:pos + 1].isspace():
            pos += 1
        if b[pos:pos + 1] == b"#":
            pos = b.index(b"\n", pos) + 1
            continue
        end = pos
        while not b[end:end + 1].isspace():
            end += 1
        fields.append(int(b[pos:end]))
        pos = end
    pos += 1
    w, h, _ = fields
    data = b[pos:pos + w * h * 3]
    if len(data) != w * h * 3:
        return None
    return Frame(w, h, data)


def colour_dist(a, b):
    """Largest per-channel difference."""
    return max(abs(x - y) for x, y in zip(a, b))


def hexc(c):
    return "#%02X%02X%02X" % tuple(c)


def assert_colour(frame, x, y, want, what, tol=COLOUR_TOL):
    got = frame.mean_at(x, y)
    if colour_dist(got, want) > tol:
        raise AssertionError("%s: colour at (%d,%d) t=%.2f is %s, expected %s (tolerance %d) in %s"
                             % (what, x, y, frame.t or 0, hexc(got), hexc(want), tol, frame.path))
    return got


def decode_audio(path, rate=16000, stream="a:0", start=None, duration=None):
    """The audio of path downmixed to mono s16 at rate, as array('h')."""
    argv = ["ffmpeg", "-nostdin", "-v", "error"]
    if start is not None:
        argv += ["-ss", "%.3f" % start]
    argv += ["-i", path]
    if duration is not None:
        argv += ["-t", "%.3f" % duration]
    argv += ["-map", "0:" + stream, "-ac", "1", "-ar", str(rate), "-f", "s16le", "-c:a", "pcm_s16le", "-"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise AssertionError("cannot decode audio of %s: %s" % (path, p.stderr.decode("utf-8", "replace")[-400:]))
    a = array.array("h")
    a.frombytes(p.stdout[:len(p.stdout) // 2 * 2])
    if sys.byteorder != "little":
        a.byteswap()
    return a


def goertzel_db(samples, rate, freq, start_s=0.0, dur_s=1.0):
    """Level of freq in dBFS (a full-scale sine reads 0 dB) over [start_s, start_s+dur_s),
    Hann-windowed Goertzel. Returns -200 for silence."""
    i0 = int(start_s * rate)
    n = int(dur_s * rate)
    seg = samples[i0:i0 + n]
    n = len(seg)
    if n < rate // 10:
        raise AssertionError("audio window %.2f-%.2f s is past the end (%d samples, %.2f s)"
                             % (start_s, start_s + dur_s, len(samples), len(samples) / rate))
    k = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    c = 2.0 * math.pi / (n - 1)
    wsum = 0.0
    for i, x in enumerate(seg):
        w = 0.5 - 0.5 * math.cos(c * i)
        wsum += w
        s0 = x * w + k * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    amp = 2.0 * math.sqrt(max(power, 0.0)) / wsum / 32768.0
    return 20.0 * math.log10(amp) if amp > 1e-10 else -200.0


def rms_db(samples, rate, start_s, dur_s):
    seg = samples[int(start_s * rate):int((start_s + dur_s) * rate)]
    if not seg:
        return -200.0
    r = math.sqrt(sum(x * x for x in seg) / len(seg)) / 32768.0
    return 20.0 * math.log10(r) if r > 1e-10 else -200.0


# ---------------------------------------------------------------------------------
# Layouts

def load_layout(name_or_path):
    path = name_or_path if name_or_path.endswith(".json") else os.path.join(LAYOUTS, name_or_path + ".json")
    with open(path) as f:
        return json.load(f)


def layout_variant(layout, n):
    """The first variant (by max_participants) with max_participants >= n, else the last."""
    variants = sorted(layout["variants"], key=lambda v: v["max_participants"])
    for v in variants:
        if v["max_participants"] >= n:
            return v
    return variants[-1]


def layout_tiles(name_or_path, n, w=1280, h=720):
    """Pixel rectangles (x, y, w, h, slot dict) of the slots used for n participants."""
    v = layout_variant(load_layout(name_or_path), n)
    return [(s["x"] * w, s["y"] * h, s["w"] * w, s["h"] * h, s) for s in v["slots"]]


def tile_point(tile, fx, fy):
    """The point at fractions (fx, fy) of a tile."""
    return tile[0] + fx * tile[2], tile[1] + fy * tile[3]


def tile_centre(tile):
    return tile_point(tile, 0.5, 0.5)


# ---------------------------------------------------------------------------------
# Generated media

def write_png_1bit(path, w, h):
    """A valid black 1-bit greyscale PNG of any size, tiny on disk (for size limits)."""
    def chunk(t, d):
        c = t + d
        return struct.pack(">I", len(d)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    row = b"\0" * (1 + (w + 7) // 8)
    co = zlib.compressobj(9)
    parts = []
    left = h
    while left > 0:
        k = min(left, 1000)
        parts.append(co.compress(row * k))
        left -= k
    parts.append(co.flush())
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0))
                + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


def mp4_top_boxes(path):
    """The top-level ISO-BMFF box types of path, in order (stops at a truncated box)."""
    boxes = []
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        pos = 0
        while pos + 8 <= size:
            f.seek(pos)
            hdr = f.read(16)
            n, typ = struct.unpack(">I4s", hdr[:8])
            if n == 1 and len(hdr) >= 16:
                n = struct.unpack(">Q", hdr[8:16])[0]
            elif n == 0:
                n = size - pos
            if n < 8:
                break
            boxes.append(typ.decode("latin-1"))
            pos += n
    return boxes


def h263_source_format(path):
    """The source-format field of the first H.263 picture header of path's video:
    7 means PLUSPTYPE (H.263+ / h263p); 1-5 are baseline H.263 picture sizes.
    (Matroska stores h263p under the H263 fourcc, so ffprobe says 'h263' for both.)"""
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy",
                        "-frames:v", "1", "-f", "h263", "-"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    b = p.stdout[:8]
    if len(b) < 8:
        raise AssertionError("cannot read the first H.263 picture of %s: %s"
                             % (path, p.stderr.decode("utf-8", "replace")[-300:]))
    bits = bin(int.from_bytes(b, "big"))[2:].zfill(64)
    if bits[:22] != "0000000000000000100000" or bits[30:32] != "10":
        raise AssertionError("%s: first video packet does not start with an H.263 picture header" % path)
    return int(bits[35:38], 2)


def _boxes(d, off, end):
    while off + 8 <= end:
        n, typ = struct.unpack(">I4s", d[off:off + 8])
        hdr = 8
        if n == 1:
            n, hdr = struct.unpack(">Q", d[off + 8:off + 16])[0], 16
        elif n == 0:
            n = end - off
        if n < hdr or off + n > end:
            return                   # truncated box (e.g. a killed writer): stop
        yield typ.decode("latin-1"), off, off + hdr, off + n
        off += n


def _child(d, start, end, typ):
    for t, o, b, e in _boxes(d, start, end):
        if t == typ:
            return o, b, e
    return None


def mp4_fragment_samples(path, handler):
    """Samples of the first track whose hdlr type is handler ('soun', 'vide', 'sbtl',
    'text') in a fragmented MP4, read from moof/traf/trun (edit lists ignored):
    [(start_s, duration_s, bytes)]. Lets a test see sample durations, which ffmpeg 5.1
    drops for mov_text in fragmented files."""
    with open(path, "rb") as f:
        d = f.read()
    moov = _child(d, 0, len(d), "moov")
    if not moov:
        raise AssertionError("%s: no moov box" % path)
    track_id = timescale = None
    for t, o, b, e in _boxes(d, moov[1], moov[2]):
        if t != "trak":
            continue
        tkhd = _child(d, b, e, "tkhd")
        mdia = _child(d, b, e, "mdia")
        if not tkhd or not mdia:
            continue
        hdlr = _child(d, mdia[1], mdia[2], "hdlr")
        if not hdlr or d[hdlr[1] + 8:hdlr[1] + 12].decode("latin-1") != handler:
            continue
        v = d[tkhd[1]]
        track_id = struct.unpack(">I", d[tkhd[1] + (20 if v == 1 else 12):][:4])[0]
        mdhd = _child(d, mdia[1], mdia[2], "mdhd")
        v = d[mdhd[1]]
        timescale = struct.unpack(">I", d[mdhd[1] + (20 if v == 1 else 12):][:4])[0]
        break
    if track_id is None:
        raise AssertionError("%s: no '%s' track" % (path, handler))
    trex_dur = trex_size = 0
    mvex = _child(d, moov[1], moov[2], "mvex")
    if mvex:
        for t, o, b, e in _boxes(d, mvex[1], mvex[2]):
            if t == "trex" and struct.unpack(">I", d[b + 4:b + 8])[0] == track_id:
                trex_dur, trex_size = struct.unpack(">II", d[b + 12:b + 20])
    out, next_dts = [], 0
    for t, moof_off, b, e in _boxes(d, 0, len(d)):
        if t != "moof":
            continue
        for tt, o2, b2, e2 in _boxes(d, b, e):
            if tt != "traf":
                continue
            tfhd = _child(d, b2, e2, "tfhd")
            flags = struct.unpack(">I", d[tfhd[1]:tfhd[1] + 4])[0] & 0xFFFFFF
            if struct.unpack(">I", d[tfhd[1] + 4:tfhd[1] + 8])[0] != track_id:
                continue
            p = tfhd[1] + 8
            base = moof_off
            if flags & 0x1:
                base = struct.unpack(">Q", d[p:p + 8])[0]
                p += 8
            if flags & 0x2:
                p += 4
            ddur, dsize = trex_dur, trex_size
            if flags & 0x8:
                ddur = struct.unpack(">I", d[p:p + 4])[0]
                p += 4
            if flags & 0x10:
                dsize = struct.unpack(">I", d[p:p + 4])[0]
                p += 4
            tfdt = _child(d, b2, e2, "tfdt")
            if tfdt:
                v = d[tfdt[1]]
                next_dts = struct.unpack(">Q" if v == 1 else ">I", d[tfdt[1] + 4:tfdt[1] + (12 if v == 1 else 8)])[0]
            data_pos = base
            for t3, o3, b3, e3 in _boxes(d, b2, e2):
                if t3 != "trun":
                    continue
                tf = struct.unpack(">I", d[b3:b3 + 4])[0] & 0xFFFFFF
                count = struct.unpack(">I", d[b3 + 4:b3 + 8])[0]
                q = b3 + 8
                if tf & 0x1:
                    data_pos = base + struct.unpack(">i", d[q:q + 4])[0]
                    q += 4
                if tf & 0x4:
                    q += 4
                for _ in range(count):
                    dur, size = ddur, dsize
                    if tf & 0x100:
                        dur = struct.unpack(">I", d[q:q + 4])[0]
                        q += 4
                    if tf & 0x200:
                        size = struct.unpack(">I", d[q:q + 4])[0]
                        q += 4
                    if tf & 0x400:
                        q += 4
                    if tf & 0x800:
                        q += 4
                    out.append((next_dts / timescale, dur / timescale, d[data_pos:data_pos + size]))
                    data_pos += size
                    next_dts += dur
    return out


def mov_text_cues(path):
    """Non-empty mov_text samples of a fragmented MP4: [(start_s, end_s, text)]."""
    try:
        samples = mp4_fragment_samples(path, "sbtl")
    except AssertionError:
        samples = mp4_fragment_samples(path, "text")
    cues = []
    for start, dur, data in samples:
        if len(data) >= 2:
            n = struct.unpack(">H", data[:2])[0]
            text = data[2:2 + n].decode("utf-8", "replace")
            if text.strip():
                cues.append((start, start + dur, text))
    return cues


def format_duration(info):
    try:
        return float(info["format"]["duration"])
    except (KeyError, ValueError):
        return None
