// A WHEP viewer in headless Firefox ESR for tessera's integration tests: the page
// offers recvonly audio + video to POST /whep/ROOM?profile=P, plays the answer in a
// <video>, then the script reports on stdout (one JSON object per line) and obeys
// stdin commands:
//   stats  -> {"event": "stats", "inbound": [...]}  (getStats() inbound-rtp)
//   pixel  -> {"event": "pixel", "rgb": [r, g, b], "width": w, "height": h}  (the video's
//             current frame drawn on a canvas, sampled at its centre)
//   tones F,F,...  -> {"event": "tones", "db": {F: dB, ...}}  (the received audio through a
//             WebAudio analyser, averaged over 1 s: the level of each frequency F in Hz)
//   close  -> pc.close(), then exits
// Usage: node firefox_view.mjs --url URL --profile DIR
import { fail, parseArgs, runFirefoxPage } from './firefox_page.mjs';
import { tones } from './probes.mjs';

// Runs in the page.
async function view({ url }) {
    document.body.innerHTML = '<video id="v" autoplay muted playsinline style="width:320px;height:180px"></video>';
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addEventListener('connectionstatechange', () => window.report({ event: 'state', connection: pc.connectionState }));
    const stream = new MediaStream();
    pc.addEventListener('track', (e) => {
        stream.addTrack(e.track);
        document.getElementById('v').srcObject = stream;
    });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    return window.exchange(pc, url);
}

async function inboundStats(page) {
    return page.evaluate(async () => {
        const out = [];
        const stats = await window.pc.getStats();
        stats.forEach((s) => {
            if (s.type !== 'inbound-rtp') return;
            const codec = s.codecId ? stats.get(s.codecId) : null;
            out.push({ kind: s.kind, packetsReceived: s.packetsReceived, packetsLost: s.packetsLost,
                       framesDecoded: s.framesDecoded, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
                       totalSamplesReceived: s.totalSamplesReceived, nackCount: s.nackCount, pliCount: s.pliCount,
                       codec: codec ? codec.mimeType : '' });
        });
        return { inbound: out, connection: window.pc.connectionState };
    });
}

async function samplePixel(page) {
    return page.evaluate(() => {
        const v = document.getElementById('v');
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        if (!c.width || !c.height) return { rgb: null, width: 0, height: 0 };
        const g = c.getContext('2d');
        g.drawImage(v, 0, 0);
        return { rgb: Array.from(g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data.slice(0, 3)),
                 width: c.width, height: c.height };
    });
}

const opt = parseArgs('firefox_view.mjs');
runFirefoxPage(opt, view, { url: opt.url }, { stats: inboundStats, pixel: samplePixel, tones }).catch(fail);
