#!/usr/bin/env python3
"""fanout benchmark: the CPU and memory cost of RTP receivers of one shared encode in
`tessera serve`. One room, one sender participant (ffmpeg -re testsrc2 640x360@30 + a
440 Hz sine over RTP), N receivers of the `low` profile (H.264 320x180@15 + Opus 60 ms
frames) attached with POST /rooms/ID/outputs, N = 1, 10, 50, 100, 200 (added between
windows). Target: 200 receivers cost under 10 % more CPU than 1.

Two models of the receivers (--model, default both), each with the same series:
- loopback: each receiver is a receiver SDP (serve.receiver_sdp: video RTP/RTCP, audio
  RTP/RTCP, no rtcp-mux) whose 4 ports are UDP sockets of this process on 127.0.0.1,
  drained by one thread with epoll that counts RTP and RTCP packets and bytes per
  socket. Receiver-side kernel drops are read from /proc/net/udp. On loopback the
  kernel delivers each datagram to the receiving socket (and wakes its reader) inside
  tessera's send call, so tessera's system time includes the receive side.
- veth-drop (models a NIC): tessera and the ffmpeg sender run in a network namespace
  (10.77.0.1); the receivers' address (10.77.0.2) is the far end of a veth pair in a
  second namespace whose netdev ingress hook drops every UDP datagram and counts it in
  an nftables set with per-destination-port counters, so no receiving socket is billed
  to tessera (the veth hand-over and the nft rule still run in tessera's context, as a
  NIC driver's transmit would). Every receiver's 4 ports must show packets in the nft
  counters. The bench re-runs itself inside the namespace (ip netns exec) and deletes
  both namespaces at the end. Needs root, iproute2 and nftables (scripts/deps.sh).
In both models:
- tessera's CPU: utime + stime of the process from /proc/PID/stat over a fixed window
  (--seconds, default 10) after a 3 s warm-up that follows each change of N; printed as
  CPU-seconds per media-second (the room runs in real time: media s = wall s), with the
  increase relative to N = 1 and the marginal cost per added receiver (us of CPU per
  second), user/system split, and the packet rate per receiver (video + audio RTP).
- Peak memory: VmHWM of tessera (and VmRSS at the end of each window).
- Every receiver attached at a level must get video RTP, audio RTP and RTCP (SR) packets in
  that level's window; the spread of per-receiver video packet counts is printed.
- When tessera refuses an output (e.g. a per-room limit), the level is measured with the
  receivers it accepted and the refusal (HTTP status and message) is printed and saved.
- After the last window every output is removed with DELETE /rooms/ID/outputs/OID and
  receivers must stop getting RTP (checked over 1 s, after 0.5 s of grace).
- Kernel floor (--no-floor skips it): bench/sendfloor.c (built with cc into bench/work)
  sends exactly the datagrams tessera sent at the top level (the measured per-receiver
  rates and sizes, one socket per receiver stream, sendmmsg of a 12-byte header + a
  shared payload, no encryption) and nothing else, for 1 and for N receivers, through
  the same model; its CPU for the added receivers, as a share of tessera's N = 1 CPU,
  is the part of the target that no user-space change can remove. The rest of
  tessera's increase is printed as its own per-receiver work (noisy: a difference of
  differences on a shared machine).
- There is no ffmpeg command line for one shared encode fanned out to N receivers. As a
  reference, ONE ffmpeg does the same low encode from the same input: the same ffmpeg
  sender feeds `ffmpeg -i in.sdp` (RTP in) that scales to 320x180, fps=15, libx264
  veryfast zerolatency baseline 150k (GOP 2 s) + libopus voip 60 ms 24k mono, to RTP for
  one receiver; its CPU is measured over the same kind of window, once before and once
  after the tessera series (A/B sandwich; the median is quoted). Per-receiver cost in
  tessera is compared to that one encode.
- Clean shutdown: SIGINT to tessera serve, which must exit 0 (serve.Server.stop).

Usage: python3 bench/fanout.py [TESSERA_BIN] [--seconds N] [--levels 1,10,50,100,200]
       [--model loopback|veth|both] [--no-ffmpeg] [--no-floor]
Results: printed, and written to bench/work/fanout.json."""
import argparse
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import serve  # noqa: E402  (tests/integration helpers: Server, SDP offers and receiver SDPs)

WARMUP = 3.0
TARGET_INCREASE = 0.10
CLK_TCK = os.sysconf("SC_CLK_TCK")
LOW_OPUS_FRAME_MS = 60       # the low profile's Opus frames (mixer/profile.c, docs/PROFILES.md)
TESSERA_PORTS = 1000         # RTP port range given to tessera (4 ports per RTP output)


def log(msg):
    print(msg, flush=True)


class Ctx:
    """What serve.Server needs of a test context: a directory for its files."""

    def __init__(self, name):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)

    def path(self, name):
        return os.path.join(self.dir, name)


def proc_times(pid):
    """(user s, system s) of a process ("self" for this one)."""
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def proc_cpu(pid):
    return sum(proc_times(pid))


def proc_mem_mib(pid):
    """(VmRSS, VmHWM) in MiB."""
    rss = hwm = float("nan")
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024.0
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024.0
    return rss, hwm


def udp_drops(ports):
    """Datagrams the kernel dropped on our sockets bound to these local ports."""
    total = 0
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if int(cols[1].split(":")[1], 16) in ports:
                total += int(cols[-1])
    return total


class Drain:
    """UDP sockets drained by one epoll thread; per-socket RTP and RTCP packet counts."""

    def __init__(self):
        self.ep = select.epoll()
        self.socks = {}               # fd -> (socket, slot)
        self.rtp = []                 # per slot
        self.rtcp = []
        self.bytes = []
        self.ports = set()
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def add(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("127.0.0.1", port))
        s.setblocking(False)
        slot = len(self.rtp)
        self.rtp.append(0)
        self.rtcp.append(0)
        self.bytes.append(0)
        self.socks[s.fileno()] = (s, slot)
        self.ports.add(port)
        self.ep.register(s.fileno(), select.EPOLLIN)
        return slot

    def run(self):
        while not self.stop:
            for fd, _ in self.ep.poll(0.2):
                ent = self.socks.get(fd)
                if not ent:
                    continue
                s, slot = ent
                while True:
                    try:
                        d = s.recv(2048)
                    except (BlockingIOError, OSError):
                        break
                    if len(d) >= 2 and 200 <= d[1] <= 204:
                        self.rtcp[slot] += 1
                    else:
                        self.rtp[slot] += 1
                        self.bytes[slot] += len(d)

    def snapshot(self):
        return list(self.rtp), list(self.rtcp)

    def snapshot_bytes(self):
        return list(self.bytes)

    def close(self):
        self.stop = True
        self.thread.join(5)
        for s, _ in self.socks.values():
            self.ep.unregister(s.fileno())
            s.close()
        self.ep.close()


class ReceiverSet:
    """N receivers on loopback, each a block of 4 ports (video RTP, RTCP, audio RTP,
    RTCP) drained by this process."""
    addr = "127.0.0.1"

    def __init__(self, drain, count):
        self.drain = drain
        self.base = serve.free_port_block(4 * count)
        self.slots = []               # per receiver: (video, video rtcp, audio, audio rtcp) slots
        for i in range(count):
            b = self.base + 4 * i
            self.slots.append(tuple(drain.add(b + k) for k in range(4)))

    def sdp(self, i):
        return serve.receiver_sdp(self.base + 4 * i, self.base + 4 * i + 2)

    def counts(self):
        """Per receiver [video RTP, video RTCP, audio RTP, audio RTCP, video bytes,
        audio bytes] so far."""
        rtp, rtcp = self.drain.snapshot()
        by = self.drain.snapshot_bytes()
        return [[rtp[s[0]], rtcp[s[1]], rtp[s[2]], rtcp[s[3]], by[s[0]], by[s[2]]] for s in self.slots]

    def drops(self):
        return udp_drops(self.drain.ports)


class VethReceivers:
    """N receivers behind a veth pair: their datagrams leave tessera's namespace and
    are dropped at the ingress of the peer end by an nftables rule that counts them
    per destination port (a dynamic set with counters), so no receiving socket's
    work is billed to tessera. Port i*4+k as in ReceiverSet; RTCP is told by port."""

    def __init__(self, count, addr, netns, base=20000):
        self.addr = addr
        self.netns = netns
        self.base = base
        self.count = count

    def sdp(self, i):
        return serve.receiver_sdp(self.base + 4 * i, self.base + 4 * i + 2).replace(
            "IN IP4 127.0.0.1", "IN IP4 " + self.addr)

    def port_counters(self):
        out = subprocess.run(["ip", "netns", "exec", self.netns, "nft", "-j", "list", "set", "netdev",
                              NFT_TABLE, "rx"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        ports = {}
        for item in json.loads(out.stdout)["nftables"]:
            for e in item.get("set", {}).get("elem", []):
                e = e["elem"]
                ports[e["val"]] = (e["counter"]["packets"], e["counter"]["bytes"])
        return ports

    def counts(self):
        ports = self.port_counters()
        res = []
        for i in range(self.count):
            b = self.base + 4 * i
            c = [ports.get(b + k, (0, 0)) for k in range(4)]
            # nft counts IP bytes: minus 28 (IPv4 + UDP headers) per packet = the RTP datagram.
            res.append([c[0][0], c[1][0], c[2][0], c[3][0], c[0][1] - 28 * c[0][0], c[2][1] - 28 * c[2][0]])
        return res

    def drops(self):
        return 0


def sender_argv(video_dst, audio_dst, local_base, seconds, addr="127.0.0.1"):
    """ffmpeg sending testsrc2 640x360@30 + a 440 Hz sine in real time over RTP to
    tessera at addr."""
    return ["ffmpeg", "-nostdin", "-v", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=%d" % seconds,
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%d" % seconds,
            "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30",
            "-pix_fmt", "yuv420p", "-f", "rtp", "-payload_type", "96",
            "rtp://%s:%d?localrtpport=%d&localrtcpport=%d" % (addr, video_dst, local_base, local_base + 1),
            "-map", "1:a", "-c:a", "libopus", "-f", "rtp", "-payload_type", "111",
            "rtp://%s:%d?localrtpport=%d&localrtcpport=%d" % (addr, audio_dst, local_base + 2, local_base + 3)]


def ffmpeg_low_argv(sdp_in, video_dst, audio_dst, local_base):
    """One ffmpeg doing tessera's low encode (profile.c / codecs/h264.c / codecs/opus.c
    settings) from the RTP input to one RTP receiver."""
    return ["ffmpeg", "-nostdin", "-v", "error", "-protocol_whitelist", "file,udp,rtp", "-i", sdp_in,
            "-map", "0:v", "-vf", "scale=320:180:flags=bilinear,fps=15",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "baseline",
            "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-b:v", "150k", "-maxrate", "150k",
            "-bufsize", "150k", "-pix_fmt", "yuv420p", "-f", "rtp", "-payload_type", "96",
            "rtp://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (video_dst, local_base, local_base + 1),
            "-map", "0:a", "-c:a", "libopus", "-application", "voip", "-frame_duration", str(LOW_OPUS_FRAME_MS),
            "-b:a", "24k", "-ar", "48000", "-ac", "1", "-f", "rtp", "-payload_type", "97",
            "rtp://127.0.0.1:%d?localrtpport=%d&localrtcpport=%d" % (audio_dst, local_base + 2, local_base + 3)]


def stop_proc(p, timeout=10):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def window(pid, seconds, detail=None):
    """(cpu s, wall s) of pid over a window of `seconds`; with detail (a dict), also
    its user and system seconds and this process's CPU (the drain thread)."""
    (u0, s0), m0, t0 = proc_times(pid), sum(proc_times("self")), time.monotonic()
    time.sleep(seconds)
    (u1, s1), m1, t1 = proc_times(pid), sum(proc_times("self")), time.monotonic()
    if detail is not None:
        detail.update(user_s=u1 - u0, sys_s=s1 - s0, drain_cpu_s=m1 - m0)
    return (u1 + s1) - (u0 + s0), t1 - t0


def ffmpeg_reference(ctx, drain, seconds, tag):
    """CPU of one ffmpeg doing the low encode of the same input."""
    ports = serve.free_port_block(12)      # 0-3 ffmpeg's input, 4-7 its output side, 8-11 the sender
    rx = ReceiverSet(drain, 1)
    sdp = ctx.path("ffmpeg_in.sdp")
    with open(sdp, "w") as f:
        f.write(serve.receiver_sdp(ports, ports + 2, vpt=96, apt=111))
    enc = subprocess.Popen(ffmpeg_low_argv(sdp, rx.base, rx.base + 2, ports + 4),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=open(ctx.path("ffmpeg_ref_%s.log" % tag), "w"))
    time.sleep(0.5)
    snd = subprocess.Popen(sender_argv(ports, ports + 2, ports + 8, int(WARMUP + seconds + 10)),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=open(ctx.path("ffmpeg_ref_sender_%s.log" % tag), "w"))
    try:
        time.sleep(WARMUP)
        r0, _ = drain.snapshot()
        cpu, wall = window(enc.pid, seconds)
        r1, _ = drain.snapshot()
        rss, hwm = proc_mem_mib(enc.pid)
        alive = enc.poll() is None
    finally:
        stop_proc(snd)
        stop_proc(enc)
    v, a = r1[rx.slots[0][0]] - r0[rx.slots[0][0]], r1[rx.slots[0][2]] - r0[rx.slots[0][2]]
    if not alive or v == 0 or a == 0:
        sys.exit("fanout: the ffmpeg reference did not run (alive %s, video %d, audio %d packets); see %s"
                 % (alive, v, a, ctx.path("ffmpeg_ref_%s.log" % tag)))
    return {"cpu_per_media_s": cpu / wall, "peak_rss_mib": hwm, "video_packets": v, "audio_packets": a}


def room_sinks(srv):
    st = srv.ok("GET", "/rooms/fan")["state"]
    sinks = [s for p in st.get("profiles", []) if p.get("name") == "low" for s in p.get("outputs", [])]
    return st, sinks


def git_head():
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return r.stdout.decode().strip() or None


def media_time(srv):
    """The room's media clock in seconds."""
    return float(srv.ok("GET", "/rooms/fan")["state"]["media_time"])


def late_ticks(srv):
    code, text, _ = srv.call("GET", "/metrics")
    if code == 200 and isinstance(text, str):
        for line in text.splitlines():
            if line.startswith("tessera_room_late_ticks_total"):
                return int(float(line.split()[-1]))
    return None


def timed_counts(rxs):
    """rxs.counts() and the moment it stands for (reading nft counters takes a while)."""
    t = time.monotonic()
    c = rxs.counts()
    return c, (t + time.monotonic()) / 2


def run_series(args, levels, rxs, ctx, rtp_address="127.0.0.1"):
    """tessera serve with one sender and rxs's receivers attached level by level;
    returns the levels measured, the removal check and tessera's exit status."""
    result = {"levels": [], "refused": None}
    tport = serve.free_port_block(TESSERA_PORTS)
    srv = serve.Server(ctx, extra={"rtp_port_min": tport, "rtp_port_max": tport + TESSERA_PORTS - 1,
                                   "rtp_address": rtp_address})
    sender = None
    outputs = []
    try:
        srv.ok("POST", "/rooms", {"id": "fan", "layout": "grid", "fps": 30})
        sp = serve.free_port_block(4)
        ans = srv.ok("POST", "/rooms/fan/participants", {"name": "Mire", "sdp": serve.sender_offer(sp, sp + 2)})
        vdst, adst, _ = serve.answer_ports(ans["sdp"])
        total = int(WARMUP + 2) + len(levels) * int(WARMUP + args.seconds + 3) + 30
        sender = subprocess.Popen(sender_argv(vdst, adst, sp, total, rtp_address), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=open(ctx.path("sender.log"), "w"))
        pid = srv.proc.pid
        for n in levels:
            t_add = time.monotonic()
            while len(outputs) < n and result["refused"] is None:
                i = len(outputs)
                code, reply, _ = srv.call("POST", "/rooms/fan/outputs", {"profile": "low", "sdp": rxs.sdp(i)})
                if code not in (200, 201) or not isinstance(reply, dict) or "id" not in reply:
                    result["refused"] = {"output_number": i + 1, "http_status": code, "reply": reply}
                    log("tessera refused output #%d: HTTP %d %s" % (i + 1, code, json.dumps(reply)))
                    break
                outputs.append(reply["id"])
            t_add = time.monotonic() - t_add
            got = len(outputs)
            if result["levels"] and result["levels"][-1]["receivers"] == got:
                log("N = %d: not measured (still %d receivers)" % (n, got))
                continue
            time.sleep(WARMUP)
            c0, t0 = timed_counts(rxs)
            drops0 = rxs.drops()
            late0 = late_ticks(srv)
            media0 = media_time(srv)
            detail = {}
            cpu, wall = window(pid, args.seconds, detail)
            media = media_time(srv) - media0
            late1 = late_ticks(srv)
            c1, t1 = timed_counts(rxs)
            span = t1 - t0              # the packets were counted over this span
            drops = rxs.drops() - drops0
            rss, hwm = proc_mem_mib(pid)
            st, sinks = room_sinks(srv)
            d = [[c1[i][k] - c0[i][k] for k in range(6)] for i in range(len(c1))]
            vids = [d[i][0] for i in range(got)]
            auds = [d[i][2] for i in range(got)]
            srs = [c1[i][1] + c1[i][3] for i in range(got)]
            missing = [i for i in range(got) if vids[i] == 0 or auds[i] == 0 or srs[i] == 0]
            extra = sum(d[i][0] + d[i][2] for i in range(got, len(d)))
            vpkts, apkts = sum(vids), sum(auds)
            # The room's own clock: when it runs late, a wall second holds less media.
            lev = {"requested": n, "receivers": got, "cpu_s": cpu, "wall_s": wall, "media_s": media,
                   "realtime": media / wall, "cpu_per_media_s": cpu / media,
                   "rss_mib": rss, "peak_rss_mib": hwm, "add_outputs_s": t_add,
                   "video_packets_per_receiver": [min(vids), statistics.median(vids), max(vids)],
                   "audio_packets_per_receiver": [min(auds), statistics.median(auds), max(auds)],
                   "rtcp_packets_per_receiver_in_window": statistics.median(d[i][1] + d[i][3] for i in range(got)),
                   "video_pps_per_receiver": vpkts / got / span, "audio_pps_per_receiver": apkts / got / span,
                   "video_bytes_per_packet": sum(d[i][4] for i in range(got)) / max(1, vpkts),
                   "audio_bytes_per_packet": sum(d[i][5] for i in range(got)) / max(1, apkts),
                   "receivers_without_packets": missing, "packets_to_unattached_ports": extra,
                   "receiver_kernel_drops": drops, "sinks": len(sinks),
                   "sink_write_errors": sum(s.get("write_errors", 0) for s in sinks),
                   "late_ticks_in_window": None if late0 is None or late1 is None else late1 - late0,
                   "late_ticks_total": late1, "media_time": st.get("media_time")}
            lev.update(detail)
            result["levels"].append(lev)
            base = result["levels"][0]["cpu_per_media_s"]
            log("N = %3d%s: %.3f cpu-s/media-s (%+.1f %% vs N = 1)  media %.2f s in %.2f s wall  "
                "RSS %.1f MiB, peak %.1f MiB  "
                "receivers with video+audio+RTCP %d/%d  video pkts/receiver min %d med %d max %d  "
                "pkts/s per receiver: video %.1f audio %.1f  sinks %d  sendto errors %d  rx drops %d  "
                "late ticks %s in window (%s total)  user %.2f s sys %.2f s  drain thread %.2f cpu-s"
                % (got, "" if got == n else " (of %d)" % n, cpu / media, 100 * (cpu / media / base - 1), media, wall,
                   rss, hwm,
                   got - len(missing), got, min(vids), statistics.median(vids), max(vids),
                   lev["video_pps_per_receiver"], lev["audio_pps_per_receiver"], len(sinks),
                   lev["sink_write_errors"], drops, lev["late_ticks_in_window"], late1,
                   detail["user_s"], detail["sys_s"], detail["drain_cpu_s"]))
            if sender.poll() is not None:
                raise RuntimeError("the ffmpeg sender stopped early; see %s" % ctx.path("sender.log"))
        # Removal: every receiver must stop getting RTP.
        bad_deletes = []
        for oid in outputs:
            code, reply, _ = srv.call("DELETE", "/rooms/fan/outputs/%s" % oid)
            if code not in (200, 204):
                bad_deletes.append((oid, code, reply))
        time.sleep(0.5)
        c0 = rxs.counts()
        time.sleep(1.0)
        c1 = rxs.counts()
        still = [i for i in range(len(outputs)) if c1[i][0] - c0[i][0] + c1[i][2] - c0[i][2] > 0]
        st, sinks = room_sinks(srv)
        result["after_delete"] = {"delete_failures": bad_deletes, "receivers_still_receiving": len(still),
                                  "sinks_left": len(sinks)}
        log("after DELETE of %d outputs: %d failed deletes, %d receivers still getting RTP, %d sinks left"
            % (len(outputs), len(bad_deletes), len(still), len(sinks)))
    finally:
        if sender is not None:
            stop_proc(sender)
        srv.stop()            # SIGINT; raises unless tessera exits 0 cleanly
        result["tessera_exit"] = srv.proc.returncode
        log("tessera serve: SIGINT -> exit %d" % srv.proc.returncode)
    return result


def sendfloor_bin():
    """bench/sendfloor.c built into bench/work (cc -O2) when missing or older."""
    src = os.path.join(HERE, "sendfloor.c")
    exe = os.path.join(WORK, "sendfloor")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        os.makedirs(WORK, exist_ok=True)
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", exe, src], check=True)
    return exe


def kernel_floor(rxs, src_addr, receivers, lev, seconds):
    """CPU of bench/sendfloor sending what tessera sent to `receivers` receivers
    (lev's per-receiver packet rates and sizes) and nothing else."""
    c0 = rxs.counts()
    argv = [sendfloor_bin(), src_addr, rxs.addr, str(rxs.base), str(receivers),
            "%.2f" % lev["video_pps_per_receiver"], str(int(lev["video_bytes_per_packet"]) - 12),
            "%.2f" % lev["audio_pps_per_receiver"], str(max(1, int(lev["audio_bytes_per_packet"]) - 12)),
            str(seconds)]
    out = subprocess.run(argv, stdout=subprocess.PIPE, check=True).stdout
    time.sleep(0.3)
    c1 = rxs.counts()
    r = json.loads(out)
    got = [c1[i][0] - c0[i][0] + c1[i][2] - c0[i][2] for i in range(receivers)]
    r.update(receivers=receivers, cpu_per_s=(r["user_s"] + r["sys_s"]) / r["wall_s"],
             received_min=min(got), received_total=sum(got))
    return r


def series_summary(name, res, levels, ref=None, ref_rss=None):
    """Prints one model's table; returns its headline numbers."""
    lv = res["levels"]
    base = lv[0]["cpu_per_media_s"]
    log("%s (tessera serve, low profile):" % name)
    log("  %9s  %13s  %9s  %16s  %10s  %12s  %14s  %9s" % ("receivers", "cpu-s/media-s", "vs N=1", "per added rcvr",
                                                            "user/sys", "peak RSS MiB", "pkts/s/rcvr", "realtime"))
    for l in lv:
        per = (l["cpu_per_media_s"] - base) / (l["receivers"] - 1) if l["receivers"] > 1 else 0.0
        l["marginal_cpu_us_per_s_per_receiver"] = per * 1e6
        log("  %9d  %13.3f  %+8.1f%%  %11.0f us/s  %4.2f/%4.2f  %12.1f  %6.1f+%.1f  %8.0f%%%s" %
            (l["receivers"], l["cpu_per_media_s"], 100 * (l["cpu_per_media_s"] / base - 1), per * 1e6,
             l["user_s"] / l["media_s"], l["sys_s"] / l["media_s"], l["peak_rss_mib"],
             l["video_pps_per_receiver"], l["audio_pps_per_receiver"], 100 * l["realtime"],
             "" if l["realtime"] > 0.95 else "  (the room ran late: machine overloaded?)"))
    top = lv[-1]
    inc = top["cpu_per_media_s"] / base - 1
    reached = top["receivers"] >= levels[-1]
    met = reached and inc < TARGET_INCREASE
    res["target"] = {"receivers": levels[-1], "measured_receivers": top["receivers"], "increase": inc, "met": met}
    log("  target: %d receivers < +%.0f %% CPU vs 1: %s (measured %d receivers: %+.1f %%)"
        % (levels[-1], 100 * TARGET_INCREASE,
           "MET" if met else ("NOT MEASURABLE (tessera accepted only %d)" % top["receivers"]
                              if not reached else "NOT MET"), top["receivers"], 100 * inc))
    fl = res.get("kernel_floor")
    if fl and top["receivers"] > 1:
        added = fl["top"]["cpu_per_s"] - fl["one"]["cpu_per_s"]
        per_dgram = 1e6 * (fl["top"]["cpu_per_s"] - fl["one"]["cpu_per_s"]) / max(
            1.0, (fl["top"]["datagrams"] - fl["one"]["datagrams"]) / fl["top"]["wall_s"])
        ours = top["cpu_per_media_s"] - base - added
        res["kernel_floor"].update(added_cpu_per_s=added, us_per_datagram=per_dgram,
                                   floor_increase=added / base, tessera_own_increase=ours / base)
        log("  kernel floor: sendfloor sending the same datagrams (same rates/sizes, sendmmsg, %d sockets): "
            "%.3f cpu-s/s for %d receivers, %.3f for 1 (%.2f us per datagram); the added %d receivers' "
            "datagrams alone cost %+.1f %% of tessera's N=1 CPU; what is left for tessera's own per-receiver "
            "work: %+.1f %%" % (2 * top["receivers"], fl["top"]["cpu_per_s"], top["receivers"], fl["one"]["cpu_per_s"],
                               per_dgram, top["receivers"] - 1, 100 * added / base, 100 * ours / base))
    if ref:
        per = (top["cpu_per_media_s"] - base) / max(1, top["receivers"] - 1)
        log("  ratios: tessera N=1 / ffmpeg one encode: CPU %.2f, RSS %.2f; one added tessera receiver = %.2f %% "
            "of one ffmpeg encode" % (base / ref, lv[0]["peak_rss_mib"] / ref_rss, 100 * per / ref))
    bad = [l for l in lv if l["receivers_without_packets"]]
    if bad:
        log("  receivers without packets: %s" % "; ".join("N=%d: %s" % (l["receivers"], l["receivers_without_packets"][:10])
                                                        for l in bad))
    return not bad and res["tessera_exit"] == 0 and not res["after_delete"]["receivers_still_receiving"]


def run_with_floor(args, levels, rxs, ctx, addr):
    res = run_series(args, levels, rxs, ctx, addr)
    if not args.no_floor and res["levels"]:
        top = res["levels"][-1]
        fl = {"one": kernel_floor(rxs, addr, 1, top, args.seconds),
              "top": kernel_floor(rxs, addr, top["receivers"], top, args.seconds)}
        res["kernel_floor"] = fl
        log("kernel floor (sendfloor): 1 receiver %.3f cpu-s/s, %d receivers %.3f cpu-s/s (%d datagrams, "
            "every receiver got >= %d)" % (fl["one"]["cpu_per_s"], top["receivers"], fl["top"]["cpu_per_s"],
                                           fl["top"]["datagrams"], fl["top"]["received_min"]))
        if fl["top"]["received_min"] == 0:
            raise RuntimeError("sendfloor: a receiver got nothing")
    return res


NFT_TABLE = "fanout"
VETH_TX, VETH_RX = "10.77.0.1", "10.77.0.2"


def veth_child(args, levels):
    """Inside tessera's namespace: the series with VethReceivers; JSON to args.veth_child."""
    ctx = Ctx("fanout_veth")
    rxs = VethReceivers(levels[-1], VETH_RX, args.rx_netns)
    res = run_with_floor(args, levels, rxs, ctx, VETH_TX)
    with open(args.veth_child, "w") as f:
        json.dump(res, f)
    return 0


def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def veth_missing():
    """Why the veth model cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, veth, nftables)"
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            return "no `%s` (scripts/deps.sh installs iproute2 and nftables)" % tool
    return None


def veth_model(args, levels):
    """Makes two namespaces joined by a veth pair, with the drop-and-count rule on
    the receivers' side, runs the series in tessera's namespace, deletes both."""
    tag = "%d" % os.getpid()
    tx, rx, dev_tx, dev_rx = "fanout-tx-" + tag, "fanout-rx-" + tag, "fotx" + tag, "forx" + tag
    out = os.path.join(WORK, "fanout_veth.json")
    if os.path.exists(out):
        os.unlink(out)
    try:
        sh("ip", "netns", "add", tx)
        sh("ip", "netns", "add", rx)
        sh("ip", "link", "add", dev_tx, "type", "veth", "peer", "name", dev_rx)
        sh("ip", "link", "set", dev_tx, "netns", tx)
        sh("ip", "link", "set", dev_rx, "netns", rx)
        sh("ip", "-n", tx, "addr", "add", VETH_TX + "/24", "dev", dev_tx)
        sh("ip", "-n", rx, "addr", "add", VETH_RX + "/24", "dev", dev_rx)
        for ns, dev in ((tx, "lo"), (tx, dev_tx), (rx, "lo"), (rx, dev_rx)):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        rules = ("table netdev %s {\n set rx { type inet_service; size 65535; flags dynamic; counter; }\n"
                 " chain in { type filter hook ingress device %s priority 0; "
                 "ip protocol udp update @rx { udp dport } drop; }\n}\n" % (NFT_TABLE, dev_rx))
        subprocess.run(["ip", "netns", "exec", rx, "nft", "-f", "-"], input=rules.encode(), check=True)
        argv = ["ip", "netns", "exec", tx, sys.executable, os.path.abspath(__file__), args.tessera,
                "--seconds", str(args.seconds), "--levels", ",".join(map(str, levels)),
                "--veth-child", out, "--rx-netns", rx] + (["--no-floor"] if args.no_floor else [])
        r = subprocess.run(argv)
        if r.returncode != 0 or not os.path.exists(out):
            raise RuntimeError("the veth-model run failed (exit %d)" % r.returncode)
        with open(out) as f:
            return json.load(f)
    finally:
        subprocess.run(["ip", "netns", "del", tx], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", rx], stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tessera", nargs="?", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--seconds", type=int, default=10, help="measured window per level (default 10)")
    ap.add_argument("--levels", default="1,10,50,100,200", help="receiver counts (default 1,10,50,100,200)")
    ap.add_argument("--model", default="both", choices=("loopback", "veth", "both"),
                    help="receivers on loopback, behind a veth that drops at ingress, or both (default)")
    ap.add_argument("--no-ffmpeg", action="store_true", help="skip the ffmpeg reference")
    ap.add_argument("--no-floor", action="store_true", help="skip the kernel floor (sendfloor)")
    ap.add_argument("--veth-child", help=argparse.SUPPRESS)
    ap.add_argument("--rx-netns", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not os.access(args.tessera, os.X_OK):
        sys.exit("fanout: no tessera binary at %s (run make)" % args.tessera)
    args.tessera = os.path.abspath(args.tessera)
    os.environ["TESSERA_BIN"] = args.tessera
    levels = sorted({int(x) for x in args.levels.split(",") if x})
    if not levels or levels[0] < 1:
        sys.exit("fanout: levels must be >= 1")
    if args.veth_child:
        return veth_child(args, levels)
    ctx = Ctx("fanout")
    drain = Drain()
    result = {"seconds": args.seconds, "tessera": args.tessera, "git_head": git_head()}
    log("fanout: 1 room, 1 sender (testsrc2 640x360@30 + sine over RTP), low profile to N RTP receivers, "
        "N = %s; %d s windows after %.0f s warm-up; models: %s" % (", ".join(map(str, levels)), args.seconds,
                                                                   WARMUP, args.model))
    refs = []
    if not args.no_ffmpeg:
        refs.append(ffmpeg_reference(ctx, drain, args.seconds, "before"))
        log("ffmpeg reference (one low encode, before): %.3f cpu-s/media-s  peak RSS %.1f MiB"
            % (refs[-1]["cpu_per_media_s"], refs[-1]["peak_rss_mib"]))
    if args.model in ("loopback", "both"):
        log("-- loopback model: receivers are sockets of this process on 127.0.0.1")
        result["loopback"] = run_with_floor(args, levels, ReceiverSet(drain, levels[-1]), ctx, "127.0.0.1")
    if args.model in ("veth", "both"):
        missing = veth_missing()
        if missing:
            log("-- veth-drop model skipped: %s" % missing)
            result["veth_skipped"] = missing
        else:
            log("-- veth-drop model: receivers behind a veth pair, dropped and counted by nftables at ingress")
            result["veth"] = veth_model(args, levels)
    if not args.no_ffmpeg:
        refs.append(ffmpeg_reference(ctx, drain, args.seconds, "after"))
        log("ffmpeg reference (one low encode, after): %.3f cpu-s/media-s  peak RSS %.1f MiB"
            % (refs[-1]["cpu_per_media_s"], refs[-1]["peak_rss_mib"]))
    drain.close()

    log("")
    ref = statistics.median(r["cpu_per_media_s"] for r in refs) if refs else None
    ref_rss = statistics.median(r["peak_rss_mib"] for r in refs) if refs else None
    result["ffmpeg_reference"] = refs
    ok = True
    for name in ("loopback", "veth"):
        if name in result:
            ok = series_summary("%s model" % name, result[name], levels, ref, ref_rss) and ok
    if ref:
        log("ffmpeg, one low encode of the same input: %.3f cpu-s/media-s (median of %d: %s), peak RSS %.1f MiB"
            % (ref, len(refs), ", ".join("%.3f" % r["cpu_per_media_s"] for r in refs), ref_rss))
    out = os.path.join(WORK, "fanout.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    log("results: %s" % out)
    # Exit 1 only when something is broken (a target miss is a result, as in grid9.py).
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
