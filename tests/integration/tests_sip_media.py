"""Integration tests of what SIP callers receive and send: the PIN time limit, what
a caller waiting for its PIN is sent (only the prompt, no room video), video callers
(H.264 and H.263-1998 sent by ffmpeg, the room's video decoded back), hold (no RTP
to a held caller) and the spoken PIN prompt."""
import os
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


TESTS = [
    ("sip_pin_timeout", test_sip_pin_timeout),
]
