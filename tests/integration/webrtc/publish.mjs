// A WHIP publisher in headless Chromium for tessera's integration tests: the page
// sends its fake camera and microphone (known files) to POST /whip/ROOM, then the
// script reports on stdout (one JSON object per line) and obeys stdin commands:
//   stats  -> {"event": "stats", "outbound": [...]}  (getStats() outbound-rtp)
//   close  -> pc.close(), then exits
//   crash  -> exits at once: Chromium is killed without a goodbye (no DTLS close_notify)
// Usage: node publish.mjs --url URL --video cam.y4m --audio mic.wav [--mutate-fingerprint]
import { fail, report, runPage } from './page.mjs';

function args() {
    const out = { url: '', video: '', audio: '', mutate: false };
    const a = process.argv.slice(2);
    for (let i = 0; i < a.length; i++) {
        if (a[i] === '--url') out.url = a[++i];
        else if (a[i] === '--video') out.video = a[++i];
        else if (a[i] === '--audio') out.audio = a[++i];
        else if (a[i] === '--mutate-fingerprint') out.mutate = true;
        else throw new Error(`unknown argument ${a[i]}`);
    }
    if (!out.url || !out.video || !out.audio) throw new Error('need --url, --video and --audio');
    return out;
}

// Runs in the page.
async function publish({ url, mutate }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addEventListener('connectionstatechange', () => window.report({ event: 'state', connection: pc.connectionState }));
    for (const track of stream.getTracks())
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    // With mutate: another certificate's fingerprint (the first byte changed).
    return window.exchange(pc, url, mutate ? (sdp) => sdp.replace(/a=fingerprint:(\S+) ([0-9A-F]{2})/g,
        (m, alg, b) => `a=fingerprint:${alg} ${b === '00' ? '01' : '00'}`) : null);
}

async function outboundStats(page) {
    return page.evaluate(async () => {
        const out = [];
        const stats = await window.pc.getStats();
        stats.forEach((s) => {
            if (s.type !== 'outbound-rtp') return;
            const codec = s.codecId ? stats.get(s.codecId) : null;
            out.push({ kind: s.kind, packetsSent: s.packetsSent, framesEncoded: s.framesEncoded,
                       nackCount: s.nackCount, pliCount: s.pliCount, codec: codec ? codec.mimeType : '' });
        });
        return { outbound: out };
    });
}

const opt = args();
runPage(opt.url, [`--use-file-for-fake-video-capture=${opt.video}`, `--use-file-for-fake-audio-capture=${opt.audio}`],
        publish, { url: opt.url, mutate: opt.mutate }, {
    stats: outboundStats,
    // playwright-core SIGKILLs the browser when this process exits.
    crash: async () => { report({ event: 'crashed' }); process.exit(0); },
}).catch(fail);
