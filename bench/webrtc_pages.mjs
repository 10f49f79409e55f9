// Chromium pages for bench/webrtc.py (headless, fake devices; the helpers of
// tests/integration/webrtc/page.mjs). One JSON object per line on stdout; commands on stdin.
//   --role publisher --url WHIP_URL --video cam.y4m --audio mic.wav
//       publish   -> {"event": "publish", "t0": wall ms at the POST, "t201": wall ms at the answer, "location"}
//                    (a new RTCPeerConnection; the offer is POSTed once ICE gathering is complete)
//       unpublish -> {"event": "unpublish"} (pc.close() and DELETE of the session)
//   --role watcher --url WHEP_URL
//       plays the room in a <video>; every presented frame (requestVideoFrameCallback) is drawn
//       on a canvas and its centre compared with --rgb R,G,B (per channel within 60):
//       transitions -> {"event": "transitions", "list": [[wall ms, matches], ...]}
//   --role viewers --url WHEP_URL
//       add N  -> {"event": "add", "statuses": [...]} (N more RTCPeerConnections, each a WHEP viewer)
//       stats  -> {"event": "stats", "pcs", "connected", "decoding", "framesDecoded", "width", "height"}
//       (framesDecoded: the sum over every viewer; decoding: viewers that decoded a frame)
import { fail, runPage } from '../tests/integration/webrtc/page.mjs';

function args() {
    const out = { role: '', url: '', video: '', audio: '', rgb: '220,40,40' };
    const a = process.argv.slice(2);
    for (let i = 0; i < a.length; i += 2) {
        const k = a[i].replace(/^--/, '');
        if (!(k in out)) throw new Error(`unknown argument ${a[i]}`);
        out[k] = a[i + 1];
    }
    if (!out.role || !out.url) throw new Error('need --role and --url');
    return out;
}

// In the page: a WHEP viewer pc (recvonly audio + video), offered once gathering is done.
async function whepViewer(url) {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    const res = await window.exchange(pc, url, null);
    return { pc, res };
}

async function setupPublisher({ url }) {
    window.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    window.publishOnce = async () => {
        const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
        for (const track of window.stream.getTracks())
            pc.addTransceiver(track, { direction: 'sendonly', streams: [window.stream] });
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise((resolve) => {
            if (pc.iceGatheringState === 'complete') resolve();
            pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
            setTimeout(resolve, 3000);
        });
        const t0 = Date.now();
        const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
        const body = await r.text();
        const t201 = Date.now();
        if (r.status !== 201) return { status: r.status, body };
        await pc.setRemoteDescription({ type: 'answer', sdp: body });
        window.pc = pc;
        window.location_ = r.headers.get('Location');
        return { status: r.status, t0, t201, location: window.location_ };
    };
    window.unpublishOnce = async () => {
        window.pc.close();
        await fetch(window.location_, { method: 'DELETE' });
        return {};
    };
    window.pc = new RTCPeerConnection();          // runPage's close command closes window.pc
    return { status: 'ready' };
}

async function setupWatcher({ url, rgb, whep }) {
    const whepViewer = eval(whep);
    const want = rgb.split(',').map(Number);
    document.body.innerHTML = '<video id="v" autoplay muted playsinline></video>';
    (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach((t) => t.stop());
    const { pc, res } = await whepViewer(url);
    window.pc = pc;
    const v = document.getElementById('v');
    const stream = new MediaStream(pc.getReceivers().map((r) => r.track));
    v.srcObject = stream;
    const c = document.createElement('canvas');
    c.width = 32;
    c.height = 18;
    const g = c.getContext('2d', { willReadFrequently: true });
    window.transitions = [];
    let last = null;
    const onFrame = (now) => {
        g.drawImage(v, 0, 0, c.width, c.height);
        const d = g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
        const match = Math.max(Math.abs(d[0] - want[0]), Math.abs(d[1] - want[1]), Math.abs(d[2] - want[2])) <= 60;
        if (match !== last) {
            window.transitions.push([performance.timeOrigin + now, match]);
            last = match;
        }
        v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
    return res;
}

async function setupViewers() {
    (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach((t) => t.stop());
    window.pcs = [];
    window.pc = new RTCPeerConnection();
    return { status: 'ready' };
}

async function addViewers(page, n, url) {
    return page.evaluate(async ({ n, url, whep }) => {
        const make = eval(whep);
        const statuses = [];
        for (let i = 0; i < n; i++) {
            const { pc, res } = await make(url);
            window.pcs.push(pc);
            statuses.push(res.status);
        }
        return { statuses };
    }, { n: Number(n), url, whep: `(${whepViewer.toString()})` });
}

async function viewerStats(page) {
    return page.evaluate(async () => {
        let connected = 0, decoding = 0, frames = 0, width = 0, height = 0;
        for (const pc of window.pcs) {
            if (pc.connectionState === 'connected') connected++;
            const stats = await pc.getStats();
            stats.forEach((s) => {
                if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
                frames += s.framesDecoded || 0;
                if (s.framesDecoded) decoding++;
                width = s.frameWidth || width;
                height = s.frameHeight || height;
            });
        }
        return { pcs: window.pcs.length, connected, decoding, framesDecoded: frames, width, height };
    });
}

const opt = args();
const extra = opt.role === 'publisher'
    ? [`--use-file-for-fake-video-capture=${opt.video}`, `--use-file-for-fake-audio-capture=${opt.audio}`] : [];
const setup = { publisher: setupPublisher, watcher: setupWatcher, viewers: setupViewers }[opt.role];
if (!setup) fail(new Error(`unknown role ${opt.role}`));
runPage(opt.url, extra, setup, { ...opt, whep: `(${whepViewer.toString()})` }, {
    publish: (page) => page.evaluate(() => window.publishOnce()),
    unpublish: (page) => page.evaluate(() => window.unpublishOnce()),
    transitions: (page) => page.evaluate(() => ({ list: window.transitions })),
    add: (page, n) => addViewers(page, n, opt.url),
    stats: viewerStats,
}).catch(fail);
