"""Integration tests of what SIP callers receive and send: the PIN time limit, what
a caller waiting for its PIN is sent (only the prompt, no room video), video callers
(H.264 and H.263-1998 sent by ffmpeg, the room's video decoded back), hold (no RTP
to a held caller) and the spoken PIN prompt."""
import math
import os
import subprocess
import sys
import time

import lib
import serve
import tests_sip

sys.path.insert(0, os.path.join(lib.ROOT, "tests", "tools"))
import sip_uac                  # noqa: E402


def test_sip_pin_timeout(ctx):
    """sip_pin_timeout_s 3: a caller that keys nothing gets our BYE (Reason 403,
    "in time") between 2.5 and 6 s after its answer and was never listed; a caller
    that keys the right PIN in time stays in the call past the limit."""
    srv = tests_sip.sip_server(ctx, sip_default_room="lobby", sip_pin="1234", sip_pin_timeout_s=3)
    a = b = None
    try:
        srv.ok("POST", "/rooms", {"id": "lobby"})
        a = sip_uac.Phone(srv.sip_port, "Slow", "slow")
        b = sip_uac.Phone(srv.sip_port, "Quick", "quick")
        t0 = time.monotonic()
        ra = a.invite("lobby", a.offer(["PCMU"]))
        rb = b.invite("lobby", b.offer(["PCMU"]))
        if not ra or ra.status != 200 or not rb or rb.status != 200:
            raise AssertionError("INVITEs: %s / %s" % (ra, rb))
        b.send_dtmf(sip_uac.sdp_media(rb.body)[0][1], "1234#")
        tests_sip.wait_participants(srv, "lobby", lambda ps: [p["name"] for p in ps] == ["Quick"], 3,
                                    "the caller with the right PIN")
        if a.wait_request("BYE", max(0.0, t0 + 2.2 - time.monotonic())):
            raise AssertionError("the waiting caller was hung up after %.1f s, before the 3 s limit"
                                 % (time.monotonic() - t0))
        if not a.wait_request("BYE", t0 + 6.0 - time.monotonic()):
            raise AssertionError("no BYE %.1f s after the answer with sip_pin_timeout_s 3" % (time.monotonic() - t0))
        took = time.monotonic() - t0
        bye = [m for m in a.requests if m.method == "BYE"][0]
        reason = bye.get("reason")
        if "cause=403" not in reason or "in time" not in reason:
            raise AssertionError("the BYE's Reason is %r (expected cause=403 and 'in time')" % reason)
        if took < 2.5:
            raise AssertionError("BYE after %.1f s, before the limit" % took)
        time.sleep(0.5)
        if [p["name"] for p in tests_sip.participants(srv, "lobby")] != ["Quick"] or b.requests:
            raise AssertionError("after the time limit: room lists %s, the admitted caller got %s"
                                 % (tests_sip.participants(srv, "lobby"), [m.method for m in b.requests]))
        if "no right PIN within 3 s" not in srv.read_log():
            raise AssertionError("the log does not say why the caller was hung up")
        r = b.bye()
        if not r or r.status != 200:
            raise AssertionError("BYE of the admitted caller: %s" % r)
    finally:
        for p in (a, b):
            if p:
                p.close()
        srv.stop()


def video_sender(ctx, codec, colour, port, seconds):
    """ffmpeg sending a flat colour to tessera's video port in real time, from a port
    of its own (tessera does not latch onto the source address): H.264 constrained
    baseline 640x360 as PT 96, or H.263+ CIF as PT 97; a keyframe every second."""
    local = serve.free_port_block(2)
    src = "color=c=0x%02X%02X%02X:s=%s:r=25:d=%s" % (colour + ("640x360" if codec == "H264" else "352x288",
                                                              seconds))
    enc = (["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline",
            "-pix_fmt", "yuv420p", "-payload_type", "96"] if codec == "H264" else
           ["-c:v", "h263p", "-b:v", "300k", "-payload_type", "97"])
    argv = (["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", src, "-g", "25"] + enc +
            ["-f", "rtp", "rtp://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (port, local, local + 1)])
    log = open(ctx.path("video_sender.log"), "w")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def video_receiver(ctx, pt, rtpmap, fmtp, seconds):
    """ffmpeg receiving what the phone forwards (its own port) from an SDP of the
    answer's video codec, for `seconds`, into caller_video.mkv. Returns (process, port)."""
    port = serve.free_port_block(2)
    sdp = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=caller\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=video %d RTP/AVP %d\r\na=rtpmap:%d %s\r\n%s" % (port, pt, pt, rtpmap,
                                                               "a=fmtp:%d %s\r\n" % (pt, fmtp) if fmtp else ""))
    path = ctx.path("caller_video.sdp")
    with open(path, "w") as f:
        f.write(sdp)
    log = open(ctx.path("caller_video.log"), "w")
    proc = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-protocol_whitelist", "file,udp,rtp",
                             "-i", path, "-t", str(seconds), "-c:v", "ffv1", "-y", ctx.path("caller_video.mkv")],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, port


def video_call(ctx, offered, want_codec, want_pt, size, colour):
    """A video phone offers PCMU/G.722 and the video codecs `offered`; checks the
    answer picked want_codec (PT want_pt, and packetization-mode=1 for H.264); ffmpeg
    then sends a flat colour and the phone a 700 Hz tone; the phone forwards the
    video it receives to an ffmpeg receiver. Checks: the room's recording shows the
    caller's tile in its colour with its name label, has its tone; the caller got
    decodable video of the profile's size."""
    srv = tests_sip.sip_server(ctx)
    ph = sender = receiver = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "outputs": [{"profile": "low", "url": "rec.mkv"}]})
        ph = sip_uac.Phone(srv.sip_port, "Vera Video", "vera", video=True)
        ph.rtp_path = ctx.path("heard.raw")
        r = ph.invite("r1", ph.offer(["PCMU", "G722"], video=offered))
        if not r or r.status != 200:
            raise AssertionError("video INVITE: %s" % r)
        media = {m[0]: m for m in sip_uac.sdp_media(r.body)}
        video, audio = media.get("video"), media.get("audio")
        fmtp = sip_uac.sdp_fmtp(r.body, "video")
        if (not video or not video[1] or video[2][0] != want_pt or video[3].get(want_pt) != want_codec + "/90000"
                or (want_codec == "H264" and "packetization-mode=1" not in fmtp.get(want_pt, ""))):
            raise AssertionError("the answer does not pick %s (PT %d%s):\n%s"
                                 % (want_codec, want_pt, ", packetization-mode=1" if want_codec == "H264" else "",
                                    r.body))
        receiver, fwd = video_receiver(ctx, want_pt, video[3][want_pt], fmtp.get(want_pt, ""), 5)
        ph.start_video(fwd)
        codec = "G722" if audio[2][0] == 9 else "PCMU"
        ph.start_media(audio[1], sip_uac.encode_tone(ctx.path("tone.raw"), codec, 700, 8), audio[2][0])
        sender = video_sender(ctx, want_codec, colour, video[1], 8)
        tests_sip.wait_participants(srv, "r1", lambda ps: ps and ps[0]["video_frames"] > 25, 8,
                                    "the caller's video decoded")
        serve.wait(receiver, 20, "ffmpeg receiving the caller's video")
        serve.wait(sender, 20, "ffmpeg sending the caller's video")
        ph.stop_media()
        ph.stop_video()
        r = ph.bye()
        if not r or r.status != 200:
            raise AssertionError("BYE: %s" % r)
    finally:
        for p in (sender, receiver):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if ph:
            ph.close()
        srv.stop()
    # What the room recorded: the caller's tile in its colour, its label, its tone.
    f = lib.grab_frame(ctx.path("rec.mkv"), 4.0, ctx.dir)
    tile = lib.layout_tiles("grid", 1, f.w, f.h)[0]
    lib.assert_colour(f, *lib.tile_centre(tile), colour, "the SIP video caller's tile centre")
    x0, y0 = lib.tile_point(tile, 0.0, 0.75)
    x1, y1 = lib.tile_point(tile, 0.5, 1.0)
    # At 320x180 the label's white text is blurred: > 150 on every channel counts
    # (the tile's own colour has a channel far below that).
    white = f.count_white(x0, y0, x1, y1, thr=150)
    if white < 40:
        raise AssertionError("no name label in the caller's tile (%d light pixels bottom left)" % white)
    a = lib.decode_audio(ctx.path("rec.mkv"), 16000)
    lv, ref = tests_sip.tone_level(a, 16000, 700)
    if lv < -35 or lv < ref + 20:
        raise AssertionError("the caller's 700 Hz is %.1f dB in the recording (300 Hz: %.1f dB)" % (lv, ref))
    # What the caller received: video of the profile's size that decodes.
    info = lib.probe(ctx.path("caller_video.mkv"))
    v = lib.one_stream(info, "video", "caller_video.mkv")
    frames = lib.count_frames(ctx.path("caller_video.mkv"))[0]
    if (v["width"], v["height"]) != size or frames < 20:
        raise AssertionError("the caller received %dx%d video, %d frames in 5 s (expected %dx%d, >= 20)"
                             % (v["width"], v["height"], frames, size[0], size[1]))


def test_sip_video_h264(ctx):
    """A SIP video caller offering H.264 (42e01f, mode 1) and H.263-1998 is answered
    H.264 mode 1; its blue picture and 700 Hz tone are in the room's recording with
    its name label; it receives the `low` profile (320x180) that ffmpeg decodes."""
    video_call(ctx, ["H264", "H263-1998"], "H264", 96, (320, 180), lib.BLUE)


def test_sip_video_h263(ctx):
    """A SIP video caller offering only H.263-1998 is answered H.263-1998; its green
    CIF picture is in the recording; it receives the `legacy` profile (352x288)."""
    video_call(ctx, ["H263-1998"], "H263-1998", 97, (352, 288), lib.GREEN)


def test_sip_video_pin_hold(ctx):
    """A video caller waiting for its PIN is sent the prompt but no video RTP, and is
    not listed; after the right PIN it receives the room's video. On hold (sendonly
    audio and video) it is sent no RTP at all; after resume, audio and video again."""
    srv = tests_sip.sip_server(ctx, sip_default_room="lobby", sip_pin="1234")
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "lobby"})
        ph = sip_uac.Phone(srv.sip_port, "Wanda", "wanda", video=True)
        r = ph.invite("lobby", ph.offer(["PCMU"], video=["H264"]))
        if not r or r.status != 200:
            raise AssertionError("INVITE: %s" % r)
        media = {m[0]: m for m in sip_uac.sdp_media(r.body)}
        if not media.get("video") or not media["video"][1]:
            raise AssertionError("video not answered:\n%s" % r.body)
        ph.start_video()
        ph.start_media(media["audio"][1], sip_uac.encode_tone(ctx.path("tone.raw"), "PCMU", 700, 20), 0)

        def counts(seconds):
            t0 = time.monotonic()
            time.sleep(seconds)
            t1 = time.monotonic()
            with ph.lock:
                audio = len([1 for t, pt, _, _ in ph.received if t0 <= t < t1 and pt == 0])
            return audio, ph.video_packets(t0, t1)

        time.sleep(0.5)
        audio, video = counts(2.5)
        if audio < 50 or video:
            raise AssertionError("waiting for its PIN the caller got %d audio and %d video RTP packets in 2.5 s "
                                 "(expected the prompt's audio and no video)" % (audio, video))
        if tests_sip.participants(srv, "lobby"):
            raise AssertionError("a waiting video caller is listed")
        ph.send_dtmf(media["audio"][1], "1234#")
        tests_sip.wait_participants(srv, "lobby", lambda ps: len(ps) == 1, 3, "right PIN did not admit")
        time.sleep(0.5)
        audio, video = counts(2.0)
        if audio < 50 or video < 20:
            raise AssertionError("admitted, the caller got %d audio and %d video RTP packets in 2 s" % (audio, video))
        r = ph.reinvite(ph.offer(["PCMU"], direction="sendonly", video=["H264"]))
        if not r or r.status != 200 or [m[4] for m in sip_uac.sdp_media(r.body)] != ["recvonly", "recvonly"]:
            raise AssertionError("hold re-INVITE answered: %s" % (r and r.body))
        time.sleep(0.5)
        audio, video = counts(2.0)
        if audio or video:
            raise AssertionError("on hold the caller got %d audio and %d video RTP packets in 2 s (expected none)"
                                 % (audio, video))
        r = ph.reinvite(ph.offer(["PCMU"], video=["H264"]))
        if not r or r.status != 200:
            raise AssertionError("resume re-INVITE: %s" % r)
        time.sleep(0.5)
        audio, video = counts(2.0)
        if audio < 50 or video < 20:
            raise AssertionError("resumed, the caller got %d audio and %d video RTP packets in 2 s" % (audio, video))
        ph.stop_media()
        ph.stop_video()
        ph.bye()
    finally:
        if ph:
            ph.close()
        srv.stop()


def envelope(samples, rate, frame_s=0.02):
    """RMS of each frame_s of samples."""
    n = int(rate * frame_s)
    return [math.sqrt(sum(x * x for x in samples[i:i + n]) / n) for i in range(0, len(samples) - n + 1, n)]


def best_correlation(signal, template, max_lag):
    """Highest Pearson correlation of template with signal[lag:], lag 0..max_lag frames."""
    def corr(a, b):
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
        den = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
        return num / den if den else 0.0
    best = (-1.0, 0)
    for lag in range(0, max_lag + 1):
        seg = signal[lag:lag + len(template)]
        if len(seg) < len(template):
            break
        best = max(best, (corr(seg, template), lag))
    return best


def tone_share(samples, rate, start_s, dur_s):
    """(share of the strongest 100 Hz bin in the energy of 200-3400 Hz, bins within
    20 dB of it): a pure tone is ~1 and one bin; speech spreads."""
    levels = [lib.goertzel_db(samples, rate, f, start_s, dur_s) for f in range(200, 3401, 100)]
    power = [10 ** (lv / 10) for lv in levels]
    top = max(levels)
    return max(power) / sum(power), len([lv for lv in levels if lv > top - 20])


def prompt_file(name):
    return os.path.join(os.path.dirname(lib.tessera_bin()), "prompts", name)


def test_sip_spoken_prompt(ctx):
    """With the espeak-ng prompts of the build, a caller waiting for its PIN hears
    speech, not the 440 Hz beep: its energy spreads over the speech band, and its
    loudness envelope matches pin_enter.wav (correlation > 0.7); after a wrong PIN it
    hears pin_wrong.wav. With no prompt in sip_prompt_dir, the beep (logged)."""
    for name in ("pin_enter.wav", "pin_wrong.wav"):
        if not os.path.isfile(prompt_file(name)):
            raise AssertionError("%s missing: the build renders it with espeak-ng (scripts/deps.sh)"
                                 % prompt_file(name))
    srv = tests_sip.sip_server(ctx, sip_default_room="lobby", sip_pin="1234")
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "lobby"})
        ph = sip_uac.Phone(srv.sip_port, "Paul", "paul")
        ph.rtp_path = ctx.path("heard.raw")
        r = ph.invite("lobby", ph.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("INVITE: %s" % r)
        port = sip_uac.sdp_media(r.body)[0][1]
        ph.start_media(port, b"", 0)
        t0 = time.monotonic()
        time.sleep(5.0)
        heard = tests_sip.heard(ph, "PCMU", t0, time.monotonic(), ph.rtp_path)
        t1 = time.monotonic()          # the wrong-PIN prompt starts within the keys' 0.6 s
        ph.send_dtmf(port, "9#")
        time.sleep(3.5)
        heard_wrong = tests_sip.heard(ph, "PCMU", t1, time.monotonic(), ctx.path("heard_wrong.raw"))
        ph.stop_media()
        ph.bye()
    finally:
        if ph:
            ph.close()
        srv.stop()
    if "spoken prompt " + prompt_file("pin_enter.wav") not in srv.read_log():
        raise AssertionError("the log does not show the spoken prompt loaded")
    share, bins = tone_share(heard, 8000, 0.3, 2.5)
    if share > 0.5 or bins < 5 or lib.rms_db(heard, 8000, 0.3, 2.5) < -40:
        raise AssertionError("the waiting caller's audio is not speech: the strongest 100 Hz bin holds %.0f%% "
                             "of the energy, %d bins within 20 dB, %.1f dBFS" % (100 * share, bins,
                                                                               lib.rms_db(heard, 8000, 0.3, 2.5)))
    for got, name in ((heard, "pin_enter.wav"), (heard_wrong, "pin_wrong.wav")):
        template = envelope(lib.decode_audio(prompt_file(name), 8000), 8000)
        c, lag = best_correlation(envelope(got, 8000), template, 75)
        if c < 0.7:
            raise AssertionError("what the caller heard does not follow %s (envelope correlation %.2f)" % (name, c))


def test_sip_prompt_fallback(ctx):
    """sip_prompt_dir without prompt files: logged, and a waiting caller hears the
    440 Hz beep (one strong bin) instead."""
    srv = tests_sip.sip_server(ctx, sip_default_room="lobby", sip_pin="1234", sip_prompt_dir=ctx.dir)
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "lobby"})
        ph = sip_uac.Phone(srv.sip_port, "Bea", "bea")
        ph.rtp_path = ctx.path("heard.raw")
        r = ph.invite("lobby", ph.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("INVITE: %s" % r)
        ph.start_media(sip_uac.sdp_media(r.body)[0][1], b"", 0)
        t0 = time.monotonic()
        time.sleep(2.5)
        heard = tests_sip.heard(ph, "PCMU", t0, time.monotonic(), ph.rtp_path)
        ph.stop_media()
        ph.bye()
    finally:
        if ph:
            ph.close()
        srv.stop()
    if "hear a beep instead" not in srv.read_log():
        raise AssertionError("the missing prompt is not logged")
    if tests_sip.peak_level(heard, 440) < -30:
        raise AssertionError("no 440 Hz beep without prompt files (%.1f dB)" % tests_sip.peak_level(heard, 440))


def test_sip_baresip_call(ctx):
    """baresip (a second, independent SIP stack; package baresip-core) dials
    sip:r1@ headless with PCMU only, plays an 880 Hz WAV (aufile) and hangs up after
    7 s (-t): the call is established, the room lists "Bea Baresip" and nobody
    after its BYE, and the room's recording has its tone."""
    import shutil
    if not shutil.which("baresip"):
        raise AssertionError("baresip not installed (package baresip-core, scripts/deps.sh)")
    lib.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             "sine=frequency=880:sample_rate=8000:duration=12", "-af", "volume=0.5", "-ac", "1",
             "-c:a", "pcm_s16le", ctx.path("tone.wav")], timeout=30)
    srv = tests_sip.sip_server(ctx)
    conf = ctx.path("baresip")
    os.makedirs(conf, exist_ok=True)
    rtp = serve.free_port_block(20)
    with open(os.path.join(conf, "config"), "w") as f:
        f.write("poll_method epoll\nsip_listen 127.0.0.1:%d\n"
                "audio_source aufile,%s\naudio_alert aufile,%s\naudio_srate 8000\naudio_channels 1\n"
                "rtp_ports %d-%d\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\n"
                "module account.so\nmodule menu.so\n"
                % (serve.free_port_block(1), ctx.path("tone.wav"), ctx.path("tone.wav"), rtp, rtp + 19))
    with open(os.path.join(conf, "accounts"), "w") as f:
        f.write('"Bea Baresip" <sip:bea@127.0.0.1>;regint=0;audio_codecs=PCMU/8000\n')
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "outputs": [{"profile": "low", "url": "rec.mkv"}]})
        log = open(ctx.path("baresip.log"), "w")
        bs = subprocess.Popen(["baresip", "-f", conf, "-e", "/dial sip:r1@127.0.0.1:%d" % srv.sip_port, "-t", "7"],
                              cwd=ctx.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            ps = tests_sip.wait_participants(srv, "r1", lambda ps: ps and ps[0]["audio_frames"] > 100, 8,
                                             "baresip's call decoded")
        finally:
            serve.wait(bs, 20, "baresip")
        text = open(ctx.path("baresip.log"), errors="replace").read()
        if bs.returncode != 0 or "Call established" not in text:
            raise AssertionError("baresip exited %d; log:\n%s" % (bs.returncode, lib.tail(text)))
        if [p["name"] for p in ps] != ["Bea Baresip"]:
            raise AssertionError("room state during baresip's call: %s" % ps)
        tests_sip.wait_participants(srv, "r1", lambda ps: not ps, 3, "baresip still listed after its BYE")
    finally:
        srv.stop()
    a = lib.decode_audio(ctx.path("rec.mkv"), 16000)
    lv, ref = tests_sip.tone_level(a, 16000, 880)
    if lv < -35 or lv < ref + 20:
        raise AssertionError("baresip's 880 Hz is %.1f dB in the recording (300 Hz: %.1f dB)" % (lv, ref))



def rtp_clock_breaks(phone):
    """Places where the phone's received RTP stream is not one continuous stream:
    a sequence number that does not follow, a timestamp step other than 160 (20 ms
    of G.711), or another SSRC. Returns the list of (seq, what)."""
    with phone.lock:
        hdrs = list(phone.received_headers)
    if not hdrs:
        return [(None, "no RTP received")]
    base = hdrs[0][0]
    hdrs.sort(key=lambda h: (h[0] - base) & 0xffff)
    breaks = []
    for (s0, t0, c0), (s1, t1, c1) in zip(hdrs, hdrs[1:]):
        if c1 != c0:
            breaks.append((s1, "ssrc %08x -> %08x" % (c0, c1)))
        elif (s1 - s0) & 0xffff == 1 and (t1 - t0) & 0xffffffff != 160:
            breaks.append((s1, "timestamp step %d" % ((t1 - t0) & 0xffffffff)))
    return breaks


def test_sip_phone_shared_mix(ctx):
    """Three PCMU phones (440, 620, 830 Hz). A phone that adds nothing to the mix
    (muted through the API) hears the full mix from the room's ONE shared G.711
    encode (room state: return_audio "shared", shared_phone_listeners); talkers keep
    their own mix-minus encode. Muting C moves it to the shared encode: it still
    hears A and B; unmuting moves it back: it hears A and B but not itself, and A
    hears C. Muting A and C: both on the shared encode, both hear B. Each phone's
    received RTP stays one stream across the moves (same SSRC, sequence numbers in
    order, timestamps + 160 per packet)."""
    srv = tests_sip.sip_server(ctx)
    phones = []
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        tones = {"Anne": 440, "Bruno": 620, "Chloe": 830}
        ports = {}
        for name in tones:
            ph = sip_uac.Phone(srv.sip_port, name, name.lower())
            r = ph.invite("r1", ph.offer(["PCMU"]))
            if not r or r.status != 200:
                raise AssertionError("%s: %s" % (name, r or "no answer"))
            ports[name] = sip_uac.sdp_media(r.body)[0][1]
            ph.rtp_path = ctx.path("%s_heard.raw" % name)
            phones.append(ph)
        a, b, c = phones
        for ph in phones:
            ph.start_media(ports[ph.name], sip_uac.encode_tone(ctx.path(ph.name + ".raw"), "PCMU",
                                                               tones[ph.name], 16), 0)
        ids = {}
        tests_sip.wait_participants(srv, "r1", lambda ps: len(ps) == 3, 5, "three callers listed")
        for p in tests_sip.participants(srv, "r1"):
            ids[p["name"]] = p["id"]

        def mute(name, muted):
            srv.ok("POST", "/rooms/r1/participants/%d/mute" % ids[name], {"muted": muted})

        def expect(shared, what):
            def ok(ps):
                got = {p["name"]: p.get("return_audio") for p in ps}
                return got == {n: ("shared" if n in shared else "own") for n in tones}
            tests_sip.wait_participants(srv, "r1", ok, 3, what)
            n = srv.ok("GET", "/rooms/r1")["state"].get("shared_phone_listeners")
            if n != len(shared):
                raise AssertionError("%s: shared_phone_listeners %s, expected %d" % (what, n, len(shared)))
            return time.monotonic()

        def levels(phone, t0, t1):
            s = tests_sip.heard(phone, "PCMU", t0, t1, ctx.path("%s_%d.raw" % (phone.name, int(t0 * 10))))
            return {n: lib.goertzel_db(s, 8000, f, 0.3, (t1 - t0) - 0.6) for n, f in tones.items()}

        time.sleep(1.0)
        t = expect(set(), "everyone talking: every phone on its own encode")
        time.sleep(2.5)
        lv = {ph.name: levels(ph, t, time.monotonic()) for ph in phones}
        for ph in phones:
            own = lv[ph.name][ph.name]
            others = [v for n, v in lv[ph.name].items() if n != ph.name]
            if min(others) < -35 or own > min(others) - 25:
                raise AssertionError("all talking: %s hears %s" % (ph.name, lv[ph.name]))
        mute("Chloe", True)
        t = expect({"Chloe"}, "Chloe muted: on the shared encode")
        time.sleep(2.5)
        lc, la = levels(c, t, time.monotonic()), levels(a, t, time.monotonic())
        if lc["Anne"] < -35 or lc["Bruno"] < -35:
            raise AssertionError("muted Chloe on the shared encode does not hear Anne and Bruno: %s" % lc)
        if la["Chloe"] > -60:
            raise AssertionError("Anne hears muted Chloe: %s" % la)
        mute("Chloe", False)
        t = expect(set(), "Chloe unmuted: back on her own encode")
        time.sleep(2.5)
        lc, la = levels(c, t, time.monotonic()), levels(a, t, time.monotonic())
        if lc["Anne"] < -35 or lc["Bruno"] < -35 or lc["Chloe"] > min(lc["Anne"], lc["Bruno"]) - 25:
            raise AssertionError("unmuted Chloe should hear Anne and Bruno, not herself: %s" % lc)
        if la["Chloe"] < -35:
            raise AssertionError("Anne does not hear unmuted Chloe: %s" % la)
        mute("Anne", True)
        mute("Chloe", True)
        t = expect({"Anne", "Chloe"}, "Anne and Chloe muted: both on the shared encode")
        time.sleep(2.0)
        for ph in (a, c):
            lv = levels(ph, t, time.monotonic())
            if lv["Bruno"] < -35 or lv["Anne"] > -60 or lv["Chloe"] > -60:
                raise AssertionError("%s on the shared encode with Anne and Chloe muted hears %s" % (ph.name, lv))
        for ph in phones:
            ph.stop_media()
            breaks = rtp_clock_breaks(ph)
            if breaks:
                raise AssertionError("%s's RTP is not one stream across the moves: %s" % (ph.name, breaks[:5]))
        for ph in phones:
            r = ph.bye()
            if not r or r.status != 200:
                raise AssertionError("%s: BYE answered %s" % (ph.name, r))
        tests_sip.wait_participants(srv, "r1", lambda ps: not ps, 3, "callers still listed after BYE")
        if srv.ok("GET", "/rooms/r1")["state"].get("shared_phone_listeners") != 0:
            raise AssertionError("the shared encode still has listeners after everyone left")
    finally:
        for ph in phones:
            ph.close()
        srv.stop()


TESTS = [
    ("sip_phone_shared_mix", test_sip_phone_shared_mix),
    ("sip_spoken_prompt", test_sip_spoken_prompt),
    ("sip_prompt_fallback", test_sip_prompt_fallback),
    ("sip_video_pin_hold", test_sip_video_pin_hold),
    ("sip_video_h264", test_sip_video_h264),
    ("sip_video_h263", test_sip_video_h263),
    ("sip_pin_timeout", test_sip_pin_timeout),
    ("sip_baresip_call", test_sip_baresip_call),
]
