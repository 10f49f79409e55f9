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

// The received audio track into a WebAudio analyser: dB of each frequency's FFT bin,
// averaged over ten spectra 100 ms apart.
async function tones(page, list) {
    const freqs = (list || '').split(',').filter((f) => f).map(Number);
    return page.evaluate(async (freqs) => {
        const track = document.getElementById('v').srcObject.getAudioTracks()[0];
        if (!track) return { db: {} };
        const ctx = new AudioContext();
        await ctx.resume();
        const an = ctx.createAnalyser();
        an.fftSize = 8192;
        an.smoothingTimeConstant = 0;
        ctx.createMediaStreamSource(new MediaStream([track])).connect(an);
        const sum = freqs.map(() => 0), bin = new Float32Array(an.frequencyBinCount);
        for (let i = 0; i < 10; i++) {
            await new Promise((r) => setTimeout(r, 100));
            an.getFloatFrequencyData(bin);
            freqs.forEach((f, k) => { sum[k] += bin[Math.round(f / (ctx.sampleRate / an.fftSize))]; });
        }
        await ctx.close();
        const db = {};
        freqs.forEach((f, k) => { db[f] = sum[k] / 10; });
        return { db };
    }, freqs);
}

const opt = parseArgs('firefox_view.mjs');
runFirefoxPage(opt, view, { url: opt.url }, { stats: inboundStats, pixel: samplePixel, tones }).catch(fail);
