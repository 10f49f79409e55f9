"""Integration tests of the output profiles: codecs, sizes, rates, durations and a
picture/tone check of each file from one shared mix of red.mp4 + green.mp4."""
import os
import re

from lib import (GREEN, RED, fixture, shared, probe, one_stream, streams,
                 stream_timing, grab_frame, layout_tiles, tile_centre, assert_colour,
                 decode_audio, goertzel_db, mp4_top_boxes, run, tail, format_duration,
                 h263_source_format)

DUR = 8.0        # both inputs last 8 s and no --duration: the mix lasts 8 s
DUR_TOL = 0.2


def profiles_job(ctx):
    """One mix, six outputs (one per built-in profile)."""
    return shared(ctx, "profiles", [
        "mix", "--quiet",
        "--profile", "hd={dir}/hd.mkv",
        "--profile", "low={dir}/low.mkv",
        "--profile", "legacy={dir}/legacy.mkv",
        "--profile", "phone={dir}/phone.wav",
        "--profile", "record={dir}/rec.mp4",
        "--profile", "broadcast={dir}/hls/index.m3u8",
        fixture("red.mp4"), fixture("green.mp4")], timeout=240,
        prepare=lambda d: os.makedirs(os.path.join(d, "hls")))


def out(ctx, name):
    d, _ = profiles_job(ctx)
    p = os.path.join(d, name)
    if not os.path.isfile(p) or os.path.getsize(p) == 0:
        raise AssertionError("profile output %s missing or empty (tessera exited 0)" % p)
    return p


def check_duration(path, kind, want=DUR, tol=DUR_TOL):
    dur, n, rate = stream_timing(path, kind)
    if abs(dur - want) > tol:
        raise AssertionError("%s: %s lasts %.3f s, expected %.1f +- %.1f"
                             % (path, "video" if kind == "v" else "audio", dur, want, tol))
    return dur, n, rate


def check_format_duration(path, info, want=DUR, tol=DUR_TOL):
    """The duration the container announces (what a player shows)."""
    fd = format_duration(info)
    if fd is None or abs(fd - want) > tol:
        raise AssertionError("%s: the container says %s s, expected %.1f +- %.1f" % (path, fd, want, tol))


def check_video(path, codec, w, h, fps, want_dur=DUR):
    info = probe(path)
    check_format_duration(path, info, want_dur)
    v = one_stream(info, "video", path)
    if codec == "h263p" and v.get("codec_name") == "h263":
        # Matroska keeps h263p under the H263 fourcc: look for H.263+ in the bitstream.
        if h263_source_format(path) != 7:
            raise AssertionError("%s: baseline H.263 (no PLUSPTYPE), expected H.263+ (h263p)" % path)
    elif v.get("codec_name") != codec:
        raise AssertionError("%s: video codec %s, expected %s" % (path, v.get("codec_name"), codec))
    if (v.get("width"), v.get("height")) != (w, h):
        raise AssertionError("%s: video %sx%s, expected %dx%d" % (path, v.get("width"), v.get("height"), w, h))
    dur, n, rate = check_duration(path, "v", want_dur)
    if abs(rate - fps) > 0.03 * fps:
        raise AssertionError("%s: %d video frames over %.2f s = %.2f fps, expected %d"
                             % (path, n, dur, rate, fps))
    return info


def check_audio(path, info, codec, rate=None, channels=None, want_dur=DUR):
    a = one_stream(info, "audio", path)
    if a.get("codec_name") != codec:
        raise AssertionError("%s: audio codec %s, expected %s" % (path, a.get("codec_name"), codec))
    if rate and int(a.get("sample_rate", 0)) != rate:
        raise AssertionError("%s: audio rate %s, expected %d" % (path, a.get("sample_rate"), rate))
    if channels and a.get("channels") != channels:
        raise AssertionError("%s: %s audio channels, expected %d" % (path, a.get("channels"), channels))
    check_duration(path, "a", want_dur)


def check_decodes(path):
    """The whole file decodes with no error from ffmpeg."""
    res = run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", path, "-f", "null", "-"], timeout=120)
    if res.rc != 0 or res.stderr.strip():
        raise AssertionError("ffmpeg reports errors decoding %s (exit %d):\n%s" % (path, res.rc, tail(res.stderr)))


def check_two_tiles(ctx, path):
    """At 4 s the picture (any size) shows red and green in the grid's two slots."""
    f = grab_frame(path, 4.0, ctx.dir)
    tiles = layout_tiles("grid", 2, f.w, f.h)
    assert_colour(f, *tile_centre(tiles[0]), RED, "slot 0 (red.mp4) in %dx%d" % (f.w, f.h))
    assert_colour(f, *tile_centre(tiles[1]), GREEN, "slot 1 (green.mp4) in %dx%d" % (f.w, f.h))


def check_tones(path, rate, freqs, absent=(300.0, 1480.0), start=3.0):
    a = decode_audio(path, rate)
    ref = max(goertzel_db(a, rate, f, start, 1.0) for f in absent)
    for f in freqs:
        lv = goertzel_db(a, rate, f, start, 1.0)
        if lv < ref + 20.0 or lv < -40.0:
            raise AssertionError("%s: %d Hz at %.1f dBFS over %.0f-%.0f s, reference (absent tones) %.1f dBFS:"
                                 " expected > -40 and 20 dB above the reference"
                                 % (path, f, lv, start, start + 1, ref))


def test_profile_hd(ctx):
    p = out(ctx, "hd.mkv")
    info = check_video(p, "h264", 1280, 720, 30)
    check_audio(p, info, "opus", 48000, 1)
    check_decodes(p)
    check_two_tiles(ctx, p)
    check_tones(p, 16000, (440, 620))


def test_profile_low(ctx):
    p = out(ctx, "low.mkv")
    info = check_video(p, "h264", 320, 180, 15)
    check_audio(p, info, "opus", 48000)
    check_decodes(p)
    check_two_tiles(ctx, p)


def test_profile_legacy(ctx):
    p = out(ctx, "legacy.mkv")
    info = check_video(p, "h263p", 352, 288, 15)
    check_audio(p, info, "adpcm_g722", 16000, 1)   # ffprobe's name for G.722
    check_decodes(p)
    check_two_tiles(ctx, p)
    check_tones(p, 16000, (440, 620))


def test_profile_phone(ctx):
    p = out(ctx, "phone.wav")
    info = probe(p)
    check_format_duration(p, info)
    if streams(info, "video"):
        raise AssertionError("%s: phone output has a video stream" % p)
    check_audio(p, info, "pcm_mulaw", 8000, 1)
    check_decodes(p)
    check_tones(p, 8000, (440, 620))


def test_profile_record(ctx):
    p = out(ctx, "rec.mp4")
    info = check_video(p, "h264", 1280, 720, 30)
    check_audio(p, info, "aac")
    subs = streams(info, "subtitle")
    if subs:
        raise AssertionError("%s: subtitle stream(s) %s without --captions" % (p, [s.get("codec_name") for s in subs]))
    boxes = mp4_top_boxes(p)
    if "moof" not in boxes:
        raise AssertionError("%s: not a fragmented MP4, top-level boxes %s" % (p, boxes[:12]))
    check_decodes(p)
    check_two_tiles(ctx, p)
    check_tones(p, 16000, (440, 620))


def test_profile_broadcast(ctx):
    p = out(ctx, os.path.join("hls", "index.m3u8"))
    text = open(p, encoding="utf-8", errors="replace").read()
    if not text.startswith("#EXTM3U"):
        raise AssertionError("%s does not start with #EXTM3U" % p)
    if "#EXT-X-ENDLIST" not in text:
        raise AssertionError("%s: no #EXT-X-ENDLIST after an offline mix that finished" % p)
    lines = [l.strip() for l in text.splitlines()]
    segs, total = [], 0.0
    for i, l in enumerate(lines):
        m = re.match(r"#EXTINF:([0-9.]+)", l)
        if m:
            if float(m.group(1)) <= 0.0:
                raise AssertionError("%s: %s for a segment (%s) that holds media" % (p, l, lines[i + 1]))
            total += float(m.group(1))
            uri = next((x for x in lines[i + 1:] if x and not x.startswith("#")), None)
            if uri is None:
                raise AssertionError("%s: #EXTINF without a segment URI" % p)
            segs.append(uri)
    if not segs:
        raise AssertionError("%s: no segments" % p)
    if abs(total - DUR) > DUR_TOL:
        raise AssertionError("%s: segments add up to %.3f s, expected %.1f +- %.1f" % (p, total, DUR, DUR_TOL))
    for uri in segs:
        sp = os.path.join(os.path.dirname(p), uri)
        if not os.path.isfile(sp):
            raise AssertionError("%s: segment %s is missing" % (p, uri))
        info = probe(sp)
        one = [s.get("codec_name") for s in info["streams"]]
        if "h264" not in one or "aac" not in one:
            raise AssertionError("segment %s holds %s, expected h264 + aac" % (sp, one))
        check_decodes(sp)
    info = probe(p)
    one_stream(info, "video", p)
    check_duration(p, "v")
    check_decodes(p)
    check_two_tiles(ctx, p)


TESTS = [
    ("profile_hd", test_profile_hd),
    ("profile_low", test_profile_low),
    ("profile_legacy", test_profile_legacy),
    ("profile_phone", test_profile_phone),
    ("profile_record", test_profile_record),
    ("profile_broadcast", test_profile_broadcast),
]
