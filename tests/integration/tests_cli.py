"""Integration tests of the command line: --help/--version, refusal of bad input with
a message naming the cause, and a record file that survives SIGKILL."""
import os
import random
import re
import signal
import subprocess
import time

from lib import (fixture, tessera_bin, Result, check_not_crashed, run, tail, probe, one_stream,
                 count_frames, write_png_1bit)


def test_help(ctx):
    res = ctx.tessera(["--help"], timeout=30)
    text = res.stdout + res.stderr
    for want in ("mix", "--layout", "--profile", "--captions", "--duration"):
        if want not in text:
            raise AssertionError("tessera --help does not mention %s:\n%s" % (want, tail(text, 40)))
    if res.error_lines():
        raise AssertionError("tessera --help printed an error: %s" % res.error_lines())


def test_version(ctx):
    res = ctx.tessera(["--version"], timeout=30)
    if not re.search(r"\d+\.\d+", res.stdout):
        raise AssertionError("tessera --version printed no version number on stdout: %r" % res.stdout[:200])


def out_opt(ctx):
    return ["--profile", "hd=" + ctx.path("out.mkv")]


def test_bad_missing_file(ctx):
    ctx.expect_error(["mix"] + out_opt(ctx) + ["/nonexistent/dir/missing_clip.mp4"], "missing_clip.mp4")


def test_bad_undecodable(ctx):
    bad = ctx.path("x.mp4")
    with open(bad, "wb") as f:
        f.write(random.Random(1234).randbytes(64 * 1024))
    ctx.expect_error(["mix"] + out_opt(ctx) + [bad], "x.mp4")


def test_bad_layout(ctx):
    ctx.expect_error(["mix", "--layout", "nosuchlayout"] + out_opt(ctx) + [fixture("red.mp4")], "nosuchlayout")


def test_bad_profile_name(ctx):
    ctx.expect_error(["mix", "--profile", "ultra=" + ctx.path("out.mkv"), fixture("red.mp4")], "ultra")


def test_bad_profile_syntax(ctx):
    ctx.expect_error(["mix", "--profile", "hd", fixture("red.mp4")], "profile")


def test_bad_vtt(ctx):
    vtt = ctx.path("noheader.vtt")
    with open(vtt, "w", encoding="utf-8") as f:
        f.write("00:00:01.000 --> 00:00:02.000\nBonjour\n\n00:00:03.000 --> 00:00:04.000\nencore\n")
    ctx.expect_error(["mix", "--captions", vtt] + out_opt(ctx) + [fixture("red.mp4")], "noheader.vtt")


def test_bad_no_inputs(ctx):
    ctx.expect_error(["mix"] + out_opt(ctx), "input")


def test_bad_huge_input(ctx):
    big = ctx.path("big.png")
    write_png_1bit(big, 16000, 16000)     # valid PNG, 30 kB, 16000x16000
    info = probe(big)
    v = one_stream(info, "video", big)
    if (v.get("width"), v.get("height")) != (16000, 16000):
        raise AssertionError("test setup: big.png probes as %sx%s" % (v.get("width"), v.get("height")))
    ctx.expect_error(["mix"] + out_opt(ctx) + [big], "16000")


def test_bad_size(ctx):
    ctx.expect_error(["mix", "--size", "1280x"] + out_opt(ctx) + [fixture("red.mp4")], "1280x", "--size")


def make_clip(path, seconds=60):
    res = run(["ffmpeg", "-nostdin", "-v", "error", "-y",
               "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=%d" % seconds,
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%d" % seconds,
               "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-b:a", "64k", "-shortest", path], timeout=120)
    if res.rc != 0:
        raise AssertionError("test setup: ffmpeg cannot make %s: %s" % (path, res.stderr[-400:]))


def test_record_sigkill(ctx):
    """A record file is usable after tessera is killed mid-way (fragmented MP4)."""
    clip, rec = ctx.path("clip.mp4"), ctx.path("rec.mp4")
    make_clip(clip)
    argv = [tessera_bin(), "mix", clip, "--profile", "record=" + rec, "--quiet"]
    errf = open(ctx.path("tessera.stderr"), "w+b")
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=ctx.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
    try:
        size = 0
        while time.monotonic() - t0 < 6.0:
            if p.poll() is not None:
                break
            size = os.path.getsize(rec) if os.path.exists(rec) else 0
            if size > 300 * 1024:
                break
            time.sleep(0.05)
        early = p.poll()
        if early is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
    errf.seek(0)
    err = errf.read().decode("utf-8", "replace")
    errf.close()
    res = Result(argv, early if early is not None else 0, "", err, time.monotonic() - t0)
    ctx.log(res)
    check_not_crashed(res)
    if early is not None:
        raise AssertionError("tessera exited (%d) after %.1f s before it could be killed (60 s clip): %s\n%s"
                             % (early, time.monotonic() - t0, res.cmdline, tail(err)))
    killed_at = time.monotonic() - t0
    if not os.path.exists(rec):
        raise AssertionError("no %s after %.1f s of recording" % (rec, killed_at))
    size = os.path.getsize(rec)
    n, pr = count_frames(rec)
    dec = run(["ffmpeg", "-nostdin", "-v", "error", "-i", rec, "-f", "null", "-"], timeout=120)
    if dec.rc != 0:
        raise AssertionError("ffmpeg fails on %s (%d bytes) after SIGKILL at %.1f s: %s"
                             % (rec, size, killed_at, tail(dec.stderr)))
    if n <= 30:
        raise AssertionError("%s (%d bytes, killed at %.1f s) decodes to %d video frames, expected > 1 s (30)"
                             % (rec, size, killed_at, n))


TESTS = [
    ("help", test_help),
    ("version", test_version),
    ("bad_missing_file", test_bad_missing_file),
    ("bad_undecodable", test_bad_undecodable),
    ("bad_layout", test_bad_layout),
    ("bad_profile_name", test_bad_profile_name),
    ("bad_profile_syntax", test_bad_profile_syntax),
    ("bad_vtt", test_bad_vtt),
    ("bad_no_inputs", test_bad_no_inputs),
    ("bad_huge_input", test_bad_huge_input),
    ("bad_size", test_bad_size),
    ("record_sigkill", test_record_sigkill),
]
