"""Helpers to run `tessera serve` in a test: start it on free ports, call its HTTP
API, craft SDP offers for ffmpeg senders and SDP files for ffmpeg receivers."""
import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import lib


def free_port_block(count=2):
    """A base port with `count` free consecutive UDP/TCP ports (even base)."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        base = s.getsockname()[1] & ~1
        s.close()
        ok = True
        for p in range(base, base + count):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                t = socket.socket(socket.AF_INET, kind)
                try:
                    t.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                finally:
                    t.close()
        if ok and base + count < 65000:
            return base
    raise AssertionError("no free port block")


class Server:
    """A running `tessera serve`; stop() sends SIGINT and checks it exited 0 cleanly."""

    def __init__(self, ctx, token="", extra=None, env=None):
        self.ctx = ctx
        self.http_port = free_port_block(1)
        rtp = free_port_block(200)
        cfg = {"http_port": self.http_port, "rtp_port_min": rtp, "rtp_port_max": rtp + 199,
               "record_dir": ctx.dir}
        if token:
            cfg["token"] = token
        cfg.update(extra or {})
        self.token = token
        path = ctx.path("serve.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.log = open(ctx.path("serve.log"), "w")
        self.proc = subprocess.Popen([lib.tessera_bin(), "serve", "--config", path], cwd=ctx.dir,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **env) if env else None)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop(check=False)
        raise AssertionError("tessera serve did not come up; log:\n%s" % lib.tail(self.read_log()))

    def call(self, method, path, body=None, token=None, raw=None, content_type="application/json", headers=None):
        data = None
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
        elif body is not None:
            data = json.dumps(body).encode()
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path), data=data,
                                     method=method)
        req.add_header("Content-Type", content_type)
        tok = self.token if token is None else token
        if tok:
            req.add_header("Authorization", "Bearer " + tok)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text and "json" in r.headers.get("Content-Type", "") else text), r.headers
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text), e.headers
            except ValueError:
                return e.code, text, e.headers

    def ok(self, method, path, body=None, expect=(200, 201, 202, 204)):
        code, reply, _ = self.call(method, path, body)
        if code not in expect:
            raise AssertionError("%s %s -> %d %s" % (method, path, code, reply))
        return reply

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.ctx.path("serve.log")) as f:
            return f.read()

    def stop(self, check=True):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                if check:
                    raise AssertionError("tessera serve did not stop within 20 s of SIGINT (hang)")
        self.log.close()
        text = self.read_log()
        for mark in lib.SANITIZER_MARKS:
            if mark in text:
                raise AssertionError("sanitizer report from tessera serve:\n%s" % lib.tail(text, 40))
        if check and self.proc.returncode != 0:
            raise AssertionError("tessera serve exited %d; log:\n%s" % (self.proc.returncode, lib.tail(text)))


def sender_offer(video_port, audio_port, key=None):
    """What an ffmpeg sender announces: it sends H.264 PT 96 and Opus PT 111 from
    these ports (its RTCP on port+1); with key, SRTP with that SDES key."""
    proto = "RTP/SAVP" if key else "RTP/AVP"
    crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % key if key else ""
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=ffmpeg\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=video %d %s 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n%sa=sendonly\r\n"
            "m=audio %d %s 111\r\na=rtpmap:111 opus/48000/2\r\n%sa=sendonly\r\n"
            % (video_port, proto, crypto, audio_port, proto, crypto))


def answer_ports(sdp):
    """(video port, audio port, video crypto key or None) of tessera's answer."""
    ports, keys, kind = {}, {}, None
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split()[0]
            ports[kind] = int(line.split()[1])
        elif line.startswith("a=crypto:") and kind:
            keys[kind] = line.split("inline:")[1].split("|")[0].strip()
    return ports.get("video"), ports.get("audio"), keys


def new_key():
    return base64.b64encode(os.urandom(30)).decode()


def start_sender(ctx, name, colour, freq, seconds, video_dst, audio_dst, local_base, key=None,
                 size="640x360", moving=False, gop=25):
    """ffmpeg sending a flat colour (or, with moving, testsrc2, which changes every
    frame) + a tone in real time to tessera's ports; a keyframe every gop frames (25 fps)."""
    scheme = "srtp" if key else "rtp"
    srtp = ["-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", key] if key else []
    video = ("testsrc2=s=%s:r=25:d=%s" % (size, seconds) if moving else
             "color=c=0x%02X%02X%02X:s=%s:r=25:d=%s" % (colour + (size, seconds)))
    argv = ["ffmpeg", "-v", "error", "-re",
            "-f", "lavfi", "-i", video,
            "-f", "lavfi", "-i", "sine=frequency=%d:sample_rate=48000:duration=%s" % (freq, seconds),
            "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", str(gop),
            "-pix_fmt", "yuv420p"] + srtp + ["-f", "rtp", "-payload_type", "96",
            "%s://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (scheme, video_dst, local_base, local_base + 1),
            "-map", "1:a", "-c:a", "libopus"] + srtp + ["-f", "rtp", "-payload_type", "111",
            "%s://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (scheme, audio_dst, local_base + 2, local_base + 3)]
    log = open(ctx.path("sender_%s.log" % name), "w")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def receiver_sdp(video_port, audio_port, key=None, video="H264/90000", audio="opus/48000/2",
                 vpt=96, apt=97):
    """An SDP file an ffmpeg receiver reads (and tessera is given, to send to it)."""
    proto = "RTP/SAVP" if key else "RTP/AVP"
    crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % key if key else ""
    fmtp = "a=fmtp:%d packetization-mode=1\r\n" % vpt if video.startswith("H264") else ""
    return ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=receiver\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=video %d %s %d\r\na=rtpmap:%d %s\r\n%s%s"
            "m=audio %d %s %d\r\na=rtpmap:%d %s\r\n%s"
            % (video_port, proto, vpt, vpt, video, fmtp, crypto, audio_port, proto, apt, apt, audio, crypto))


def start_receiver(ctx, sdp_text, out_name, seconds):
    path = ctx.path(out_name + ".sdp")
    with open(path, "w") as f:
        f.write(sdp_text)
    log = open(ctx.path(out_name + ".log"), "w")
    return subprocess.Popen(["ffmpeg", "-v", "error", "-protocol_whitelist", "file,udp,rtp,srtp,crypto",
                             "-i", path, "-t", str(seconds), "-y", ctx.path(out_name + ".mkv")],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait(proc, timeout, what):
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("%s did not finish within %d s" % (what, timeout))
