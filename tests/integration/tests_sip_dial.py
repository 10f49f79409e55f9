"""Integration tests of SIP dial-out (POST /rooms/{id}/dial) and call supervision:
sipp (a real, independent SIP stack) is the callee, with UAS scenarios of ours in
tests/integration/sip/ (digest challenge checked with verifyauth, ringing, busy, no
answer, an answer without a common codec); the room's "calls" must follow; a
Python caller (tests/tools/sip_uac.py) that stops sending RTP must get our BYE."""
import os
import socket
import sys
import time

import lib
import serve

sys.path.insert(0, os.path.join(lib.ROOT, "tests", "tools"))
import sip_uac                  # noqa: E402

SCENARIOS = os.path.join(lib.HERE, "sip")
ACCOUNT = {"name": "default", "username": "alice", "password": "s3cret"}


def sip_server(ctx, **extra):
    port = serve.free_port_block(1)
    cfg = {"sip_port": port}
    cfg.update(extra)
    srv = serve.Server(ctx, extra=cfg)
    srv.sip_port = port
    return srv


def start_callee(ctx, name, scenario):
    """sipp as a UAS running SCENARIO once, in the test's folder (tone.wav there),
    every message traced to NAME_messages.log. Returns (process, its SIP port) once
    it listens."""
    port = serve.free_port_block(1)
    media = serve.free_port_block(4)
    argv = ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "-i", "127.0.0.1", "-p", str(port),
            "-mp", str(media), "-m", "1", "-nostdin", "-timeout", "25s", "-trace_msg",
            "-message_file", ctx.path(name + "_messages.log"), "-trace_err", "-error_file", ctx.path(name + "_errors.log")]
    log = open(ctx.path(name + ".log"), "w")
    log.write("$ %s\n" % " ".join(argv))
    log.flush()
    import subprocess
    proc = subprocess.Popen(argv, cwd=ctx.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and proc.poll() is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return proc, port                # sipp has it
        finally:
            s.close()
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise AssertionError("sipp (%s) did not start listening on %d; log:\n%s"
                         % (scenario, port, lib.tail(open(ctx.path(name + ".log")).read())))


def finish_callee(ctx, proc, name, timeout=25):
    serve.wait(proc, timeout, "sipp callee " + name)
    if proc.returncode != 0:
        raise AssertionError("sipp callee %s exited %d (scenario not completed); log:\n%s\nerrors:\n%s"
                             % (name, proc.returncode, lib.tail(open(ctx.path(name + ".log")).read()),
                                lib.tail(read(ctx.path(name + "_errors.log")))))


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def dial(srv, room, body):
    code, reply, headers = srv.call("POST", "/rooms/%s/dial" % room, body)
    if code != 202 or reply.get("state") != "calling" or not isinstance(reply.get("id"), int):
        raise AssertionError("POST /rooms/%s/dial %s -> %d %s (expected 202, state calling)" % (room, body, code, reply))
    if headers.get("Location") != "/rooms/%s/dial/%d" % (room, reply["id"]):
        raise AssertionError("Location %r for call %d" % (headers.get("Location"), reply["id"]))
    return reply


def follow(srv, room, cid, until, timeout):
    """Polls the room's "calls" every 50 ms until until(call); returns (the states
    seen in order, the call, the room)."""
    states = ["calling"]
    deadline = time.monotonic() + timeout
    while True:
        room_json = srv.ok("GET", "/rooms/" + room)
        call = [c for c in room_json.get("calls", []) if c["id"] == cid]
        if not call:
            raise AssertionError("call %d not in room %s's calls: %s" % (cid, room, room_json.get("calls")))
        call = call[0]
        if call["state"] != states[-1]:
            states.append(call["state"])
        if until(call):
            return states, call, room_json
        if time.monotonic() > deadline:
            raise AssertionError("call %d: states %s, now %s" % (cid, states, call))
        time.sleep(0.05)


def wait_empty(srv, room, what, timeout=3):
    """Waits for the room state (refreshed every 10 ticks) to list nobody."""
    deadline = time.monotonic() + timeout
    while True:
        ps = srv.ok("GET", "/rooms/" + room)["state"]["participants"]
        if not ps:
            return
        if time.monotonic() > deadline:
            raise AssertionError("%s: room %s still lists %s" % (what, room, [p["name"] for p in ps]))
        time.sleep(0.1)


def invite_sdp(messages):
    """The SDP of the first INVITE in a sipp trace."""
    at = messages.find("INVITE sip:")
    if at < 0:
        raise AssertionError("no INVITE in sipp's trace")
    return messages[at:].split("\n\n", 1)[1].split("-----------", 1)[0]


def test_sip_dial_auth_call(ctx):
    """Dial-out to a sipp callee that challenges (401, checked with verifyauth),
    rings, answers PCMU, plays a 660 Hz tone and hangs up: the call goes calling ->
    ringing -> connected -> ended, the callee is a participant named as dialled
    while connected and gone after its BYE, its tone and tile are in the recording,
    and our offer was audio only, G.722 first."""
    lib.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             "sine=frequency=660:sample_rate=8000:duration=6", "-af", "volume=0.5", "-c:a", "pcm_mulaw",
             "-bitexact", ctx.path("tone.wav")], timeout=30)
    srv = sip_server(ctx, sip_accounts=[ACCOUNT])
    try:
        srv.ok("POST", "/rooms", {"id": "r1", "outputs": [{"profile": "low", "url": "rec.mkv"}]})
        sipp, port = start_callee(ctx, "callee", "uas_auth_tone.xml")
        try:
            c = dial(srv, "r1", {"uri": "sip:alice@127.0.0.1:%d" % port, "name": "Alice Callee"})
            states, call, room = follow(srv, "r1", c["id"], lambda c: c["state"] != "calling" and
                                        c["state"] != "ringing", 15)
            if states != ["calling", "ringing", "connected"] or call["status"] != 200:
                raise AssertionError("call states %s, now %s (expected calling, ringing, connected 200)" % (states, call))
            ps = []
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:
                ps = srv.ok("GET", "/rooms/r1")["state"]["participants"]
                if ps and ps[0]["audio_frames"] > 50:
                    break
                time.sleep(0.1)
            if len(ps) != 1 or ps[0]["name"] != "Alice Callee" or ps[0]["id"] != call["participant"] or \
                    ps[0]["audio_frames"] <= 50:
                raise AssertionError("room state while connected: %s (call %s)" % (ps, call))
            states2, call, room = follow(srv, "r1", c["id"], lambda c: c["state"] == "ended", 15)
            if call["reason"] != "the callee hung up":
                raise AssertionError("ended call: %s" % call)
        finally:
            finish_callee(ctx, sipp, "callee")
        deadline = time.monotonic() + 3
        while srv.ok("GET", "/rooms/r1")["state"]["participants"]:
            if time.monotonic() > deadline:
                raise AssertionError("callee still listed after its BYE")
            time.sleep(0.1)
    finally:
        srv.stop()
    messages = read(ctx.path("callee_messages.log"))
    if 'Authorization: Digest username="alice", realm="tessera.test"' not in messages:
        raise AssertionError("no Authorization for alice in the trace")
    media = sip_uac.sdp_media(invite_sdp(messages))
    if len(media) != 1 or media[0][0] != "audio" or media[0][2][0] != 9 or 0 not in media[0][2]:
        raise AssertionError("our offer is not audio-only with G.722 first and PCMU: %s" % (media,))
    a = lib.decode_audio(ctx.path("rec.mkv"), 16000)
    best, ref = max((lib.goertzel_db(a, 16000, 660, t * 0.5, 1.0), lib.goertzel_db(a, 16000, 300, t * 0.5, 1.0))
                    for t in range(int(len(a) / 16000 * 2) - 1))
    if best < -35 or best < ref + 20:
        raise AssertionError("the callee's 660 Hz is at most %.1f dB in the recording (300 Hz there: %.1f dB)"
                             % (best, ref))
    f = lib.grab_frame(ctx.path("rec.mkv"), 3.5, ctx.dir)
    tile = lib.layout_tiles("grid", 1, f.w, f.h)[0]
    x0, y0 = lib.tile_point(tile, 0.35, 0.3)
    x1, y1 = lib.tile_point(tile, 0.65, 0.7)
    if lib.colour_dist(f.mean(x0, y0, x1, y1), lib.BACKGROUND) <= 30:
        raise AssertionError("no tile for the callee at 3.5 s")


def test_sip_dial_auth_refused(ctx):
    """Digest refusals: without an account for the dial the 401 fails the call ("no
    sip_accounts entry"); with one whose credentials the callee refuses (401 again)
    we answer once, then the call fails 401 "credentials refused" (no third INVITE:
    the scenario checks it)."""
    srv = sip_server(ctx, sip_accounts=[dict(ACCOUNT, name="other", password="wrong")])
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        for name, body, want in (("noacc", {}, "no sip_accounts entry"),
                                 ("refused", {"account": "other"}, "credentials refused")):
            sipp, port = start_callee(ctx, name, "uas_rechallenge.xml")
            try:
                c = dial(srv, "r1", dict(body, uri="sip:alice@127.0.0.1:%d" % port))
                states, call, room = follow(srv, "r1", c["id"], lambda c: c["state"] == "failed", 10)
            finally:
                if name == "refused":
                    finish_callee(ctx, sipp, name)
                else:
                    sipp.kill()
                    sipp.wait()
            if call["status"] != 401 or want not in call["reason"] or room["state"]["participants"]:
                raise AssertionError("%s: %s" % (name, call))
    finally:
        srv.stop()
    if read(ctx.path("refused_messages.log")).count("INVITE sip:") != 2:
        raise AssertionError("expected exactly two INVITEs to the refusing callee")


def test_sip_dial_hang_up(ctx):
    """Hanging up from our side: DELETE of the dialled call sends the callee a BYE
    (ended, "hung up through the API"); DELETE of its participant too (BYE with
    Reason cause=410, ended); deleting the room while a call rings CANCELs it (the
    sipp callee expects the CANCEL)."""
    srv = sip_server(ctx)
    callee = None
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        callee = sip_uac.Phone(srv.sip_port, "Bea", "bea")
        for how in ("call", "participant"):
            callee.requests = []
            c = dial(srv, "r1", {"uri": "sip:bea@127.0.0.1:%d" % callee.port, "name": "Bea"})
            if not callee.answer_call(["PCMU"], ring=0.1):
                raise AssertionError("the callee got no INVITE (or no ACK)")
            _, call, _ = follow(srv, "r1", c["id"], lambda c: c["state"] == "connected", 5)
            path = ("/rooms/r1/dial/%d" % c["id"]) if how == "call" else ("/rooms/r1/participants/%d" % call["participant"])
            srv.ok("DELETE", path, expect=(204,))
            if not callee.wait_request("BYE", 5):
                raise AssertionError("no BYE to the callee after DELETE %s" % path)
            _, call, room = follow(srv, "r1", c["id"], lambda c: c["state"] == "ended", 5)
            want = "hung up through the API" if how == "call" else "room deleted or participant removed"
            if call["reason"] != want:
                raise AssertionError("after DELETE %s: %s" % (path, call))
            wait_empty(srv, "r1", "after DELETE %s" % path)
            bye = [m for m in callee.requests if m.method == "BYE"][0]
            if how == "participant" and "cause=410" not in bye.get("reason"):
                raise AssertionError("BYE after the participant's removal: %s" % bye)
        sipp, port = start_callee(ctx, "callee", "uas_no_answer.xml")
        try:
            c = dial(srv, "r1", {"uri": "sip:carol@127.0.0.1:%d" % port})
            follow(srv, "r1", c["id"], lambda c: c["state"] == "ringing", 5)
            srv.ok("DELETE", "/rooms/r1", expect=(204,))
        finally:
            finish_callee(ctx, sipp, "callee", timeout=8)
        if "deleted while dialling" not in srv.read_log():
            raise AssertionError("no log line for the call cancelled with its room")
    finally:
        if callee:
            callee.close()
        srv.stop()


def test_sip_dial_busy(ctx):
    """A callee that rings then answers 486: calling -> ringing -> failed 486, no
    participant; with "video": true our offer has an H.264 video m= line too."""
    srv = sip_server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        sipp, port = start_callee(ctx, "callee", "uas_busy.xml")
        try:
            c = dial(srv, "r1", {"uri": "sip:bob@127.0.0.1:%d" % port, "video": True})
            if c["name"] != "bob" or c["video"] is not True:
                raise AssertionError("call as created: %s (expected the URI's user as name)" % c)
            states, call, room = follow(srv, "r1", c["id"], lambda c: c["state"] == "failed", 10)
        finally:
            finish_callee(ctx, sipp, "callee")
        if states != ["calling", "ringing", "failed"] or call["status"] != 486 or call["participant"] is not None:
            raise AssertionError("busy call: states %s, %s" % (states, call))
        if room["state"]["participants"]:
            raise AssertionError("a participant for a busy callee: %s" % room["state"]["participants"])
    finally:
        srv.stop()
    media = sip_uac.sdp_media(invite_sdp(read(ctx.path("callee_messages.log"))))
    if [m[0] for m in media] != ["audio", "video"] or "H264/90000" not in media[1][3].values():
        raise AssertionError("the video offer: %s" % (media,))


def test_sip_dial_no_answer(ctx):
    """sip_dial_timeout_s 2: a callee that only rings gets our CANCEL after 2 s and
    the call fails 408; a second one is cancelled through DELETE while ringing
    (ended, 487); both sipp scenarios (which expect the CANCEL) complete."""
    srv = sip_server(ctx, sip_dial_timeout_s=2)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        sipp, port = start_callee(ctx, "callee", "uas_no_answer.xml")
        try:
            t0 = time.monotonic()
            c = dial(srv, "r1", {"uri": "sip:carol@127.0.0.1:%d" % port, "name": "Carol"})
            states, call, _ = follow(srv, "r1", c["id"], lambda c: c["state"] == "failed", 10)
            took = time.monotonic() - t0
        finally:
            finish_callee(ctx, sipp, "callee")
        if states != ["calling", "ringing", "failed"] or call["status"] != 408 or "no answer" not in call["reason"]:
            raise AssertionError("unanswered call: states %s, %s" % (states, call))
        if not 1.8 <= took <= 8:
            raise AssertionError("the unanswered call failed after %.1f s (timeout 2 s)" % took)
        sipp, port = start_callee(ctx, "callee2", "uas_no_answer.xml")
        try:
            c = dial(srv, "r1", {"uri": "sip:carol@127.0.0.1:%d" % port})
            follow(srv, "r1", c["id"], lambda c: c["state"] == "ringing", 5)
            srv.ok("DELETE", "/rooms/r1/dial/%d" % c["id"], expect=(204,))
            states, call, _ = follow(srv, "r1", c["id"], lambda c: c["state"] in ("ended", "failed"), 5)
        finally:
            finish_callee(ctx, sipp, "callee2")
        if call["state"] != "ended" or call["status"] != 487 or "cancelled" not in call["reason"]:
            raise AssertionError("call cancelled through the API: %s" % call)
    finally:
        srv.stop()


def test_sip_dial_no_codec(ctx):
    """A callee that answers G.729 only (not offered): we ACK and BYE (the sipp
    scenario expects both), the call fails 488 naming the cause, no participant."""
    srv = sip_server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        sipp, port = start_callee(ctx, "callee", "uas_no_codec.xml")
        try:
            c = dial(srv, "r1", {"uri": "sip:dave@127.0.0.1:%d" % port})
            states, call, room = follow(srv, "r1", c["id"], lambda c: c["state"] == "failed", 10)
        finally:
            finish_callee(ctx, sipp, "callee")
        if call["status"] != 488 or not call["reason"] or room["state"]["participants"]:
            raise AssertionError("answer without a common codec: %s, participants %s"
                                 % (call, room["state"]["participants"]))
    finally:
        srv.stop()
    bye = read(ctx.path("callee_messages.log")).split("BYE sip:", 1)
    if len(bye) < 2 or "cause=488" not in bye[1].split("\n\n", 1)[0]:
        raise AssertionError("our BYE has no Reason with cause=488")


def test_sip_dial_api_errors(ctx):
    """Refusals: SIP off 503; malformed JSON, bad URIs, bad fields, unknown account
    400; unknown room or call 404; wrong method 405; over sip_dial_rate 429."""
    srv = serve.Server(ctx)
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        code, reply, _ = srv.call("POST", "/rooms/r1/dial", {"uri": "sip:a@127.0.0.1:5999"})
        if code != 503 or "sip_port" not in reply.get("error", ""):
            raise AssertionError("dial with SIP off: %d %s" % (code, reply))
    finally:
        srv.stop()
    srv = sip_server(ctx, sip_dial_rate=2, sip_accounts=[ACCOUNT])
    closed = serve.free_port_block(1)          # nothing listens there
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        bad = [("{not json", "JSON"), ({"name": "x"}, "uri"), ({"uri": "sips:a@b"}, "sips"),
               ({"uri": "http://a@b"}, "sip:"), ({"uri": "sip:"}, "host"), ({"uri": "sip:a@"}, "host"),
               ({"uri": "sip:a b@c"}, "space"), ({"uri": "sip:a@b", "name": 5}, "name"),
               ({"uri": "sip:a@b", "video": "yes"}, "video"), ({"uri": "sip:a@b", "account": "nope"}, "nope"),
               ({"uri": "sip:" + "a" * 300 + "@b"}, "256")]
        for body, word in bad:
            if isinstance(body, str):
                code, reply, _ = srv.call("POST", "/rooms/r1/dial", raw=body)
            else:
                code, reply, _ = srv.call("POST", "/rooms/r1/dial", body)
            if code != 400 or word.lower() not in str(reply).lower():
                raise AssertionError("POST dial %r -> %d %s (expected 400 naming %s)" % (body, code, reply, word))
        for method, path, want in (("POST", "/rooms/nope/dial", 404), ("GET", "/rooms/r1/dial/77", 404),
                                   ("DELETE", "/rooms/r1/dial/77", 404), ("DELETE", "/rooms/r1/dial/x", 404),
                                   ("PUT", "/rooms/r1/dial", 405)):
            code, reply, _ = srv.call(method, path, {"uri": "sip:a@127.0.0.1:%d" % closed})
            if code != want:
                raise AssertionError("%s %s -> %d %s (expected %d)" % (method, path, code, reply, want))
        ids = [dial(srv, "r1", {"uri": "sip:a@127.0.0.1:%d" % closed})["id"] for _ in range(2)]
        code, reply, headers = srv.call("POST", "/rooms/r1/dial", {"uri": "sip:a@127.0.0.1:%d" % closed})
        if code != 429 or headers.get("Retry-After") != "1":
            raise AssertionError("third dial in one second with sip_dial_rate 2: %d %s" % (code, reply))
        listed = srv.ok("GET", "/rooms/r1/dial")["calls"]
        if [c["id"] for c in listed] != ids or any(c["account"] != "default" for c in listed):
            raise AssertionError("GET /rooms/r1/dial: %s (expected calls %s with the default account)" % (listed, ids))
        for cid in ids:
            srv.ok("DELETE", "/rooms/r1/dial/%d" % cid, expect=(204,))
            follow(srv, "r1", cid, lambda c: c["state"] in ("ended", "failed"), 5)
    finally:
        srv.stop()


def test_sip_media_timeout(ctx):
    """sip_media_timeout_s 2: a caller that stops sending RTP gets our BYE (Reason
    SIP;cause=408) and leaves the room, counted in /metrics; a caller that keeps
    sending and a held caller that sends nothing stay."""
    srv = sip_server(ctx, sip_media_timeout_s=2)
    phones = []
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        tone = sip_uac.encode_tone(ctx.path("t.ulaw"), "PCMU", 440, 12)
        for name in ("Quiet", "Talker", "Held"):
            p = sip_uac.Phone(srv.sip_port, name, name.lower())
            phones.append(p)
            r = p.invite("r1", p.offer(["PCMU"]))
            if not r or r.status != 200:
                raise AssertionError("%s: INVITE answered %s" % (name, r))
            p.media_port = sip_uac.sdp_media(r.body)[0][1]
        quiet, talker, held = phones
        quiet.start_media(quiet.media_port, tone[:160 * 50], 0)          # 1 s, then silence
        talker.start_media(talker.media_port, tone, 0)                   # 12 s
        r = held.reinvite(held.offer(["PCMU"], direction="sendonly"))
        if not r or r.status != 200:
            raise AssertionError("hold re-INVITE: %s" % r)
        t0 = time.monotonic()
        if not quiet.wait_request("BYE", 10):
            raise AssertionError("no BYE for the caller that stopped sending RTP within 10 s")
        took = time.monotonic() - t0
        bye = [m for m in quiet.requests if m.method == "BYE"][0]
        if "cause=408" not in bye.get("reason"):
            raise AssertionError("BYE without Reason cause=408: %s" % bye)
        if took < 2:
            raise AssertionError("BYE %.1f s after the RTP stopped (timeout 2 s)" % took)
        time.sleep(3)
        for p in (talker, held):
            p.receive(0.1)
            if any(m.method == "BYE" for m in p.requests):
                raise AssertionError("%s was hung up" % p.name)
        names = sorted(p["name"] for p in srv.ok("GET", "/rooms/r1")["state"]["participants"])
        if names != ["Held", "Talker"]:
            raise AssertionError("participants after the timeout: %s" % names)
        code, text, _ = srv.call("GET", "/metrics")
        if "tessera_sip_media_timeouts_total 1\n" not in text:
            raise AssertionError("metrics: %s" % text)
        if "media timeout" not in srv.read_log():
            raise AssertionError("no log line names the media timeout")
        for p in (talker, held):
            p.stop_media()
            r = p.bye()
            if not r or r.status != 200:
                raise AssertionError("%s BYE: %s" % (p.name, r))
    finally:
        for p in phones:
            p.close()
        srv.stop()


def levels(phone, codec, t0, t1, freqs):
    """Levels (dBFS) of freqs in what phone received between seconds t0 and t1 of it."""
    payload = phone.received_payload(sip_uac.CODECS[codec][0])
    if len(payload) < 160 * 100:
        raise AssertionError("%s received only %d bytes of %s" % (phone.name, len(payload), codec))
    s = sip_uac.decode_payloads(phone.rtp_path, codec, payload)
    return [lib.goertzel_db(s, 8000, f, t0, t1 - t0) for f in freqs]


def test_sip_dial_mix_minus(ctx):
    """A dial-in caller sends 440 Hz; the room dials a Python callee (answers PCMU
    after ringing) that sends 880 Hz: the callee hears 440 and not itself, the
    caller hears 880 and not itself; the callee's BYE ends the call ("ended")."""
    srv = sip_server(ctx)
    phones = []
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        anne = sip_uac.Phone(srv.sip_port, "Anne", "anne")
        bea = sip_uac.Phone(srv.sip_port, "Bea", "bea")
        phones = [anne, bea]
        anne.rtp_path, bea.rtp_path = ctx.path("anne.ulaw"), ctx.path("bea.ulaw")
        r = anne.invite("r1", anne.offer(["PCMU"]))
        if not r or r.status != 200:
            raise AssertionError("Anne's INVITE: %s" % r)
        anne.start_media(sip_uac.sdp_media(r.body)[0][1], sip_uac.encode_tone(ctx.path("a.raw"), "PCMU", 440, 9), 0)
        c = dial(srv, "r1", {"uri": "sip:bea@127.0.0.1:%d" % bea.port, "name": "Bea"})
        invite = bea.answer_call(["PCMU"])
        if not invite:
            raise AssertionError("the callee got no INVITE (or no ACK to its 200)")
        bea.start_media(sip_uac.sdp_media(invite.body)[0][1], sip_uac.encode_tone(ctx.path("b.raw"), "PCMU", 880, 6), 0)
        follow(srv, "r1", c["id"], lambda c: c["state"] == "connected", 5)
        time.sleep(5)
        bea.stop_media()
        anne.stop_media()
        r = bea.bye()
        if not r or r.status != 200:
            raise AssertionError("the callee's BYE: %s" % r)
        states, call, room = follow(srv, "r1", c["id"], lambda c: c["state"] == "ended", 5)
        if call["reason"] != "the callee hung up":
            raise AssertionError("ended call: %s" % call)
        b440, b880 = levels(bea, "PCMU", 1.5, 4.5, (440, 880))
        a440, a880 = levels(anne, "PCMU", 2.0, 5.0, (440, 880))
        if b440 < -35 or b880 > b440 - 25:
            raise AssertionError("the callee hears 440 Hz at %.1f dB and itself (880) at %.1f dB" % (b440, b880))
        if a880 < -35 or a440 > a880 - 25:
            raise AssertionError("the caller hears 880 Hz at %.1f dB and itself (440) at %.1f dB" % (a880, a440))
        r = anne.bye()
        if not r or r.status != 200:
            raise AssertionError("the caller's BYE: %s" % r)
    finally:
        for p in phones:
            p.close()
        srv.stop()


TESTS = [
    ("sip_dial_auth_call", test_sip_dial_auth_call),
    ("sip_dial_mix_minus", test_sip_dial_mix_minus),
    ("sip_dial_auth_refused", test_sip_dial_auth_refused),
    ("sip_dial_hang_up", test_sip_dial_hang_up),
    ("sip_dial_busy", test_sip_dial_busy),
    ("sip_dial_no_answer", test_sip_dial_no_answer),
    ("sip_dial_no_codec", test_sip_dial_no_codec),
    ("sip_dial_api_errors", test_sip_dial_api_errors),
    ("sip_media_timeout", test_sip_media_timeout),
]
