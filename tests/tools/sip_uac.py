"""A minimal SIP caller with an RTP phone, for tessera's SIP tests only.

Not a SIP stack: one dialog over UDP on 127.0.0.1 at a time, enough to drive a real
stack (tessera's sofia-sip) through INVITE (with or without SDP), ACK, re-INVITE,
BYE, CANCEL and OPTIONS, to answer the BYE the server sends, to be the callee of a
dial-out (answer_call), and to send datagrams that are not SIP at all. The phone sends a tone as RTP (PCMU or G.722 payloads
encoded by ffmpeg beforehand) and keeps every RTP payload it receives, which the
test decodes with ffmpeg and measures. A video phone also offers video (H.264,
H.263-1998) on a second port pair, counts the RTP that arrives there and can
forward it to a local ffmpeg receiver (the video it sends comes from an ffmpeg
sender the test starts). Each call is bounded by its timeouts."""
import random
import socket
import struct
import subprocess
import threading
import time

CODECS = {   # name: (payload type, rtpmap, ffmpeg raw format, its sample rate)
    "PCMU": (0, "PCMU/8000", "mulaw", 8000),
    "PCMA": (8, "PCMA/8000", "alaw", 8000),
    "G722": (9, "G722/8000", "g722", 16000),
}

VIDEO_CODECS = {   # name: (payload type, rtpmap, fmtp)
    "H264": (96, "H264/90000", "profile-level-id=42e01f;packetization-mode=1"),
    "H263-1998": (97, "H263-1998/90000", "CIF=1;QCIF=1"),
}


class Message:
    """A parsed SIP message: a request (method, uri) or a response (status, reason)."""

    def __init__(self, data):
        text = data.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        first = lines[0].split(" ", 2)
        self.is_response = first[0].startswith("SIP/")
        self.status = int(first[1]) if self.is_response else 0
        self.reason = first[2] if self.is_response and len(first) > 2 else ""
        self.method = "" if self.is_response else first[0]
        self.uri = "" if self.is_response else first[1]
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))

    def get(self, name, default=""):
        for n, v in self.headers:
            if n == name.lower():
                return v
        return default

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def cseq(self):
        num, _, method = self.get("cseq").partition(" ")
        return int(num or 0), method.strip()

    def __str__(self):
        first = ("%d %s" % (self.status, self.reason)) if self.is_response else ("%s %s" % (self.method, self.uri))
        return first + "\n" + "\n".join("%s: %s" % h for h in self.headers) + ("\n\n" + self.body if self.body else "")


def encode_tone(path, codec, freq, seconds):
    """The raw payload bytes of a tone in codec (ffmpeg), 20 ms = 160 bytes."""
    _, _, fmt, rate = CODECS[codec]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=%d:sample_rate=%d:duration=%s" % (freq, rate, seconds),
                    "-af", "volume=0.5", "-ar", str(rate), "-ac", "1", "-f", fmt, path], check=True, timeout=60)
    with open(path, "rb") as f:
        return f.read()


def decode_payloads(path, codec, payload, rate=8000):
    """Decodes raw payload bytes of codec to mono s16 samples at rate (array of ints)."""
    import array
    _, _, fmt, codec_rate = CODECS[codec]
    with open(path, "wb") as f:
        f.write(payload)
    raw_opts = [] if fmt == "g722" else ["-ar", str(codec_rate), "-ac", "1"]    # the g722 demuxer knows its rate
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", fmt] + raw_opts +
                       ["-i", path, "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise AssertionError("cannot decode %s: %s" % (path, p.stderr.decode("utf-8", "replace")[-300:]))
    a = array.array("h")
    a.frombytes(p.stdout[:len(p.stdout) // 2 * 2])
    return a


class Phone:
    """One caller: a SIP socket, an RTP/RTCP socket pair, one dialog at a time."""

    def __init__(self, server_port, name="Test Phone", user="phone", host="127.0.0.1", video=False):
        self.server = (host, server_port)
        self.name, self.user, self.host = name, user, host
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind((host, 0))
        self.port = self.sip.getsockname()[1]
        self.rtp, self.rtcp = self._rtp_pair()
        self.rtp_port = self.rtp.getsockname()[1]
        self.vrtp, self.vrtcp = self._rtp_pair() if video else (None, None)
        self.video_port = self.vrtp.getsockname()[1] if video else 0
        self.video_received = []     # (arrival time, pt, size) of video RTP
        self._video_stop = threading.Event()
        self._video_thread = None
        self.lock = threading.Lock()
        self.received = []           # (arrival time, pt, seq, payload)
        self.received_headers = []   # (seq, timestamp, ssrc) of each, in arrival order
        self.requests = []           # requests the server sent us (BYE), answered 200
        self.answer_byes = True
        self._stop = threading.Event()
        self._threads = []
        self.new_dialog()

    def _rtp_pair(self):
        for _ in range(100):
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            a.bind((self.host, 0))
            port = a.getsockname()[1]
            if port % 2 == 0 and port < 65000:
                b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    b.bind((self.host, port + 1))
                    return a, b
                except OSError:
                    b.close()
            a.close()
        raise AssertionError("no free RTP port pair")

    def new_dialog(self):
        self.call_id = "%x@tessera-test" % random.getrandbits(64)
        self.from_tag = "%x" % random.getrandbits(32)
        self.to_header = None
        self.target = None
        self.cseq = 0
        self.sdp_version = 1

    def close(self):
        self.stop_media()
        self.stop_video()
        for s in (self.sip, self.rtp, self.rtcp, self.vrtp, self.vrtcp):
            if s:
                s.close()

    # ---- SIP messages ----

    def offer(self, codecs=("PCMU",), direction="sendrecv", telephone_event=True, key=None, video=(),
              video_direction=None):
        """An audio offer of codecs (names of CODECS, or (pt, rtpmap) pairs); with key
        (base64 SDES master key + salt), RTP/SAVP with that a=crypto. With video
        (names of VIDEO_CODECS; a video phone), a video m= line too, its direction
        video_direction (default: direction's)."""
        pts, maps = [], []
        for c in codecs:
            pt, rtpmap = (CODECS[c][0], CODECS[c][1]) if isinstance(c, str) else c
            pts.append(str(pt))
            maps.append("a=rtpmap:%d %s\r\n" % (pt, rtpmap))
        if telephone_event:
            pts.append("101")
            maps.append("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n")
        if key:
            maps.append("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % key)
        sdp = ("v=0\r\no=%s 4242 %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d %s %s\r\n%sa=%s\r\n"
               % (self.user, self.sdp_version, self.host, self.host, self.rtp_port, "RTP/SAVP" if key else "RTP/AVP",
                  " ".join(pts), "".join(maps), direction))
        if video:
            vpts = [str(VIDEO_CODECS[c][0]) for c in video]
            vmaps = ["a=rtpmap:%d %s\r\na=fmtp:%d %s\r\n" % (VIDEO_CODECS[c][0], VIDEO_CODECS[c][1],
                                                            VIDEO_CODECS[c][0], VIDEO_CODECS[c][2]) for c in video]
            sdp += "m=video %d RTP/AVP %s\r\n%sa=%s\r\n" % (self.video_port, " ".join(vpts), "".join(vmaps),
                                                            video_direction or direction)
        self.sdp_version += 1
        return sdp

    def _request(self, method, uri, cseq, branch, body="", extra=(), to=None, content_type="application/sdp"):
        lines = ["%s %s SIP/2.0" % (method, uri),
                 "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.host, self.port, branch),
                 'From: "%s" <sip:%s@%s:%d>;tag=%s' % (self.name, self.user, self.host, self.port, self.from_tag),
                 "To: %s" % (to or self.to_header or "<%s>" % uri),
                 "Call-ID: %s" % self.call_id,
                 "CSeq: %d %s" % (cseq, method),
                 "Contact: <sip:%s@%s:%d>" % (self.user, self.host, self.port),
                 "Max-Forwards: 70"] + list(extra)
        if body:
            lines.append("Content-Type: %s" % content_type)
        lines.append("Content-Length: %d" % len(body.encode()))
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def send_raw(self, data):
        self.sip.sendto(data, self.server)

    def _answer_request(self, m, status=200):
        lines = ["SIP/2.0 %d %s" % (status, "OK" if status == 200 else "Error")]
        lines += ["Via: %s" % v for v in m.all("via")]
        for h in ("from", "to", "call-id", "cseq"):
            lines.append("%s: %s" % (h.title(), m.get(h)))
        lines.append("Content-Length: 0")
        self.sip.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), self.server)

    def receive(self, timeout):
        """The next SIP message (None on timeout); requests from the server are
        recorded and answered 200 (BYE unless answer_byes is off) on the way."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sip.settimeout(left)
            try:
                data, _ = self.sip.recvfrom(65536)
            except socket.timeout:
                return None
            if not data.startswith(b"SIP/2.0 ") and b" SIP/2.0\r\n" not in data.split(b"\r\n", 1)[0] + b"\r\n":
                continue                    # not SIP (e.g. a STUN answer)
            m = Message(data)
            if not m.is_response:
                self.requests.append(m)
                if m.method == "ACK" or (m.method == "INVITE" and not self.to_header):
                    pass                    # no answer to an ACK; a call to us: answer_call()
                elif m.method != "BYE" or self.answer_byes:
                    self._answer_request(m)
                if m.method == "ACK":
                    continue
            return m

    def transaction(self, method, uri=None, body="", extra=(), timeout=5.0, branch=None, cseq=None,
                    content_type="application/sdp"):
        """Sends a request (retransmitted every 0.5 s) and returns the final response
        (provisional ones skipped), or None on timeout."""
        uri = uri or self.target
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = branch or "z9hG4bK%x" % random.getrandbits(48)
        data = self._request(method, uri, cseq, branch, body, extra, content_type=content_type)
        deadline = time.monotonic() + timeout
        next_send = 0.0
        while time.monotonic() < deadline:
            if time.monotonic() >= next_send:
                self.send_raw(data)
                next_send = time.monotonic() + 0.5
            m = self.receive(min(0.1, max(0.0, deadline - time.monotonic())))
            if m and m.is_response and m.cseq() == (cseq, method) and m.status >= 200:
                return m
        return None

    def ack(self, response, body=""):
        """ACK of a 2xx (new transaction, to the Contact)."""
        self.cseq_ack = response.cseq()[0]
        self.send_raw(self._request("ACK", self.target, self.cseq_ack, "z9hG4bK%x" % random.getrandbits(48),
                                    body))

    def _learn_dialog(self, response):
        self.to_header = response.get("to")
        contact = response.get("contact")
        if "<" in contact:
            contact = contact[contact.index("<") + 1:contact.index(">")]
        self.target = contact or self.target

    def invite(self, room, sdp, timeout=5.0, ack_body="", ack=True, extra=()):
        """Calls sip:room@server. On 2xx, learns the dialog and ACKs (with ack_body).
        Returns the final response or None."""
        self.new_dialog()
        uri = "sip:%s@%s:%d" % (room, self.server[0], self.server[1])
        self.target = uri
        r = self.transaction("INVITE", uri, sdp, extra=extra, timeout=timeout)
        if r and 200 <= r.status < 300:
            self._learn_dialog(r)
            if ack:
                self.ack(r, ack_body)
        elif r:
            self._ack_error(r, uri)
        return r

    def _ack_error(self, r, uri):
        """ACK of a non-2xx final response: same branch as the INVITE, its To tag."""
        via = r.get("via")
        branch = via.split("branch=")[1].split(";")[0] if "branch=" in via else "z9hG4bKx"
        to = r.get("to")
        self.send_raw(self._request("ACK", uri, r.cseq()[0], branch, to=to))

    def reinvite(self, sdp, timeout=5.0, extra=()):
        r = self.transaction("INVITE", body=sdp, extra=extra, timeout=timeout)
        if r and 200 <= r.status < 300:
            self.ack(r)
        elif r:
            self._ack_error(r, self.target)
        return r

    def info(self, body, content_type="application/dtmf-relay", timeout=5.0):
        """INFO in the dialog (e.g. a DTMF key); returns the final response or None."""
        return self.transaction("INFO", body=body, content_type=content_type, timeout=timeout)

    def bye(self, timeout=5.0):
        return self.transaction("BYE", timeout=timeout)

    def options(self, uri=None, timeout=3.0):
        self.new_dialog()
        return self.transaction("OPTIONS", uri or "sip:%s:%d" % self.server, timeout=timeout)

    def invite_then_cancel(self, room, sdp, timeout=5.0):
        """INVITE and CANCEL sent back to back, before any answer. Returns (final
        response to the INVITE, response to the CANCEL); a 2xx is ACKed (the caller
        then hangs up with bye())."""
        self.new_dialog()
        uri = "sip:%s@%s:%d" % (room, self.server[0], self.server[1])
        self.target = uri
        self.cseq += 1
        branch = "z9hG4bK%x" % random.getrandbits(48)
        self.send_raw(self._request("INVITE", uri, self.cseq, branch, sdp))
        self.send_raw(self._request("CANCEL", uri, self.cseq, branch))
        final = cancel = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (final is None or cancel is None):
            m = self.receive(0.2)
            if not m or not m.is_response:
                continue
            if m.cseq() == (self.cseq, "CANCEL"):
                cancel = m
            elif m.cseq() == (self.cseq, "INVITE") and m.status >= 200:
                final = m
        if final and 200 <= final.status < 300:
            self._learn_dialog(final)
            self.ack(final)
        elif final:
            self._ack_error(final, uri)
        return final, cancel

    def _respond(self, m, status, reason, to_tag, body=""):
        lines = ["SIP/2.0 %d %s" % (status, reason)] + ["Via: %s" % v for v in m.all("via")]
        lines += ["From: %s" % m.get("from"), "To: %s;tag=%s" % (m.get("to"), to_tag),
                  "Call-ID: %s" % m.get("call-id"), "CSeq: %s" % m.get("cseq"),
                  "Contact: <sip:%s@%s:%d>" % (self.user, self.host, self.port)]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body.encode()))
        self.sip.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), self.server)

    def answer_call(self, codecs=("PCMU",), timeout=10.0, ring=0.3):
        """Acts as the callee of a dial-out: waits for an INVITE, answers 180, then
        after `ring` s 200 with an offer of codecs (retransmitted until the ACK).
        Learns the dialog (a later bye() comes from us). Returns the INVITE, or None
        when none came or no ACK followed."""
        self.new_dialog()
        deadline = time.monotonic() + timeout
        invite = None
        while invite is None and time.monotonic() < deadline:
            m = self.receive(0.1)
            if m and not m.is_response and m.method == "INVITE":
                invite = m
        if invite is None:
            return None
        tag = "%x" % random.getrandbits(32)
        self._respond(invite, 180, "Ringing", tag)
        time.sleep(ring)
        answer = self.offer(codecs)
        acked = False
        while not acked and time.monotonic() < deadline:
            self._respond(invite, 200, "OK", tag, answer)
            t = time.monotonic() + 0.5
            while not acked and time.monotonic() < t:
                self.receive(0.05)
                acked = any(r.method == "ACK" and r.get("call-id") == invite.get("call-id") for r in self.requests)
        if not acked:
            return None
        self.call_id = invite.get("call-id")
        self.from_tag = tag
        self.to_header = invite.get("from")
        contact = invite.get("contact")
        self.target = contact[contact.index("<") + 1:contact.index(">")] if "<" in contact else contact
        self.cseq = 0
        return invite

    def wait_request(self, method, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(m.method == method for m in self.requests):
                return True
            self.receive(0.1)
        return any(m.method == method for m in self.requests)

    # ---- RTP ----

    def start_media(self, remote_port, payload, pt, frame_bytes=160, samples_per_frame=160, remote_host=None):
        """Sends payload (raw codec bytes) in frame_bytes chunks every 20 ms to
        remote_port, and records what arrives on the RTP socket."""
        self._stop.clear()
        dest = (remote_host or self.host, remote_port)

        def sender():
            seq, ts, ssrc = random.getrandbits(16), random.getrandbits(32), random.getrandbits(32)
            t0 = time.monotonic()
            for i in range(len(payload) // frame_bytes):
                if self._stop.is_set():
                    break
                delay = t0 + i * 0.02 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                hdr = struct.pack("!BBHII", 0x80, pt | (0x80 if i == 0 else 0), seq & 0xffff, ts & 0xffffffff, ssrc)
                try:
                    self.rtp.sendto(hdr + payload[i * frame_bytes:(i + 1) * frame_bytes], dest)
                except OSError:
                    pass
                seq += 1
                ts += samples_per_frame

        def receiver():
            self.rtp.settimeout(0.1)
            while not self._stop.is_set():
                try:
                    data, _ = self.rtp.recvfrom(4096)
                except (socket.timeout, OSError):
                    continue
                if len(data) < 12 or data[0] >> 6 != 2:
                    continue
                cc = data[0] & 0x0f
                off = 12 + 4 * cc
                if data[0] & 0x10 and len(data) >= off + 4:
                    off += 4 + 4 * struct.unpack("!H", data[off + 2:off + 4])[0]
                with self.lock:
                    self.received.append((time.monotonic(), data[1] & 0x7f,
                                          struct.unpack("!H", data[2:4])[0], data[off:]))
                    self.received_headers.append(struct.unpack("!HII", data[2:12]))

        self._threads = [threading.Thread(target=sender, daemon=True), threading.Thread(target=receiver, daemon=True)]
        for t in self._threads:
            t.start()

    def send_dtmf(self, remote_port, keys, pt=101, remote_host=None):
        """Presses keys as RFC 4733 telephone-events: per key, 5 packets every 20 ms,
        then 3 end packets (E bit), all with the key's timestamp."""
        codes = {str(d): d for d in range(10)}
        codes.update({"*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15})
        dest = (remote_host or self.host, remote_port)
        seq, ts, ssrc = random.getrandbits(16), random.getrandbits(32), random.getrandbits(32)
        for key in keys:
            for i in range(8):
                end = i >= 5
                duration = 160 * (min(i, 5) + 1)
                hdr = struct.pack("!BBHII", 0x80, pt | (0x80 if i == 0 else 0), seq & 0xffff, ts & 0xffffffff, ssrc)
                body = struct.pack("!BBH", codes[key], (0x80 if end else 0) | 10, duration)
                self.rtp.sendto(hdr + body, dest)
                seq += 1
                time.sleep(0.02)
            ts += 160 * 8
            time.sleep(0.1)

    def start_video(self, forward_port=None):
        """Records (arrival time, pt, size) of each RTP packet on the video port, and
        forwards it unchanged to 127.0.0.1:forward_port when given."""
        self._video_stop.clear()
        fwd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM) if forward_port else None

        def receiver():
            self.vrtp.settimeout(0.1)
            while not self._video_stop.is_set():
                try:
                    data, _ = self.vrtp.recvfrom(65536)
                except (socket.timeout, OSError):
                    continue
                if len(data) < 12 or data[0] >> 6 != 2:
                    continue
                with self.lock:
                    self.video_received.append((time.monotonic(), data[1] & 0x7f, len(data)))
                if fwd:
                    fwd.sendto(data, (self.host, forward_port))
            if fwd:
                fwd.close()

        self._video_thread = threading.Thread(target=receiver, daemon=True)
        self._video_thread.start()

    def video_packets(self, t0, t1):
        """How many video RTP packets arrived between monotonic times t0 and t1."""
        with self.lock:
            return len([1 for t, _, _ in self.video_received if t0 <= t < t1])

    def stop_video(self):
        self._video_stop.set()
        if self._video_thread:
            self._video_thread.join(timeout=5)
        self._video_thread = None

    def stop_media(self):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []

    def received_payload(self, pt):
        """What arrived with payload type pt, in sequence order, concatenated."""
        with self.lock:
            pkts = [(seq, p) for _, t, seq, p in self.received if t == pt]
        if not pkts:
            return b""
        base = pkts[0][0]
        pkts.sort(key=lambda x: (x[0] - base) & 0xffff)
        return b"".join(p for _, p in pkts)


def sdp_media(sdp):
    """[(type, port, [payload types], {pt: rtpmap}, direction)] of an SDP."""
    out = []
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if line.startswith("m="):
            parts = line[2:].split()
            out.append([parts[0], int(parts[1]), [int(p) for p in parts[3:] if p.isdigit()], {}, "sendrecv"])
        elif line.startswith("a=rtpmap:") and out:
            pt, _, enc = line[9:].partition(" ")
            out[-1][3][int(pt)] = enc.strip()
        elif line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive") and line.startswith("a=") and out:
            out[-1][4] = line[2:]
    return [tuple(m) for m in out]


def sdp_fmtp(sdp, kind):
    """{pt: fmtp} of the first m= line of kind ("audio", "video") of an SDP."""
    out, cur, seen = {}, None, False
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if line.startswith("m="):
            if seen:
                break
            cur = line[2:].split()[0]
            seen = cur == kind
        elif seen and line.startswith("a=fmtp:"):
            pt, _, val = line[7:].partition(" ")
            out[int(pt)] = val.strip()
    return out


def sdp_version(sdp):
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if line.startswith("o="):
            return int(line.split()[2])
    return None


