"""RFC 6464 through `tessera serve`: a participant's own audio-level header
extension drives speaker detection. One sender plays a loud tone but declares
silence; the other sends digital silence but declares voice at -10 dBov: the
room must follow the declarations (as it does for browsers, which send them)."""
import os
import socket
import struct
import sys
import threading
import time

import lib
import serve

sys.path.insert(0, os.path.join(lib.ROOT, "tests", "tools"))
import sip_uac                  # noqa: E402

EXT_ID = 3


def offer(port):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=sendonly\r\n" % (port, EXT_ID))


def send(dest, payload, level, voice, seconds, stop):
    """PCMU every 20 ms with a one-byte-form RFC 8285 block holding the level."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    seq, ts, ssrc = 1000, 5000, int.from_bytes(os.urandom(4), "big")
    t0 = time.monotonic()
    for i in range(int(seconds / 0.02)):
        if stop.is_set():
            break
        delay = t0 + i * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        hdr = struct.pack("!BBHII", 0x90, 0, seq & 0xffff, ts & 0xffffffff, ssrc)
        ext = struct.pack("!HH", 0xBEDE, 1) + bytes([(EXT_ID << 4) | 0, (0x80 if voice else 0) | level, 0, 0])
        chunk = payload[(i * 160) % (len(payload) - 160):][:160]
        sock.sendto(hdr + ext + chunk, dest)
        seq += 1
        ts += 160
    sock.close()


def test_serve_audio_level(ctx):
    srv = serve.Server(ctx)
    stop = threading.Event()
    threads = []
    try:
        srv.ok("POST", "/rooms", {"id": "r1"})
        base = serve.free_port_block(4)
        loud = srv.ok("POST", "/rooms/r1/participants", {"name": "Loud", "sdp": offer(base)})
        quiet = srv.ok("POST", "/rooms/r1/participants", {"name": "Declared", "sdp": offer(base + 2)})
        for r in (loud, quiet):
            if "a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level" % EXT_ID not in r["sdp"]:
                raise AssertionError("the answer does not accept the audio level extension:\n%s" % r["sdp"])
        tone = sip_uac.encode_tone(ctx.path("tone.ulaw"), "PCMU", 440, 4)
        silence = b"\xff" * len(tone)
        port_loud = int([l for l in loud["sdp"].split("\r\n") if l.startswith("m=audio")][0].split()[1])
        port_quiet = int([l for l in quiet["sdp"].split("\r\n") if l.startswith("m=audio")][0].split()[1])
        threads = [threading.Thread(target=send, args=(("127.0.0.1", port_loud), tone, 127, False, 4, stop)),
                   threading.Thread(target=send, args=(("127.0.0.1", port_quiet), silence, 10, True, 4, stop))]
        for t in threads:
            t.start()
        time.sleep(3.0)
        st = srv.ok("GET", "/rooms/r1")["state"]
        by_name = {p["name"]: p for p in st["participants"]}
        d, l = by_name["Declared"], by_name["Loud"]
        if d["rtp"]["audio"]["audio_levels"] < 50:
            raise AssertionError("audio levels not read: %s" % d)
        if not d["speaking"] or l["speaking"] or abs(d["level_db"] + 10) > 1:
            raise AssertionError("speaker detection ignores RFC 6464: Declared %s, Loud %s" % (d, l))
        if st["speaker"] != quiet["id"]:
            raise AssertionError("speaker is %s, expected the declared talker %s" % (st["speaker"], quiet["id"]))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)
        srv.stop()


TESTS = [
    ("serve_audio_level", test_serve_audio_level),
]
