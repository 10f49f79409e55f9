"""Integration tests of what the mix shows and sounds like: tile colours, fit of odd
shapes, audio-only placeholder, late join, active speaker, burned captions, the
record profile's subtitle track, tones in the mix and the voice-activity timeline."""
import json
import os
import re

from lib import (RED, GREEN, YELLOW, BLUE, PORTRAIT, TALK_A, TALK_B, BACKGROUND, TONES, COLOUR_TOL,
                 fixture, shared, probe, one_stream, grab_frame, layout_tiles, tile_point,
                 tile_centre, assert_colour, colour_dist, hexc, decode_audio, goertzel_db, run, tail,
                 stream_timing, mov_text_cues, format_duration, ffmpeg)

W, H = 1280, 720


def hd_job(ctx, key, inputs, *opts, timeout=180):
    d, res = shared(ctx, key, ["mix", "--quiet", "--profile", "hd={dir}/hd.mkv"] + list(opts) + list(inputs),
                    timeout=timeout)
    return os.path.join(d, "hd.mkv")


def grid4(ctx):
    """red, green, yellow, blue_cif in a grid, 3 s."""
    return hd_job(ctx, "grid4", [fixture(n) for n in ("red.mp4", "green.mp4", "yellow.mp4", "blue_cif.mp4")],
                  "--duration", "3")


def check_size(f, w=W, h=H):
    if (f.w, f.h) != (w, h):
        raise AssertionError("%s: picture is %dx%d, expected %dx%d" % (f.path, f.w, f.h, w, h))


def assert_background(f, x, y, what):
    return assert_colour(f, x, y, BACKGROUND, what + " (background #101010)")


def test_grid_tiles(ctx):
    p = grid4(ctx)
    dur = stream_timing(p, "v")[0]
    if abs(dur - 3.0) > 0.2:
        raise AssertionError("--duration 3: %s lasts %.3f s" % (p, dur))
    f = grab_frame(p, 1.5, ctx.dir)
    check_size(f)
    tiles = layout_tiles("grid", 4)
    for i, (name, col) in enumerate((("red", RED), ("green", GREEN), ("yellow", YELLOW), ("blue_cif", BLUE))):
        assert_colour(f, *tile_centre(tiles[i]), col, "slot %d (%s.mp4) centre" % (i, name))


def test_fit_portrait_cif(ctx):
    """A 9:16 input in a 16:9 tile is letterboxed; a 4:3 CIF one is cropped to fill."""
    p = hd_job(ctx, "fit", [fixture("portrait.mp4"), fixture("blue_cif.mp4")], "--duration", "2")
    f = grab_frame(p, 1.0, ctx.dir)
    check_size(f)
    port, cif = layout_tiles("grid", 2)[:2]
    assert_colour(f, *tile_centre(port), PORTRAIT, "portrait tile centre")
    # The 9:16 picture scaled to the tile height covers the middle 32% of its width:
    # the outer 30% on either side are bars (dark, not the input's colour).
    for fx in (0.08, 0.2, 0.8, 0.92):
        got = f.mean_at(*tile_point(port, fx, 0.4))
        if colour_dist(got, PORTRAIT) <= 60 or max(got) > 60:
            raise AssertionError("portrait tile at x=%.0f%% of its width is %s: expected a dark letterbox bar"
                                 " (portrait.mp4 is 9:16 in a 16:9 tile)" % (fx * 100, hexc(got)))
    # CIF cropped to fill: its colour out to the tile's edges (away from the border
    # and the bottom-left label).
    for fx, fy in ((0.5, 0.5), (0.06, 0.1), (0.94, 0.1), (0.06, 0.5), (0.94, 0.5), (0.5, 0.06),
                   (0.5, 0.94), (0.94, 0.94)):
        x, y = tile_point(cif, fx, fy)
        got = f.mean_at(x, y)
        if colour_dist(got, BLUE) > COLOUR_TOL:
            raise AssertionError("CIF tile at (%.0f%%, %.0f%%) of the tile is %s, expected %s: a 4:3 CIF input"
                                 " must be cropped to fill its 16:9 tile, not letterboxed"
                                 % (fx * 100, fy * 100, hexc(got), hexc(BLUE)))


def test_audio_only_placeholder(ctx):
    p = hd_job(ctx, "audio_only", [fixture("red.mp4"), fixture("audio_only.ogg")], "--duration", "2")
    f = grab_frame(p, 1.0, ctx.dir)
    check_size(f)
    red, ph = layout_tiles("grid", 2)[:2]
    assert_colour(f, *tile_centre(red), RED, "slot 0 (red.mp4)")
    # The centre region of the placeholder (where the circle is) is neither the
    # background nor black.
    x0, y0 = tile_point(ph, 0.35, 0.3)
    x1, y1 = tile_point(ph, 0.65, 0.7)
    centre = f.mean(x0, y0, x1, y1)
    if colour_dist(centre, BACKGROUND) <= 30 or max(centre) < 40:
        raise AssertionError("audio-only tile: centre region mean %s is background/black, expected a placeholder"
                             " circle with initials" % hexc(centre))
    # A circle: its colour (above the initials) differs from the tile's corners...
    ring = f.mean_at(*tile_point(ph, 0.5, 0.38))
    for fx, fy in ((0.06, 0.08), (0.94, 0.08)):
        corner = f.mean_at(*tile_point(ph, fx, fy))
        if colour_dist(corner, ring) <= 30:
            raise AssertionError("audio-only tile: no circle: the corner (%s) and the area above the centre (%s)"
                                 " look the same" % (hexc(corner), hexc(ring)))
    # ...and the initials contrast with it right at the centre.
    cx, cy = tile_centre(ph)
    r = 0.06 * ph[3]
    glyph = 0
    for y in range(int(cy - r), int(cy + r)):
        for x in range(int(cx - r), int(cx + r)):
            if colour_dist(f.pixel(x, y), ring) > 80:
                glyph += 1
    if glyph < 40:
        raise AssertionError("audio-only tile: no initials at the centre (%d pixels contrast with the circle %s)"
                             % (glyph, hexc(ring)))
    a = decode_audio(p, 16000)
    lv, ref = goertzel_db(a, 16000, 1480, 0.5, 1.0), goertzel_db(a, 16000, 300, 0.5, 1.0)
    if lv < ref + 20 or lv < -40:
        raise AssertionError("audio_only.ogg's 1480 Hz is %.1f dBFS in the mix (reference %.1f)" % (lv, ref))


def test_late_join(ctx):
    """A participant joining at 3 s reflows the grid from 2 to 3 tiles."""
    p = hd_job(ctx, "late_join", [fixture("red.mp4"), fixture("green.mp4"), "name=Late,at=3:" + fixture("blue_cif.mp4")])
    dur = stream_timing(p, "v")[0]
    if abs(dur - 11.0) > 0.2:
        raise AssertionError("mix lasts %.3f s, expected 11 (Late joins at 3 s with an 8 s clip)" % dur)
    f = grab_frame(p, 1.5, ctx.dir)
    check_size(f)
    t2 = layout_tiles("grid", 2)
    assert_colour(f, *tile_centre(t2[0]), RED, "t=1.5 (2 present) slot 0 red")
    assert_colour(f, *tile_centre(t2[1]), GREEN, "t=1.5 (2 present) slot 1 green")
    assert_background(f, W * 0.5, H * 0.1, "t=1.5 above the 2 tiles")
    assert_background(f, W * 0.25, H * 0.875, "t=1.5 below the 2 tiles (blue not joined yet)")
    f = grab_frame(p, 5.0, ctx.dir)
    t3 = layout_tiles("grid", 3)
    if len(t3) < 4:
        raise AssertionError("test assumption: grid variant for 3 has 4 slots, got %d" % len(t3))
    assert_colour(f, *tile_centre(t3[0]), RED, "t=5 (3 present) slot 0 red")
    assert_colour(f, *tile_centre(t3[1]), GREEN, "t=5 (3 present) slot 1 green")
    assert_colour(f, *tile_centre(t3[2]), BLUE, "t=5 (3 present) slot 2 blue (Late)")
    assert_background(f, *tile_centre(t3[3]), "t=5 (3 present) empty slot 3")


def test_speaker_switch(ctx):
    """talk_a speaks 0-4 s, talk_b 4-8 s: the speaker slot follows, after a 1.5 s hold."""
    p = hd_job(ctx, "speaker", [fixture("talk_a.mp4"), fixture("talk_b.mp4")], "--layout", "speaker")
    tiles = layout_tiles("speaker", 2)
    spk = [t for t in tiles if t[4].get("role") == "speaker"]
    other = [t for t in tiles if t[4].get("role") != "speaker"]
    if not spk or not other:
        raise AssertionError("test assumption: speaker variant for 2 has a speaker slot and another slot")
    spk, other = spk[0], other[0]
    # talk_b starts at 4.0 s; with the 1.5 s hold it takes over at ~5.5 s.
    for t, who, col, oth in ((3.0, "talk_a", TALK_A, TALK_B), (5.0, "talk_a (1.5 s hold)", TALK_A, TALK_B),
                             (6.2, "talk_b (hold over)", TALK_B, TALK_A), (7.0, "talk_b", TALK_B, TALK_A)):
        f = grab_frame(p, t, ctx.dir)
        check_size(f)
        assert_colour(f, *tile_centre(spk), col, "speaker slot at t=%.1f should show %s" % (t, who))
        assert_colour(f, *tile_centre(other), oth, "the other slot at t=%.1f" % t)


CAPTION_TIMES = ((2.0, True), (3.5, False), (5.2, True), (7.0, False))


def captions_job(ctx):
    d, _ = shared(ctx, "captions", ["mix", "--quiet", "--captions", fixture("captions_fr.vtt"),
                                    "--profile", "hd={dir}/hd.mkv", "--profile", "record={dir}/rec.mp4",
                                    fixture("red.mp4"), fixture("green.mp4")], timeout=180)
    return d


def white_rows(f, y0f=0.76):
    """Rows y in [y0f*H, H) holding near-white pixels (x in [0.02W, 0.98W]). With
    two inputs the grid's tiles end at 0.75H, so only caption text is white there."""
    rows = f.white_mask_rows(0.02 * f.w, y0f * f.h, 0.98 * f.w, f.h)
    return [int(y0f * f.h) + i for i, n in enumerate(rows) if n > 0]


def test_captions_burned(ctx):
    p = os.path.join(captions_job(ctx), "hd.mkv")
    counts, extents = {}, {}
    for t, active in CAPTION_TIMES:
        f = grab_frame(p, t, ctx.dir)
        check_size(f)
        n = f.count_white(0.3 * W, 0.75 * H, 0.7 * W, 0.97 * H)
        counts[t] = n
        if active and n < 300:
            raise AssertionError("t=%.1f: a cue is active but only %d near-white pixels in the caption band" % (t, n))
        if not active and n > 20:
            raise AssertionError("t=%.1f: no cue is active but %d near-white pixels in the caption band" % (t, n))
        if active:
            ys = white_rows(f)
            extents[t] = ys[-1] - ys[0] + 1
            if ys[-1] > 0.965 * H:
                raise AssertionError("t=%.1f: caption text reaches y=%d; the caption box ends ~4%% above the"
                                     " bottom (y <= %d)" % (t, ys[-1], 0.965 * H))
            cols = f.white_columns(0, 0.76 * H, W, H)
            mid = (cols[0] + cols[-1]) / 2.0
            if abs(mid - W / 2) > 0.03 * W:
                raise AssertionError("t=%.1f: caption text spans x %d-%d, centred at %.0f, expected ~%d"
                                     % (t, cols[0], cols[-1], mid, W / 2))
    ratio = extents[5.2] / float(extents[2.0])
    if not 1.6 <= ratio <= 2.8:
        raise AssertionError("Bruno's cue (wraps to 2 lines) is %d px tall vs Alice's one line %d px: ratio %.2f,"
                             " expected 2 lines (1.6-2.8)" % (extents[5.2], extents[2.0], ratio))


SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d),(\d\d\d) --> (\d+):(\d\d):(\d\d),(\d\d\d)")


def test_record_subtitles(ctx):
    p = os.path.join(captions_job(ctx), "rec.mp4")
    info = probe(p)
    s = one_stream(info, "subtitle", p)
    if s.get("codec_name") != "mov_text":
        raise AssertionError("%s: subtitle codec %s, expected mov_text" % (p, s.get("codec_name")))
    res = run(["ffmpeg", "-nostdin", "-v", "error", "-i", p, "-map", "0:s", "-f", "srt", "-"], timeout=60)
    if res.rc != 0:
        raise AssertionError("ffmpeg cannot extract the subtitles of %s: %s" % (p, res.stderr[-400:]))
    srt = res.stdout
    with open(ctx.path("rec.srt"), "w", encoding="utf-8") as fh:
        fh.write(srt)
    flat = " ".join(srt.split())
    for want in ("Bonjour à tous, c'est l'heure !", "Merci Alice.", "« budget prévisionnel »",
                 "service par service."):
        if want not in flat:
            raise AssertionError("subtitle text lacks %r; got:\n%s" % (want, tail(srt)))
    if "<v" in srt or "</v>" in srt:
        raise AssertionError("WebVTT voice tags leak into the subtitle text:\n%s" % tail(srt))
    starts = [a * 3600 + b * 60 + c + d / 1000.0 for a, b, c, d in
              (tuple(int(g) for g in m.groups()[:4]) for m in SRT_TIME.finditer(srt))]
    for want in (1.0, 4.0):
        if not any(abs(s0 - want) <= 0.1 for s0 in starts):
            raise AssertionError("ffmpeg sees no subtitle starting at %.1f s; starts are %s" % (want, starts))
    # ffmpeg 5.1 drops mov_text sample durations in fragmented MP4 (its SRT shows
    # zero-length cues even for its own files): read the cue times from the trun boxes.
    cues = mov_text_cues(p)
    if len(cues) != 2:
        raise AssertionError("%d non-empty subtitle samples, expected 2: %r" % (len(cues), cues))
    for (s0, s1, text), (w0, w1, word) in zip(cues, ((1.0, 3.0, "Bonjour"), (4.0, 6.5, "budget"))):
        if word not in text or abs(s0 - w0) > 0.1 or abs(s1 - w1) > 0.1:
            raise AssertionError("subtitle sample %.3f-%.3f s %r, expected %.1f-%.1f s with %r"
                                 % (s0, s1, text[:40], w0, w1, word))
    fd = format_duration(info)
    if fd is None or abs(fd - 8.0) > 0.2:
        raise AssertionError("%s: the file says it lasts %s s, the mix lasts 8 s (streams: %s)" % (
            p, fd, ["%s %s" % (x.get("codec_name"), x.get("duration")) for x in info["streams"]]))


def test_mix_tones(ctx):
    """Each input's tone is in the hd mix, well above a frequency nobody sends."""
    p = grid4(ctx)
    a = decode_audio(p, 16000)
    for start in (0.5, 1.5):
        ref = max(goertzel_db(a, 16000, f, start, 1.0) for f in (300, 1250, 1480))
        for name in ("red", "green", "yellow", "blue_cif"):
            lv = goertzel_db(a, 16000, TONES[name], start, 1.0)
            if lv < ref + 20 or lv < -40:
                raise AssertionError("%s's %d Hz over %.1f-%.1f s: %.1f dBFS, reference (absent tones) %.1f dBFS;"
                                     " expected > -40 and 20 dB above" % (name, TONES[name], start, start + 1, lv, ref))


def test_timeline(ctx):
    tl = ctx.path("timeline.json")
    ctx.tessera(["mix", "--quiet", "--timeline", tl, "--profile", "phone=" + ctx.path("phone.wav"),
                 fixture("talk_a.mp4"), "name=Bruno:" + fixture("talk_b.mp4")])
    try:
        with open(tl, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as e:
        raise AssertionError("--timeline %s: not readable JSON: %s" % (tl, e))
    if abs(float(doc.get("duration", -1)) - 8.0) > 0.2:
        raise AssertionError("timeline duration %r, expected 8" % doc.get("duration"))
    parts = doc.get("participants")
    names = [x.get("name") for x in parts or []]
    if names != ["talk_a", "Bruno"]:
        raise AssertionError("timeline participants %r, expected ['talk_a', 'Bruno'] (file name without"
                             " extension unless name= is given)" % names)
    for x in parts:
        segs = x.get("segments")
        if not isinstance(segs, list) or any(len(s) != 2 or not s[0] < s[1] for s in segs):
            raise AssertionError("%s: malformed segments %r" % (x["name"], segs))
        if any(b[0] < a[1] for a, b in zip(segs, segs[1:])):
            raise AssertionError("%s: segments unsorted or overlapping %r" % (x["name"], segs))
    a, b = parts[0]["segments"], parts[1]["segments"]
    if not any(s[0] <= 0.5 and abs(s[1] - 4.0) <= 0.5 for s in a):
        raise AssertionError("talk_a speaks 0-4 s; its segments are %r" % a)
    if any(s[1] > 4.5 for s in a):
        raise AssertionError("talk_a is silent after 4 s; its segments are %r" % a)
    if not any(abs(s[0] - 4.0) <= 0.5 and s[1] >= 7.5 for s in b):
        raise AssertionError("Bruno (talk_b) speaks 4-8 s; its segments are %r" % b)
    if any(s[0] < 3.5 for s in b):
        raise AssertionError("Bruno (talk_b) is silent before 4 s; its segments are %r" % b)


def test_stalled_video_placeholder(ctx):
    """A video that stops while its audio goes on keeps its last frame, then shows the
    placeholder once it has been stale for more than 2 s."""
    clip = ctx.path("short_video.mkv")
    ffmpeg(["-f", "lavfi", "-i", "color=c=0xDC2828:s=320x180:r=30:d=1",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=5",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libopus", clip])
    p = hd_job(ctx, "stalled", ["name=Stalled:" + clip])
    full = layout_tiles("grid", 1)[0]
    assert_colour(grab_frame(p, 0.5, ctx.dir), *tile_centre(full), RED, "video playing at 0.5 s")
    # Last frame repeated while stale for under 2 s (the video ended at 1 s).
    assert_colour(grab_frame(p, 2.5, ctx.dir), *tile_centre(full), RED, "last frame kept at 2.5 s")
    late = grab_frame(p, 4.0, ctx.dir)
    corner = late.mean_at(*tile_point(full, 0.06, 0.08))
    if colour_dist(corner, RED) < 60:
        raise AssertionError("at 4.0 s (3 s without video) the tile still shows the last frame (%s), "
                             "expected the placeholder" % hexc(corner))


def test_profile_encoded_once(ctx):
    """Two outputs of one profile share its single encoder: identical packets."""
    ctx.tessera(["mix", "--quiet", "--duration", "2", "--profile", "low=" + ctx.path("a.mkv"),
                 "--profile", "low=" + ctx.path("b.mkv"), fixture("red.mp4"), fixture("green.mp4")])
    pa = lib_packet_hashes(ctx.path("a.mkv"))
    pb = lib_packet_hashes(ctx.path("b.mkv"))
    if not pa or pa != pb:
        raise AssertionError("the two outputs of profile low differ (%d vs %d packets): "
                             "not one shared encode" % (len(pa), len(pb)))


def lib_packet_hashes(path):
    import subprocess
    out = subprocess.run(["ffprobe", "-v", "error", "-show_packets", "-show_data_hash", "MD5",
                          "-of", "compact", path], capture_output=True, text=True, timeout=60).stdout
    return [line.split("data_hash=")[-1] for line in out.splitlines() if "data_hash=" in line]


TESTS = [
    ("grid_tiles", test_grid_tiles),
    ("mix_tones", test_mix_tones),
    ("fit_portrait_cif", test_fit_portrait_cif),
    ("audio_only_placeholder", test_audio_only_placeholder),
    ("late_join", test_late_join),
    ("speaker_switch", test_speaker_switch),
    ("captions_burned", test_captions_burned),
    ("record_subtitles", test_record_subtitles),
    ("timeline", test_timeline),
    ("stalled_video_placeholder", test_stalled_video_placeholder),
    ("profile_encoded_once", test_profile_encoded_once),
]
