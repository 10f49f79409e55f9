// A WHEP viewer in headless Chromium for tessera's integration tests: the page
// offers recvonly audio + video to POST /whep/ROOM?profile=P, plays the answer in a
// <video>, then the script reports on stdout (one JSON object per line) and obeys
// stdin commands:
//   stats          -> {"event": "stats", "inbound": [...]}  (getStats() inbound-rtp)
//   pixel          -> {"event": "pixel", "rgb": [r, g, b], "width": w, "height": h}  (centre of the video)
//   screenshot P   -> {"event": "screenshot", "path": P}  (the <video> element as PNG)
//   monitor        -> {"event": "monitor"}: from now on the page samples the video's
//                     framesDecoded and frameHeight every 100 ms
//   monitor_report -> {"event": "monitor_report", "longestGapMs": g, "samples": n,
//                     "heights": [[ms since start, height], ...]} (each height change)
//   close          -> pc.close(), then exits
// Usage: node view.mjs --url URL
import { fail, runPage } from './page.mjs';

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
                       totalSamplesReceived: s.totalSamplesReceived, nackCount: s.nackCount,
                       pliCount: s.pliCount, freezeCount: s.freezeCount,
                       totalFreezesDuration: s.totalFreezesDuration, codec: codec ? codec.mimeType : '' });
        });
        return { inbound: out };
    });
}

async function centrePixel(page) {
    return page.evaluate(() => {
        const v = document.getElementById('v');
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        if (!c.width || !c.height) return { rgb: null, width: 0, height: 0 };
        const g = c.getContext('2d');
        g.drawImage(v, 0, 0);
        const d = g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
        return { rgb: [d[0], d[1], d[2]], width: c.width, height: c.height };
    });
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
    pixel: centrePixel,
    monitor: startMonitor,
    monitor_report: monitorReport,
    screenshot: async (page, path) => { await page.locator('#v').screenshot({ path }); return { path }; },
}).catch(fail);
