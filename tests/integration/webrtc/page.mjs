// What publish.mjs (WHIP) and view.mjs (WHEP) share: headless Chromium with the
// flags WebRTC needs on loopback, the page's offer/answer exchange with tessera and
// the stdin command loop (one JSON object per line on stdout).
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { fail, report } from './probes.mjs';

export { fail, report };

// In the page (installed as window.exchange): waits for ICE gathering (3 s at most),
// POSTs the offer to url (same origin: no CORS preflight) and applies the answer.
// mutate(sdp) may alter the offer first.
function exchange(pc, url, mutate) {
    return (async () => {
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise((resolve) => {
            if (pc.iceGatheringState === 'complete') resolve();
            pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
            setTimeout(resolve, 3000);
        });
        const sdp = mutate ? mutate(pc.localDescription.sdp) : pc.localDescription.sdp;
        const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp });
        const body = await r.text();
        if (r.status !== 201) return { status: r.status, body, offer: sdp };
        await pc.setRemoteDescription({ type: 'answer', sdp: body });
        return { status: r.status, location: r.headers.get('Location'), answer: body, offer: sdp };
    })();
}

// Launches Chromium (extra flags appended), runs setup(arg) in a page of url's
// origin and reports its result as {"event": "answer", ...}; then each stdin line
// "NAME ARG" runs commands[NAME](page, ARG), reported as {"event": NAME, ...};
// "close" closes window.pc and exits.
export async function runPage(url, extraArgs, setup, arg, commands) {
    const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
               '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection'].concat(extraArgs),
    });
    const page = await browser.newPage();
    page.on('console', (m) => report({ event: 'console', text: m.text() }));
    await page.exposeFunction('report', report);
    await page.goto(new URL('/health', url).href);
    await page.evaluate(`window.exchange = ${exchange.toString()}`);
    report({ event: 'answer', ...(await page.evaluate(setup, arg)) });
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
        const [cmd, cmdArg] = line.trim().split(/\s+/, 2);
        if (cmd === 'close') {
            await page.evaluate(() => window.pc.close());
            break;
        }
        if (commands[cmd])
            report({ event: cmd, ...(await commands[cmd](page, cmdArg)) });
    }
    await browser.close();
    report({ event: 'closed' });
    process.exit(0);                 // stdin may still be open
}
