// A WHIP publisher in headless Chromium for tessera's integration tests: the page
// sends its fake camera and microphone (known files) to POST /whip/ROOM, then the
// script reports on stdout (one JSON object per line) and obeys stdin commands:
//   stats  -> {"event": "stats", "outbound": [...]}  (getStats() outbound-rtp)
//   close  -> pc.close(), then exits
//   crash  -> exits at once: Chromium is killed without a goodbye (no DTLS close_notify)
// Usage: node publish.mjs --url URL --video cam.y4m --audio mic.wav [--mutate-fingerprint]
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

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

function report(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

// Runs in the page (same origin as the WHIP endpoint, so no CORS preflight).
async function publish({ url, mutate }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addEventListener('connectionstatechange', () => window.report({ event: 'state', connection: pc.connectionState }));
    for (const track of stream.getTracks())
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
        setTimeout(resolve, 3000);
    });
    let sdp = pc.localDescription.sdp;
    if (mutate)   // another certificate's fingerprint: the first byte changed
        sdp = sdp.replace(/a=fingerprint:(\S+) ([0-9A-F]{2})/g, (m, alg, b) => `a=fingerprint:${alg} ${b === '00' ? '01' : '00'}`);
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp });
    const body = await r.text();
    if (r.status !== 201) return { status: r.status, body, offer: sdp };
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    return { status: r.status, location: r.headers.get('Location'), answer: body, offer: sdp };
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
        return out;
    });
}

async function main() {
    const opt = args();
    const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
               '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
               `--use-file-for-fake-video-capture=${opt.video}`, `--use-file-for-fake-audio-capture=${opt.audio}`],
    });
    const page = await browser.newPage();
    page.on('console', (m) => report({ event: 'console', text: m.text() }));
    await page.exposeFunction('report', report);
    await page.goto(new URL('/health', opt.url).href);
    const res = await page.evaluate(publish, { url: opt.url, mutate: opt.mutate });
    report({ event: 'answer', ...res });
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
        const cmd = line.trim();
        if (cmd === 'stats') {
            report({ event: 'stats', outbound: await outboundStats(page) });
        } else if (cmd === 'close') {
            await page.evaluate(() => window.pc.close());
            break;
        } else if (cmd === 'crash') {
            // playwright-core SIGKILLs the browser when this process exits.
            report({ event: 'crashed' });
            process.exit(0);
        }
    }
    await browser.close();
    report({ event: 'closed' });
    process.exit(0);                 // stdin may still be open
}

main().catch((e) => {
    report({ event: 'error', message: String(e && e.stack || e) });
    process.exit(1);
});
