// A WHIP publisher in headless Firefox ESR for tessera's integration tests: the page
// sends Firefox's fake camera and microphone (a synthetic picture and a tone) to
// POST /whip/ROOM, then the script reports on stdout (one JSON object per line) and
// obeys stdin commands:
//   stats  -> {"event": "stats", "outbound": [...], "transport": {...}}  (getStats() outbound-rtp)
//   close  -> pc.close(), then exits
// Usage: node firefox_publish.mjs --url URL --profile DIR
import { fail, parseArgs, runFirefoxPage } from './firefox_page.mjs';

// Runs in the page.
async function publish({ url }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addEventListener('connectionstatechange', () => window.report({ event: 'state', connection: pc.connectionState }));
    for (const track of stream.getTracks())
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    return window.exchange(pc, url);
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
        let pair = null;
        stats.forEach((s) => {
            if (s.type === 'candidate-pair' && s.selected)
                pair = { state: s.state, bytesSent: s.bytesSent, bytesReceived: s.bytesReceived };
        });
        return { outbound: out, connection: window.pc.connectionState, pair };
    });
}

const opt = parseArgs('firefox_publish.mjs');
runFirefoxPage(opt, publish, { url: opt.url }, { stats: outboundStats }).catch(fail);
