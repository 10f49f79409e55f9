// A WHEP viewer in headless Chromium for tessera's integration tests: the page
// offers recvonly audio + video to POST /whep/ROOM?profile=P, plays the answer in a
// <video>, then the script reports on stdout (one JSON object per line) and obeys
// stdin commands:
//   stats          -> {"event": "stats", "inbound": [...]}  (getStats() inbound-rtp)
//   pixel [PTS]    -> {"event": "pixel", "rgb": [r, g, b], "points": [[r, g, b], ...], "width": w, "height": h}
//                     (rgb: the centre of the video; points: at each "fx,fy" fraction of PTS "fx,fy;fx,fy")
//   tones F,F,...  -> {"event": "tones", "db": {F: dB, ...}}  (the received audio through a WebAudio
//                     analyser, averaged over 1 s: the level of each frequency F in Hz)
//   screenshot P   -> {"event": "screenshot", "path": P}  (the <video> element as PNG)
//   monitor        -> {"event": "monitor"}: from now on the page samples the video's
//                     framesDecoded and frameHeight every 100 ms
//   monitor_report -> {"event": "monitor_report", "longestGapMs": g, "samples": n,
//                     "heights": [[ms since start, height], ...]} (each height change)
//   close          -> pc.close(), then exits
// Usage: node view.mjs --url URL
import { fail, runPage } from './page.mjs';
import { tones } from './probes.mjs';

// Runs in the page.
async function view({ url }) {
    document.body.innerHTML = '<video id="v" autoplay muted playsinline style="width:320px;height:180px"></video>';
    // Chromium gathers host candidates only for a page with media permission.
    (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach((t) => t.stop());
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
    return window.exchange(pc, url, null);
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
                       totalSamplesReceived: s.totalSamplesReceived, totalAudioEnergy: s.totalAudioEnergy,
                       nackCount: s.nackCount, pliCount: s.pliCount, freezeCount: s.freezeCount,
                       totalFreezesDuration: s.totalFreezesDuration, codec: codec ? codec.mimeType : '' });
        });
        return { inbound: out };
    });
}

// The video's current frame drawn on a canvas of its own size, sampled at the
// centre and at each point (fractions of the width and height).
async function samplePixels(page, pts) {
    const points = (pts || '').split(';').filter((p) => p).map((p) => p.split(',').map(Number));
    return page.evaluate((points) => {
        const v = document.getElementById('v');
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        if (!c.width || !c.height) return { rgb: null, points: [], width: 0, height: 0 };
        const g = c.getContext('2d');
        g.drawImage(v, 0, 0);
        const at = (x, y) => Array.from(g.getImageData(Math.min(c.width - 1, Math.floor(x)),
                                                         Math.min(c.height - 1, Math.floor(y)), 1, 1).data.slice(0, 3));
        return { rgb: at(c.width >> 1, c.height >> 1), points: points.map(([fx, fy]) => at(fx * c.width, fy * c.height)),
                 width: c.width, height: c.height };
    }, points);
}

// Longest time framesDecoded stood still, sampled every 100 ms in the page.
async function startMonitor(page) {
    return page.evaluate(() => {
        const m = { start: performance.now(), lastDecoded: -1, lastChange: 0, longestGapMs: 0, samples: 0,
                    heights: [] };
        window.monitor = m;
        m.timer = setInterval(async () => {
            const stats = await window.pc.getStats();
            const now = performance.now() - m.start;
            stats.forEach((s) => {
                if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
                m.samples++;
                if (s.framesDecoded !== m.lastDecoded) {
                    if (m.lastDecoded >= 0) m.longestGapMs = Math.max(m.longestGapMs, now - m.lastChange);
                    m.lastDecoded = s.framesDecoded;
                    m.lastChange = now;
                }
                const h = s.frameHeight || 0;
                if (!m.heights.length || m.heights[m.heights.length - 1][1] !== h) m.heights.push([Math.round(now), h]);
            });
        }, 100);
        return {};
    });
}

async function monitorReport(page) {
    return page.evaluate(() => {
        const m = window.monitor;
        if (!m) return { longestGapMs: -1, samples: 0, heights: [] };
        const now = performance.now() - m.start;
        const open = m.lastDecoded >= 0 ? now - m.lastChange : 0;   /* a freeze still going on */
        return { longestGapMs: Math.round(Math.max(m.longestGapMs, open)), samples: m.samples, heights: m.heights };
    });
}

const a = process.argv.slice(2);
if (a[0] !== '--url' || !a[1]) fail(new Error('usage: node view.mjs --url URL'));
runPage(a[1], [], view, { url: a[1] }, {
    stats: inboundStats,
    pixel: samplePixels,
    tones,
    monitor: startMonitor,
    monitor_report: monitorReport,
    screenshot: async (page, path) => { await page.locator('#v').screenshot({ path }); return { path }; },
}).catch(fail);
