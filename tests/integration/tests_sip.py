"""Integration tests of SIP dial-in (`tessera serve` with "sip_port"): sipp (a real,
independent SIP stack) calls a room over UDP and TCP; a minimal Python caller
(tests/tools/sip_uac.py) checks what each phone hears (mix-minus), late offers,
re-INVITEs, errors, CANCEL and the BYEs sent at shutdown."""
import os
import subprocess
import sys
import time

import lib
import serve

sys.path.insert(0, os.path.join(lib.ROOT, "tests", "tools"))
import sip_uac                  # noqa: E402

SCENARIOS = os.path.join(lib.HERE, "sip")


def sip_server(ctx, **extra):
    port = serve.free_port_block(1)
    cfg = {"sip_port": port}
    cfg.update(extra)
    srv = serve.Server(ctx, extra=cfg)
    srv.sip_port = port
    return srv


def participants(srv, room):
    reply = srv.ok("GET", "/rooms/" + room)
    return reply.get("state", {}).get("participants", [])


def wait_participants(srv, room, pred, timeout, what):
    """Polls the room state (refreshed every 10 ticks) until pred(participants)."""
    deadline = time.monotonic() + timeout
    while True:
        ps = participants(srv, room)
        if pred(ps):
            return ps
        if time.monotonic() > deadline:
            raise AssertionError("%s: room %s lists %s" % (what, room, ps))
        time.sleep(0.1)


def start_sipp(ctx, srv, name, args):
    """sipp in the test's folder, every message traced to NAME_messages.log."""
    port = serve.free_port_block(1)
    media = serve.free_port_block(4)
    argv = (["sipp", "127.0.0.1:%d" % srv.sip_port, "-i", "127.0.0.1", "-p", str(port), "-mp", str(media),
             "-m", "1", "-nostdin", "-timeout", "20s", "-trace_msg", "-message_file", ctx.path(name + "_messages.log"),
             "-trace_err", "-error_file", ctx.path(name + "_errors.log")] + args)
    log = open(ctx.path(name + ".log"), "w")
    log.write("$ %s\n" % " ".join(argv))
    log.flush()
    return subprocess.Popen(argv, cwd=ctx.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def sipp_messages(ctx, name):
    with open(ctx.path(name + "_messages.log"), errors="replace") as f:
        return f.read()


def answer_of(messages):
    """The SDP body of the first 200 OK to the INVITE in a sipp message trace."""
    at = messages.find("SIP/2.0 200 OK")
    if at < 0 or "CSeq: 1 INVITE" not in messages[at:at + 2000]:
        raise AssertionError("no 200 OK to the INVITE in sipp's trace")
    body = messages[at:].split("\n\n", 1)[1]
    return body.split("-----------", 1)[0]


def tone_level(samples, rate, freq, ref=300, step=0.5):
    """The loudest 1 s window of freq in samples, and the reference frequency there."""
    best = (-200.0, -200.0)
    t = 0.0
    while t + 1.0 <= len(samples) / rate:
        lv = lib.goertzel_db(samples, rate, freq, t, 1.0)
        if lv > best[0]:
            best = (lv, lib.goertzel_db(samples, rate, ref, t, 1.0))
        t += step
    return best


def test_sip_sipp_call(ctx):
    """sipp dials sip:r1@ with PCMU, plays a 440 Hz tone for 4 s with rtp_stream and
    hangs up: 200 OK answering PCMU, the caller listed (phone: audio, no video, name
    from From) during the call and gone after the BYE, its tone and its placeholder
    tile in the recording."""
    lib.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             "sine=frequency=440:sample_rate=8000:duration=6", "-af", "volume=0.5", "-c:a", "pcm_mulaw",
             "-bitexact", ctx.path("tone.wav")], timeout=30)
    srv = sip_server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "outputs": [{"profile": "low", "url": "rec.mkv"}]})
        sipp = start_sipp(ctx, srv, "sipp", ["-sf", os.path.join(SCENARIOS, "uac_pcmu_tone.xml"), "-s", "r1"])
        try:
            ps = wait_participants(srv, "r1", lambda ps: any(p["audio_frames"] > 50 for p in ps), 6,
                                   "sipp caller decoded")
        finally:
            serve.wait(sipp, 20, "sipp")
        if sipp.returncode != 0:
            raise AssertionError("sipp exited %d; log:\n%s" % (sipp.returncode, lib.tail(open(ctx.path("sipp.log")).read())))
        p = ps[0]
        if len(ps) != 1 or p["name"] != "Alice Phone" or p["video"] or not p["audio"]:
            raise AssertionError("room state during the call: %s (expected one audio-only participant "
                                 "named Alice Phone)" % ps)
        wait_participants(srv, "r1", lambda ps: not ps, 3, "caller still listed after its BYE")
        answer = answer_of(sipp_messages(ctx, "sipp"))
        media = sip_uac.sdp_media(answer)
        if len(media) != 1 or media[0][2][0] != 0 or media[0][3].get(0) != "PCMU/8000":
            raise AssertionError("the 200 OK does not answer PCMU first: %s\n%s" % (media, answer))
    finally:
        srv.stop()
    a = lib.decode_audio(ctx.path("rec.mkv"), 16000)
    lv, ref = tone_level(a, 16000, 440)
    if lv < -35 or lv < ref + 20:
        raise AssertionError("the caller's 440 Hz is %.1f dB in the recording (300 Hz: %.1f dB)" % (lv, ref))
    # Mid-call the only tile is the phone's placeholder: its centre is not background.
    f = lib.grab_frame(ctx.path("rec.mkv"), 2.5, ctx.dir)
    tile = lib.layout_tiles("grid", 1, f.w, f.h)[0]
    x0, y0 = lib.tile_point(tile, 0.35, 0.3)
    x1, y1 = lib.tile_point(tile, 0.65, 0.7)
    centre = f.mean(x0, y0, x1, y1)
    if lib.colour_dist(centre, lib.BACKGROUND) <= 30:
        raise AssertionError("no placeholder tile for the phone at 2.5 s: centre %s" % lib.hexc(centre))


def test_sip_tcp_call(ctx):
    """sipp's built-in UAC over TCP: INVITE (PCMU) / 200 / ACK / BYE, exit 0."""
    srv = sip_server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        sipp = start_sipp(ctx, srv, "sipp", ["-sn", "uac", "-s", "r1", "-t", "t1", "-d", "1000"])
        serve.wait(sipp, 20, "sipp over TCP")
        if sipp.returncode != 0:
            raise AssertionError("sipp over TCP exited %d; log:\n%s"
                                 % (sipp.returncode, lib.tail(open(ctx.path("sipp.log")).read())))
        if "m=audio" not in answer_of(sipp_messages(ctx, "sipp")):
            raise AssertionError("no SDP answer over TCP")
        wait_participants(srv, "r1", lambda ps: not ps, 3, "TCP caller still listed after its BYE")
        if "answered in room r1" not in srv.read_log():
            raise AssertionError("the server log does not show the TCP call answered")
    finally:
        srv.stop()


def hear(phone, codec, seconds_from, seconds, own, other, who):
    pt = sip_uac.CODECS[codec][0]
    payload = phone.received_payload(pt)
    if len(payload) < 160 * 100:
        raise AssertionError("%s received only %d bytes of %s" % (who, len(payload), codec))
    s = sip_uac.decode_payloads(phone.rtp_path, codec, payload)
    lv_other = lib.goertzel_db(s, 8000, other, seconds_from, seconds)
    lv_own = lib.goertzel_db(s, 8000, own, seconds_from, seconds)
    if lv_other < -35 or lv_own > lv_other - 25:
        raise AssertionError("%s hears the other caller's %d Hz at %.1f dB and its own %d Hz at %.1f dB "
                             "(expected the other > -35 dB, its own 25 dB below)" % (who, other, lv_other, own, lv_own))
    return lv_other, lv_own


def test_sip_dtmf_mute(ctx):
    """A caller pressing *6 (RFC 4733 telephone-event) mutes itself, and *6 again
    unmutes; other keys do nothing."""
    srv = sip_server(ctx)
    a = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        a = sip_uac.Phone(srv.sip_port, "Anne", "anne")
        r = a.invite("r1", a.offer(["PCMU"]))
        if not r or r.status != 200 or "telephone-event" not in r.body:
            raise AssertionError("call not answered with telephone-event: %s" % (r and r.body))
        port = sip_uac.sdp_media(r.body)[0][1]
        wait_participants(srv, "r1", lambda ps: len(ps) == 1, 3, "caller not listed")

        def muted():
            time.sleep(0.6)
            ps = participants(srv, "r1")
            return ps[0]["muted"] if ps else None

        a.send_dtmf(port, "12")
        if muted() is not False:
            raise AssertionError("keys 1 2 muted the caller")
        a.send_dtmf(port, "*6")
        if muted() is not True:
            raise AssertionError("*6 did not mute the caller: %s" % participants(srv, "r1"))
        a.send_dtmf(port, "*6")
        if muted() is not False:
            raise AssertionError("*6 again did not unmute the caller")
        a.bye()
    finally:
        if a:
            a.close()
        srv.stop()


def test_sip_info_dtmf(ctx):
    """Keys by SIP INFO: application/dtmf-relay "*" then application/dtmf "6" mute the
    caller (each INFO answered 200), and again unmute it; an INFO that is not DTMF
    gets 415 and changes nothing."""
    srv = sip_server(ctx)
    a = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        a = sip_uac.Phone(srv.sip_port, "Ida", "ida")
        r = a.invite("r1", a.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("INVITE: %s" % r)
        wait_participants(srv, "r1", lambda ps: len(ps) == 1, 3, "caller not listed")
        for rounds, want in ((1, True), (2, False)):
            for body, ctype in (("Signal=*\r\nDuration=160\r\n", "application/dtmf-relay"),
                                ("6", "application/dtmf")):
                r = a.info(body, ctype)
                if not r or r.status != 200:
                    raise AssertionError("INFO %s %r answered %s" % (ctype, body, r))
            wait_participants(srv, "r1", lambda ps: ps and ps[0]["muted"] is want, 3,
                              "INFO * 6 (round %d) did not set muted=%s" % (rounds, want))
        r = a.info("hello", "text/plain")
        if not r or r.status != 415:
            raise AssertionError("INFO text/plain answered %s, expected 415" % r)
        r = a.bye()
        if not r or r.status != 200:
            raise AssertionError("BYE: %s" % r)
    finally:
        if a:
            a.close()
        srv.stop()


def heard(phone, codec, t0, t1, path):
    """What phone received of codec between monotonic times t0 and t1, decoded (8 kHz)."""
    pt = sip_uac.CODECS[codec][0]
    with phone.lock:
        pkts = [(seq, p) for t, ptype, seq, p in phone.received if ptype == pt and t0 <= t < t1]
    if len(pkts) < 20:
        raise AssertionError("%s received %d %s packets in that window" % (phone.name, len(pkts), codec))
    base = pkts[0][0]
    pkts.sort(key=lambda x: (x[0] - base) & 0xffff)
    return sip_uac.decode_payloads(path, codec, b"".join(p for _, p in pkts))


def peak_level(samples, freq, win=0.2, rate=8000):
    """The loudest short window of freq in samples (dBFS)."""
    best, t = -200.0, 0.0
    while t + win <= len(samples) / rate:
        best = max(best, lib.goertzel_db(samples, rate, freq, t, win))
        t += 0.05
    return best


def test_sip_pin_entry(ctx):
    """Default room with a PIN: a call to an unknown room (or to the default room)
    waits: not in the room state, not heard, hears the 440 Hz prompt (no spoken
    prompt in its sip_prompt_dir); keys then '#' (RFC 4733 for one caller, SIP INFO
    for the other; a wrong PIN first) admit it: it is listed and the callers hear
    each other."""
    srv = sip_server(ctx, sip_default_room="lobby", sip_pin="1234", sip_prompt_dir=ctx.dir)
    a = b = None
    try:
        srv.ok("POST", "/rooms", {"id": "lobby"})
        a = sip_uac.Phone(srv.sip_port, "Anne", "anne")
        b = sip_uac.Phone(srv.sip_port, "Bruno", "bruno")
        a.rtp_path, b.rtp_path = ctx.path("a_heard.raw"), ctx.path("b_heard.raw")
        ra = a.invite("nosuchroom", a.offer(["PCMU"]))
        if not ra or ra.status != 200:
            raise AssertionError("call to an unknown room with a default room: %s" % ra)
        pa = sip_uac.sdp_media(ra.body)[0][1]
        a.start_media(pa, sip_uac.encode_tone(ctx.path("a_tone.raw"), "PCMU", 700, 14), 0)
        t0 = time.monotonic()
        time.sleep(2.5)
        if participants(srv, "lobby"):
            raise AssertionError("a caller waiting for its PIN is listed: %s" % participants(srv, "lobby"))
        s = heard(a, "PCMU", t0, time.monotonic(), a.rtp_path)
        if peak_level(s, 440) < -30:
            raise AssertionError("the waiting caller does not hear the 440 Hz prompt (%.1f dB)" % peak_level(s, 440))
        a.send_dtmf(pa, "1234#")
        wait_participants(srv, "lobby", lambda ps: [p["name"] for p in ps] == ["Anne"], 3,
                          "right PIN by RFC 4733 did not admit the caller")
        # The second caller dials the default room itself, keys by INFO.
        rb = b.invite("lobby", b.offer(["PCMU"]))
        if not rb or rb.status != 200:
            raise AssertionError("call to the default room: %s" % rb)
        b.start_media(sip_uac.sdp_media(rb.body)[0][1],
                      sip_uac.encode_tone(ctx.path("b_tone.raw"), "PCMU", 1020, 10), 0)
        t1 = time.monotonic()
        time.sleep(2.0)
        t2 = time.monotonic()
        s = heard(a, "PCMU", t1 + 0.5, t2, a.rtp_path)
        if lib.goertzel_db(s, 8000, 1020, 0, len(s) / 8000.0) > -45 or peak_level(s, 440) > -40:
            raise AssertionError("the admitted caller hears the waiting one (1020 Hz %.1f dB) or its prompt "
                                 "(440 Hz %.1f dB)" % (lib.goertzel_db(s, 8000, 1020, 0, len(s) / 8000.0),
                                                      peak_level(s, 440)))
        for k in "99#":
            r = b.info("Signal=%s\r\nDuration=160\r\n" % k)
            if not r or r.status != 200:
                raise AssertionError("INFO key %s: %s" % (k, r))
        time.sleep(0.5)
        if len(participants(srv, "lobby")) != 1 or b.requests:
            raise AssertionError("one wrong PIN: listed %s, requests %s" % (participants(srv, "lobby"), b.requests))
        for k, ctype in (("1", "application/dtmf"), ("2", "application/dtmf"), ("3", "application/dtmf-relay"),
                         ("4", "application/dtmf-relay"), ("#", "application/dtmf")):
            body = k if ctype == "application/dtmf" else "Signal=%s\r\nDuration=160\r\n" % k
            r = b.info(body, ctype)
            if not r or r.status != 200:
                raise AssertionError("INFO key %s: %s" % (k, r))
        wait_participants(srv, "lobby", lambda ps: sorted(p["name"] for p in ps) == ["Anne", "Bruno"], 3,
                          "right PIN by INFO did not admit the second caller")
        t3 = time.monotonic()
        time.sleep(2.5)
        s = heard(a, "PCMU", t3 + 0.5, time.monotonic(), a.rtp_path)
        lv = lib.goertzel_db(s, 8000, 1020, 0, len(s) / 8000.0)
        if lv < -35:
            raise AssertionError("after its PIN the second caller is not heard (1020 Hz at %.1f dB)" % lv)
        s = heard(b, "PCMU", t3 + 0.5, time.monotonic(), b.rtp_path)
        lv = lib.goertzel_db(s, 8000, 700, 0, len(s) / 8000.0)
        if lv < -35:
            raise AssertionError("the admitted second caller does not hear the first (700 Hz at %.1f dB)" % lv)
        a.stop_media()
        b.stop_media()
        for p in (a, b):
            p.bye()
    finally:
        for p in (a, b):
            if p:
                p.close()
        srv.stop()


def test_sip_pin_wrong(ctx):
    """Three wrong PINs (RFC 4733, INFO, RFC 4733) get a BYE from us; the caller was
    never listed. A late-offer call to the default room waits for its PIN too."""
    srv = sip_server(ctx, sip_default_room="lobby", sip_pin="1234")
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "lobby"})
        ph = sip_uac.Phone(srv.sip_port, "Mallory", "mallory")
        r = ph.invite("whatever", ph.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("INVITE: %s" % r)
        port = sip_uac.sdp_media(r.body)[0][1]
        ph.send_dtmf(port, "1111#")
        time.sleep(0.4)
        for k in "42#":
            ph.info(k, "application/dtmf")
        time.sleep(0.3)
        if any(m.method == "BYE" for m in ph.requests):
            raise AssertionError("BYE after two wrong PINs")
        ph.send_dtmf(port, "#")
        if not ph.wait_request("BYE", 3):
            raise AssertionError("no BYE after three wrong PINs")
        if participants(srv, "lobby"):
            raise AssertionError("a refused caller is listed: %s" % participants(srv, "lobby"))
        log = srv.read_log()
        if "wrong PIN (3 of 3)" not in log:
            raise AssertionError("the log does not count the wrong PINs")
        # Late offer to the default room: waits, then the PIN admits it.
        r = ph.invite("lobby", "", ack=False)
        media = sip_uac.sdp_media(r.body) if r and r.status == 200 else None
        if not media:
            raise AssertionError("late offer to the PIN room: %s" % r)
        ph._learn_dialog(r)
        ph.ack(r, "v=0\r\no=m 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                  "m=video 0 RTP/AVP 96\r\n" % ph.rtp_port)
        time.sleep(0.8)
        if participants(srv, "lobby"):
            raise AssertionError("a late-offer caller is listed before its PIN")
        ph.send_dtmf(media[0][1], "1234#")
        wait_participants(srv, "lobby", lambda ps: len(ps) == 1, 3, "late-offer caller not admitted by its PIN")
        ph.bye()
    finally:
        if ph:
            ph.close()
        srv.stop()


def test_sip_mix_minus(ctx):
    """Two callers in one room, PCMU (440 Hz) and G.722 (1020 Hz): each is answered
    with its codec and hears the other's tone, not its own."""
    srv = sip_server(ctx)
    a = b = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        a = sip_uac.Phone(srv.sip_port, "Anne", "anne")
        b = sip_uac.Phone(srv.sip_port, "Bruno", "bruno")
        ra = a.invite("r1", a.offer(["PCMU"]))
        rb = b.invite("r1", b.offer(["PCMU", "G722"]))
        for r, who in ((ra, "PCMU caller"), (rb, "G.722 caller")):
            if not r or r.status != 200:
                raise AssertionError("%s: %s" % (who, r or "no answer"))
        ma, mb = sip_uac.sdp_media(ra.body)[0], sip_uac.sdp_media(rb.body)[0]
        if ma[2][0] != 0 or mb[2][0] != 9 or mb[3].get(9) != "G722/8000":
            raise AssertionError("codecs: PCMU caller got %s, PCMU+G.722 caller got %s (legacy order "
                                 "puts G.722 first)" % (ma, mb))
        ta = sip_uac.encode_tone(ctx.path("a_tone.raw"), "PCMU", 440, 5)
        tb = sip_uac.encode_tone(ctx.path("b_tone.raw"), "G722", 1020, 5)
        a.rtp_path, b.rtp_path = ctx.path("a_heard.raw"), ctx.path("b_heard.raw")
        a.start_media(ma[1], ta, 0)
        b.start_media(mb[1], tb, 9)
        time.sleep(5.0)
        names = sorted(p["name"] for p in participants(srv, "r1"))
        a.stop_media()
        b.stop_media()
        if names != ["Anne", "Bruno"]:
            raise AssertionError("room lists %s during the calls" % names)
        for p, who in ((a, "PCMU caller"), (b, "G.722 caller")):
            r = p.bye()
            if not r or r.status != 200:
                raise AssertionError("%s: BYE answered %s" % (who, r))
        hear(a, "PCMU", 1.5, 2.0, 440, 1020, "the PCMU caller")
        hear(b, "G722", 1.5, 2.0, 1020, 440, "the G.722 caller")
        wait_participants(srv, "r1", lambda ps: not ps, 3, "callers still listed after BYE")
    finally:
        for p in (a, b):
            if p:
                p.close()
        srv.stop()


def test_sip_late_offer(ctx):
    """An INVITE without SDP (to a room that does not exist: the default room takes
    it) gets our offer in the 200 (G.722, PCMU, PCMA, Opus; H.264 modes 1 and 0,
    H.263+); the ACK's answer (PCMU, video refused) makes the participant, which
    sends and receives PCMU. An ACK without an answer gets a BYE."""
    srv = sip_server(ctx, sip_default_room="lobby")
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "lobby"})
        ph = sip_uac.Phone(srv.sip_port, "Late Larry", "larry")
        r = ph.invite("nosuchroom", "", ack=False)
        if not r or r.status != 200:
            raise AssertionError("INVITE without SDP: %s" % r)
        media = sip_uac.sdp_media(r.body)
        kinds = [m[0] for m in media]
        audio = dict(media[0][3].items()) if media else {}
        video = list(media[1][3].values()) if len(media) > 1 else []
        want_audio = ["G722/8000", "PCMU/8000", "PCMA/8000", "opus/48000/2", "telephone-event/8000"]
        if kinds != ["audio", "video"] or [audio[pt] for pt in media[0][2]] != want_audio or \
                video.count("H264/90000") != 2 or "H263-1998/90000" not in video:
            raise AssertionError("our late offer:\n%s" % r.body)
        if "packetization-mode=0" not in r.body or "profile-level-id=42e01f" not in r.body:
            raise AssertionError("H.264 offer without profile 42e01f in both modes:\n%s" % r.body)
        answer = ("v=0\r\no=larry 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                  "a=sendrecv\r\nm=video 0 RTP/AVP 96\r\n" % ph.rtp_port)
        ph._learn_dialog(r)
        ph.ack(r, answer)
        tone = sip_uac.encode_tone(ctx.path("tone.raw"), "PCMU", 440, 3)
        ph.start_media(media[0][1], tone, 0)
        ps = wait_participants(srv, "lobby", lambda ps: any(p["audio_frames"] > 30 for p in ps), 5,
                               "late-offer caller decoded")
        ph.stop_media()
        if ps[0]["name"] != "Late Larry" or ps[0]["video"]:
            raise AssertionError("late-offer participant: %s" % ps)
        got = len(ph.received_payload(0))
        if got < 160 * 50:
            raise AssertionError("the late-offer caller received %d bytes of PCMU" % got)
        r = ph.bye()
        if not r or r.status != 200:
            raise AssertionError("BYE: %s" % r)
        wait_participants(srv, "lobby", lambda ps: not ps, 3, "late-offer caller still listed")
        # An ACK without the answer: the server hangs up.
        r = ph.invite("lobby", "", ack=False)
        ph._learn_dialog(r)
        ph.ack(r)
        if not ph.wait_request("BYE", 3):
            raise AssertionError("no BYE after an ACK without an SDP answer")
        if "no SDP answer" not in srv.read_log():
            raise AssertionError("the server log does not say why it hung up")
        time.sleep(0.3)
        if participants(srv, "lobby"):
            raise AssertionError("a call without an answer left a participant: %s" % participants(srv, "lobby"))
    finally:
        if ph:
            ph.close()
        srv.stop()


def test_sip_reinvite_hold(ctx):
    """re-INVITEs: a session-timer refresh (same SDP) keeps our o= version, hold
    (sendonly) is answered recvonly with the version bumped, resume sendrecv, an
    offer without our codec 488 (the call stays). The caller asked for session
    timers: the 200 names it the refresher."""
    srv = sip_server(ctx)
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        ph = sip_uac.Phone(srv.sip_port, "Holly", "holly")
        timer = ("Supported: timer", "Session-Expires: 1800")
        first = ph.offer(["PCMU"])
        r = ph.invite("r1", first, extra=timer)
        if not r or r.status != 200:
            raise AssertionError("INVITE: %s" % r)
        if "refresher=uac" not in r.get("session-expires"):
            raise AssertionError("session timer not left to the caller: Session-Expires %r"
                                 % r.get("session-expires"))
        wait_participants(srv, "r1", lambda ps: len(ps) == 1, 3, "caller not listed")
        v1, port1 = sip_uac.sdp_version(r.body), sip_uac.sdp_media(r.body)[0][1]
        r = ph.reinvite(first, extra=timer)
        if not r or r.status != 200 or sip_uac.sdp_version(r.body) != v1:
            raise AssertionError("refresh re-INVITE (same SDP) answered:\n%s" % r)
        r = ph.reinvite(ph.offer(["PCMU"], direction="sendonly"))
        m = sip_uac.sdp_media(r.body)[0] if r and r.status == 200 else None
        if not m or m[4] != "recvonly" or sip_uac.sdp_version(r.body) != v1 + 1 or m[1] != port1:
            raise AssertionError("hold re-INVITE answered:\n%s" % r)
        r = ph.reinvite(ph.offer(["PCMU"], direction="sendrecv"))
        m = sip_uac.sdp_media(r.body)[0] if r and r.status == 200 else None
        if not m or m[4] != "sendrecv" or sip_uac.sdp_version(r.body) != v1 + 2:
            raise AssertionError("resume re-INVITE answered:\n%s" % r)
        r = ph.reinvite(ph.offer([(3, "GSM/8000")]))
        if not r or r.status != 488:
            raise AssertionError("re-INVITE without our codec: %s, expected 488" % r)
        if len(participants(srv, "r1")) != 1:
            raise AssertionError("a refused re-INVITE ended the call")
        r = ph.bye()
        if not r or r.status != 200:
            raise AssertionError("BYE: %s" % r)
        if "on hold" not in srv.read_log() or "resumed" not in srv.read_log():
            raise AssertionError("the log does not show hold and resume applied")
    finally:
        if ph:
            ph.close()
        srv.stop()


def test_sip_hold_media(ctx):
    """Hold applied to the media: while the second caller is on hold (a=sendonly,
    then a=inactive) the first does not hear its tone and no RTP at all is sent to
    it (RFC 3264; the state says held); after resume (sendrecv) both hear each
    other again."""
    srv = sip_server(ctx)
    a = b = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        a = sip_uac.Phone(srv.sip_port, "Anne", "anne")
        b = sip_uac.Phone(srv.sip_port, "Bruno", "bruno")
        a.rtp_path, b.rtp_path = ctx.path("a_heard.raw"), ctx.path("b_heard.raw")
        ra = a.invite("r1", a.offer(["PCMU"]))
        rb = b.invite("r1", b.offer(["PCMU"]))
        if not ra or ra.status != 200 or not rb or rb.status != 200:
            raise AssertionError("INVITEs: %s / %s" % (ra, rb))
        a.start_media(sip_uac.sdp_media(ra.body)[0][1], sip_uac.encode_tone(ctx.path("a.raw"), "PCMU", 440, 12), 0)
        b.start_media(sip_uac.sdp_media(rb.body)[0][1], sip_uac.encode_tone(ctx.path("b.raw"), "PCMU", 1020, 12), 0)

        def levels(t0, t1):
            sa, sb = heard(a, "PCMU", t0, t1, a.rtp_path), heard(b, "PCMU", t0, t1, b.rtp_path)
            return (lib.goertzel_db(sa, 8000, 1020, 0, len(sa) / 8000.0),
                    lib.goertzel_db(sb, 8000, 440, 0, len(sb) / 8000.0))

        time.sleep(1.0)
        t0 = time.monotonic()
        time.sleep(1.5)
        before = levels(t0, time.monotonic())
        if min(before) < -35:
            raise AssertionError("before hold: A hears B at %.1f dB, B hears A at %.1f dB" % before)
        for direction in ("sendonly", "inactive"):
            r = b.reinvite(b.offer(["PCMU"], direction=direction))
            if not r or r.status != 200:
                raise AssertionError("hold re-INVITE (%s): %s" % (direction, r))
            wait_participants(srv, "r1", lambda ps: [p["held"] for p in ps if p["name"] == "Bruno"] == [True], 3,
                              "hold (%s) not in the room state" % direction)
            t1 = time.monotonic()
            time.sleep(2.0)
            t2 = time.monotonic()
            sa = heard(a, "PCMU", t1 + 0.4, t2, a.rtp_path)
            during = lib.goertzel_db(sa, 8000, 1020, 0, len(sa) / 8000.0)
            with b.lock:
                sent = len([1 for t, _, _, _ in b.received if t1 + 0.4 <= t < t2])
            if during > before[0] - 30 or sent:
                raise AssertionError("on hold (%s): A hears B at %.1f dB (was %.1f); %d RTP packets sent to B "
                                     "(expected none)" % (direction, during, before[0], sent))
        r = b.reinvite(b.offer(["PCMU"], direction="sendrecv"))
        if not r or r.status != 200:
            raise AssertionError("resume re-INVITE: %s" % r)
        wait_participants(srv, "r1", lambda ps: [p["held"] for p in ps if p["name"] == "Bruno"] == [False], 3,
                          "resume not in the room state")
        t2 = time.monotonic()
        time.sleep(2.0)
        after = levels(t2 + 0.4, time.monotonic())
        if min(after) < -35:
            raise AssertionError("after resume: A hears B at %.1f dB, B hears A at %.1f dB" % after)
        a.stop_media()
        b.stop_media()
        for p in (a, b):
            p.bye()
    finally:
        for p in (a, b):
            if p:
                p.close()
        srv.stop()


def test_sip_sdes(ctx):
    """An RTP/SAVP offer with an SDES key is answered RTP/SAVP with our own key; an
    RTP/SAVP offer without a usable key gets 488."""
    srv = sip_server(ctx)
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        ph = sip_uac.Phone(srv.sip_port, "Secret", "secret")
        key = serve.new_key()
        r = ph.invite("r1", ph.offer(["G722"], key=key))
        if not r or r.status != 200:
            raise AssertionError("SRTP INVITE: %s" % r)
        if "RTP/SAVP 9" not in r.body or "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" not in r.body or key in r.body:
            raise AssertionError("SRTP answer without RTP/SAVP G.722 and a key of ours:\n%s" % r.body)
        r = ph.bye()
        if not r or r.status != 200:
            raise AssertionError("BYE: %s" % r)
        r = ph.invite("r1", ph.offer(["PCMU"], key="c2hvcnQ="))
        if not r or r.status != 488:
            raise AssertionError("RTP/SAVP with an unusable key: %s, expected 488" % r)
    finally:
        if ph:
            ph.close()
        srv.stop()


def test_sip_errors(ctx):
    """404 unknown room, 488 for GSM only and for a malformed SDP, 415 for a body
    that is not SDP, garbage datagrams (and STUN ones) survived (OPTIONS still 200), CANCEL sent
    right behind the INVITE leaves no participant."""
    srv = sip_server(ctx)
    ph = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        ph = sip_uac.Phone(srv.sip_port, "Err", "err")
        r = ph.invite("nope", ph.offer(["PCMU"]))
        if not r or r.status != 404 or "nope" not in r.get("warning"):
            raise AssertionError("unknown room: %s, expected 404 with a Warning naming it" % r)
        r = ph.invite("r1", ph.offer([(3, "GSM/8000")], telephone_event=False))
        if not r or r.status != 488 or "codec" not in r.get("warning"):
            raise AssertionError("GSM only: %s, expected 488 with a Warning about codecs" % r)
        r = ph.invite("r1", "v=0\r\nm=audio x RTP/AVP 0\r\n")
        if not r or r.status != 488:
            raise AssertionError("malformed SDP: %s, expected 488" % r)
        ph.new_dialog()
        r = ph.transaction("INVITE", "sip:r1@127.0.0.1:%d" % srv.sip_port, "hello", content_type="text/plain")
        if r is None or r.status != 415:
            raise AssertionError("a text/plain body: %s, expected 415" % r)
        stun = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + os.urandom(12)     # STUN binding requests
        for junk in (b"\x00\xff garbage \r\n\r\n", os.urandom(700), b"INVITE sip:r1@x SIP/2.0\r\nVia: \r\n\r\n",
                     b"SIP/2.0 200 OK\r\n\r\n", b"INVITE sip:r1@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nv=0",
                     stun, stun[:10], b"\x00\x01\xff\xff" + os.urandom(40)):
            ph.send_raw(junk)
        time.sleep(0.3)
        r = ph.options()
        if not r or r.status != 200:
            raise AssertionError("OPTIONS after garbage: %s" % r)
        final, cancel = ph.invite_then_cancel("r1", ph.offer(["PCMU"]))
        if not final or final.status not in (200, 487):
            raise AssertionError("INVITE + CANCEL: final response %s" % final)
        if final.status == 200:           # the answer won the race: hang up
            ph.bye()
        wait_participants(srv, "r1", lambda ps: not ps, 3, "participant left behind by INVITE + CANCEL")
        if srv.proc.poll() is not None:
            raise AssertionError("tessera serve died")
    finally:
        if ph:
            ph.close()
        srv.stop()


def test_sip_invite_flood(ctx):
    """100 INVITEs in a burst from one address (127.0.0.2): beyond sip_invite_rate (5
    here) they get 503 with Retry-After; the server lives, and a call from another
    address (127.0.0.1) during the flood is answered normally."""
    import socket
    srv = sip_server(ctx, sip_invite_rate=5)
    ph = None
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        flood.bind(("127.0.0.2", 0))
        fport = flood.getsockname()[1]
        for i in range(100):
            cid = "flood%d-%x" % (i, os.getpid())
            msg = ("INVITE sip:r1@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:%d;branch=z9hG4bKfl%d;rport\r\n"
                   "From: <sip:flood@127.0.0.2:%d>;tag=f%d\r\nTo: <sip:r1@127.0.0.1>\r\nCall-ID: %s\r\n"
                   "CSeq: 1 INVITE\r\nContact: <sip:flood@127.0.0.2:%d>\r\nMax-Forwards: 70\r\n"
                   "Content-Length: 0\r\n\r\n" % (srv.sip_port, fport, i, fport, i, cid, fport))
            flood.sendto(msg.encode(), ("127.0.0.1", srv.sip_port))
        ph = sip_uac.Phone(srv.sip_port, "Normal", "normal")
        r = ph.invite("r1", ph.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("a call from another address during the flood: %s" % r)
        statuses, retry_after = {}, 0
        flood.settimeout(0.3)
        deadline = time.monotonic() + 4
        seen = set()
        while time.monotonic() < deadline:
            try:
                data, _ = flood.recvfrom(65536)
            except socket.timeout:
                continue
            m = sip_uac.Message(data)
            if not m.is_response or m.status < 200 or m.get("call-id") in seen:
                continue
            seen.add(m.get("call-id"))
            statuses[m.status] = statuses.get(m.status, 0) + 1
            retry_after += m.status == 503 and m.get("retry-after") != ""
        if statuses.get(503, 0) < 80 or retry_after != statuses.get(503, 0) or sum(statuses.values()) != 100:
            raise AssertionError("answers to 100 INVITEs: %s (%d 503s with Retry-After)" % (statuses, retry_after))
        if srv.proc.poll() is not None:
            raise AssertionError("tessera serve died")
        wait_participants(srv, "r1", lambda ps: "Normal" in [p["name"] for p in ps], 3, "the normal caller")
        r = ph.bye()
        if not r or r.status != 200:
            raise AssertionError("BYE: %s" % r)
    finally:
        flood.close()
        if ph:
            ph.close()
        srv.stop()


def test_sip_room_deleted(ctx):
    """A call whose room is deleted is hung up by us (BYE within ~1 s), and it does not
    touch the room created again under the same id (same participant number)."""
    srv = sip_server(ctx)
    a = b = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        a = sip_uac.Phone(srv.sip_port, "Old", "old")
        b = sip_uac.Phone(srv.sip_port, "New", "new")
        r = a.invite("r1", a.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("first call: %s" % r)
        srv.ok("DELETE", "/rooms/r1")
        srv.ok("POST", "/rooms", {"id": "r1"})
        r = b.invite("r1", b.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("second call: %s" % r)
        wait_participants(srv, "r1", lambda ps: [p["name"] for p in ps] == ["New"], 3, "new room")
        if not a.wait_request("BYE", 3):
            raise AssertionError("the call of the deleted room was not hung up (no BYE within 3 s)")
        time.sleep(0.5)
        names = [p["name"] for p in participants(srv, "r1")]
        if names != ["New"]:
            raise AssertionError("after the old call's BYE the new room lists %s" % names)
        b.bye()
    finally:
        for p in (a, b):
            if p:
                p.close()
        srv.stop()


def test_sip_shutdown_bye(ctx):
    """SIGINT with two calls up: both get a BYE; the one that never answers it does not
    hold the shutdown beyond the SIP stop timeout (3 s); exit 0."""
    srv = sip_server(ctx)
    phones = []
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        for name in ("Polite", "Mute"):
            ph = sip_uac.Phone(srv.sip_port, name, name.lower())
            r = ph.invite("r1", ph.offer(["PCMU"]))
            if not r or r.status != 200:
                raise AssertionError("%s: INVITE %s" % (name, r))
            phones.append(ph)
        phones[1].answer_byes = False
        # The phones read their sockets (answering the polite BYE) while the server stops.
        import threading
        done = threading.Event()

        def listen():
            while not done.is_set():
                for p in phones:
                    p.receive(0.05)
        t = threading.Thread(target=listen, daemon=True)
        t.start()
        t0 = time.monotonic()
        srv.stop()
        took = time.monotonic() - t0
        done.set()
        t.join(5)
        for p in phones:
            if not any(m.method == "BYE" for m in p.requests):
                raise AssertionError("%s got no BYE at shutdown" % p.name)
        if took > 8:
            raise AssertionError("shutdown took %.1f s with a caller ignoring our BYE" % took)
    finally:
        for p in phones:
            p.close()
        srv.stop(check=False)


def test_sip_port_in_use(ctx):
    """A SIP port already taken: `tessera serve` exits non-zero with an error naming it."""
    import json
    import socket
    port = serve.free_port_block(1)
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", port))
    try:
        with open(ctx.path("serve.json"), "w") as f:
            json.dump({"http_port": serve.free_port_block(1), "sip_port": port}, f)
        res = ctx.tessera(["serve", "--config", ctx.path("serve.json")], timeout=20, expect_ok=False)
    finally:
        taken.close()
    if res.rc == 0 or ("port %d (UDP)" % port) not in res.stderr or "cannot listen" not in res.stderr:
        raise AssertionError("serve with SIP port %d taken: exit %d, stderr:\n%s" % (port, res.rc, lib.tail(res.stderr)))


TESTS = [
    ("sip_dtmf_mute", test_sip_dtmf_mute),
    ("sip_info_dtmf", test_sip_info_dtmf),
    ("sip_pin_entry", test_sip_pin_entry),
    ("sip_pin_wrong", test_sip_pin_wrong),
    ("sip_sipp_call", test_sip_sipp_call),
    ("sip_tcp_call", test_sip_tcp_call),
    ("sip_mix_minus", test_sip_mix_minus),
    ("sip_late_offer", test_sip_late_offer),
    ("sip_reinvite_hold", test_sip_reinvite_hold),
    ("sip_hold_media", test_sip_hold_media),
    ("sip_sdes", test_sip_sdes),
    ("sip_errors", test_sip_errors),
    ("sip_invite_flood", test_sip_invite_flood),
    ("sip_room_deleted", test_sip_room_deleted),
    ("sip_shutdown_bye", test_sip_shutdown_bye),
    ("sip_port_in_use", test_sip_port_in_use),
]
