#!/usr/bin/env python3
"""grid9 benchmark: tessera against the equivalent ffmpeg command line on the same
job (9 inputs in a 3x3 grid with name labels, 9-way audio mix, encoded to the hd, low
and legacy profiles), runs alternated A/B, CPU/wall/peak RSS measured with wait4.

Usage: python3 bench/grid9.py [TESSERA_BIN] [--seconds N] [--runs N]
Inputs are generated once into bench/work/ (gitignored) and reused."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")

# Nine distinct flat colours and tones (Hz): tones 40+ Hz apart, none a harmonic of another.
INPUTS = [
    ("p1", "0xDC2828", 330), ("p2", "0x28C83C", 410), ("p3", "0xE6D228", 490),
    ("p4", "0x2850DC", 570), ("p5", "0xC832C8", 650), ("p6", "0x28C8D2", 730),
    ("p7", "0xF08C14", 850), ("p8", "0x783CC8", 970), ("p9", "0x8CC850", 1090),
]
TARGET_RATIO = 0.8
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def log(msg):
    print(msg, flush=True)


def make_inputs(seconds):
    """bench/work/in_<seconds>s/pN.mp4: 640x360@30 flat colour, H.264 + AAC mono tone."""
    d = os.path.join(WORK, "in_%ds" % seconds)
    paths = [os.path.join(d, name + ".mp4") for name, _, _ in INPUTS]
    if all(os.path.isfile(p) and os.path.getsize(p) > 0 for p in paths):
        return paths
    os.makedirs(d, exist_ok=True)
    log("generating 9 inputs of %d s into %s" % (seconds, d))
    for (name, colour, tone), p in zip(INPUTS, paths):
        tmp = p + ".part.mp4"
        argv = ["ffmpeg", "-nostdin", "-v", "error", "-y",
                "-f", "lavfi", "-i", "color=c=%s:s=640x360:r=30:d=%d" % (colour, seconds),
                "-f", "lavfi", "-i", "sine=frequency=%d:sample_rate=48000:duration=%d" % (tone, seconds),
                "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-movflags", "+faststart", tmp]
        if subprocess.run(argv).returncode != 0:
            sys.exit("grid9: ffmpeg could not generate %s" % p)
        os.replace(tmp, p)
    return paths


def tessera_cmd(binary, inputs, out):
    return [binary, "mix", "--quiet", "--layout", "grid",
            "--profile", "hd=" + os.path.join(out, "hd.mkv"),
            "--profile", "low=" + os.path.join(out, "low.mkv"),
            "--profile", "legacy=" + os.path.join(out, "legacy.mkv")] + inputs


def ffmpeg_cmd(inputs, out):
    """The same job as one ffmpeg command line."""
    n = len(inputs)
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    for p in inputs:
        argv += ["-i", p]
    f = []
    font = ("fontfile=%s:" % FONT) if os.path.isfile(FONT) else ""
    for i, (name, _, _) in enumerate(INPUTS[:n]):
        f.append("[%d:v]scale=426:240:flags=bilinear,setsar=1,drawtext=%stext=%s:fontsize=16:fontcolor=white:"
                 "box=1:boxcolor=black@0.6:boxborderw=4:x=8:y=h-th-12[v%d]" % (i, font, name, i))
    layout = "|".join("%s_%s" % ("+".join("w%d" % k for k in range(c)) or "0",
                                 "+".join("h%d" % (k * 3) for k in range(r)) or "0")
                      for r in range(3) for c in range(3))
    f.append("%sxstack=inputs=%d:layout=%s:fill=0x101010,pad=1280:720:1:0:color=0x101010,fps=30,"
             "split=3[vhd][vl0][vg0]" % ("".join("[v%d]" % i for i in range(n)), n, layout))
    f.append("[vl0]scale=320:180:flags=bilinear,fps=15[vlow]")
    f.append("[vg0]scale=352:288:flags=bilinear,fps=15[vleg]")
    f.append("%samix=inputs=%d:normalize=0:duration=longest,asplit=3[ahd0][al0][ag0]"
             % ("".join("[%d:a]" % i for i in range(n)), n))
    f.append("[ahd0]aresample=48000,aformat=channel_layouts=mono[ahd]")
    f.append("[al0]aresample=48000,aformat=channel_layouts=mono[alow]")
    f.append("[ag0]aresample=16000,aformat=channel_layouts=mono[aleg]")
    argv += ["-filter_complex", ";".join(f)]
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "baseline",
            "-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-pix_fmt", "yuv420p"]
    argv += ["-map", "[vhd]", "-map", "[ahd]"] + x264 + [
        "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "1500k",
        "-c:a", "libopus", "-b:a", "48k", "-ar", "48000", "-ac", "1", os.path.join(out, "hd.mkv")]
    argv += ["-map", "[vlow]", "-map", "[alow]"] + x264 + [
        "-b:v", "150k", "-maxrate", "150k", "-bufsize", "150k",
        "-c:a", "libopus", "-b:a", "24k", "-ar", "48000", "-ac", "1", os.path.join(out, "low.mkv")]
    argv += ["-map", "[vleg]", "-map", "[aleg]", "-c:v", "h263p", "-b:v", "384k", "-pix_fmt", "yuv420p",
             "-c:a", "g722", "-ar", "16000", "-ac", "1", os.path.join(out, "legacy.mkv")]
    return argv


def measure(argv, out):
    """Runs argv to completion; returns (wall s, user+sys CPU s, peak RSS MiB)."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    errpath = os.path.join(out, "stderr.txt")
    with open(errpath, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        with open(errpath, "rb") as e:
            tail = e.read()[-2000:].decode("utf-8", "replace")
        sys.exit("grid9: %s exited %d:\n%s\ncommand: %s" % (argv[0], p.returncode, tail, " ".join(argv)))
    for name in ("hd.mkv", "low.mkv", "legacy.mkv"):
        f = os.path.join(out, name)
        if not os.path.isfile(f) or os.path.getsize(f) == 0:
            sys.exit("grid9: %s wrote no %s" % (argv[0], f))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tessera", nargs="?", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--seconds", type=int, default=20, help="media length of each input (default 20)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    args = ap.parse_args()
    if not os.access(args.tessera, os.X_OK):
        sys.exit("grid9: no tessera binary at %s (run make)" % args.tessera)
    inputs = make_inputs(args.seconds)
    jobs = {"tessera": tessera_cmd(os.path.abspath(args.tessera), inputs, os.path.join(WORK, "out_tessera")),
            "ffmpeg": ffmpeg_cmd(inputs, os.path.join(WORK, "out_ffmpeg"))}
    with open(os.path.join(WORK, "commands.txt"), "w") as f:
        for k, v in jobs.items():
            f.write("%s: %s\n" % (k, " ".join("'%s'" % a if (" " in a or ";" in a or "|" in a) else a for a in v)))
    log("grid9: 9 x 640x360@30 %d s -> hd + low + legacy, %d runs each, alternated (A = tessera, B = ffmpeg)"
        % (args.seconds, args.runs))
    log("commands: %s" % os.path.join(WORK, "commands.txt"))
    res = {"tessera": [], "ffmpeg": []}
    for i in range(args.runs):
        for name in ("tessera", "ffmpeg"):
            wall, cpu, rss = measure(jobs[name], os.path.join(WORK, "out_" + name))
            res[name].append((wall, cpu, rss))
            log("run %d %-8s wall %6.2f s  cpu %6.2f s  %5.2f cpu-s/media-s  %5.2fx realtime  peak RSS %6.1f MiB"
                % (i + 1, name, wall, cpu, cpu / args.seconds, args.seconds / wall, rss))
    log("")
    log("medians over %d runs (media %d s):" % (args.runs, args.seconds))
    med = {}
    for name in ("tessera", "ffmpeg"):
        wall = statistics.median(r[0] for r in res[name])
        cpu = statistics.median(r[1] for r in res[name])
        rss = statistics.median(r[2] for r in res[name])
        med[name] = (wall, cpu, rss)
        log("  %-8s %5.2f cpu-s/media-s  %5.2fx realtime  peak RSS %6.1f MiB"
            % (name, cpu / args.seconds, args.seconds / wall, rss))
    ratio = med["tessera"][1] / med["ffmpeg"][1]
    log("  CPU ratio tessera/ffmpeg: %.2f (target <= %.2f): %s"
        % (ratio, TARGET_RATIO, "MET" if ratio <= TARGET_RATIO else "NOT MET"))
    log("  wall ratio tessera/ffmpeg: %.2f, RSS ratio: %.2f"
        % (med["tessera"][0] / med["ffmpeg"][0], med["tessera"][2] / med["ffmpeg"][2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
