// What firefox_publish.mjs (WHIP) and firefox_view.mjs (WHEP) share: Debian's
// firefox-esr, headless, driven by puppeteer-core over WebDriver BiDi, with the prefs
// WebRTC needs on loopback, the offer/answer exchange with tessera and the stdin
// command loop (one JSON object per line on stdout, as page.mjs for Chromium).
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';
import { fail, report } from './probes.mjs';

export { fail, report };

export const FIREFOX = '/usr/bin/firefox-esr';

// Fake camera (a synthetic picture) and microphone (a 660 Hz tone), no permission
// prompt; ICE: host candidates not hidden behind mDNS names, UDP only (loopback is
// asked for, but Firefox drops it anyway: see tests_webrtc.py, FIREFOX_ADDR); audio
// output through cubeb's mock context (no sound device here: without it WebAudio
// never runs).
const PREFS = {
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
    'media.navigator.audio.fake_frequency': 660,
    'media.peerconnection.ice.loopback': true,
    'media.peerconnection.ice.obfuscate_host_addresses': false,
    'media.peerconnection.ice.tcp': false,
    'media.autoplay.default': 0,
    'media.autoplay.block-webaudio': false,
    'network.proxy.type': 0,
    'media.cubeb.force_mock_context': true,
};

// In the page (installed as window.exchange): waits for ICE gathering (3 s at most),
// POSTs the offer to url (same origin) and applies the answer.
function exchange(pc, url) {
    return (async () => {
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise((resolve) => {
            if (pc.iceGatheringState === 'complete') resolve();
            pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
            setTimeout(resolve, 3000);
        });
        const sdp = pc.localDescription.sdp;
        const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp });
        const body = await r.text();
        if (r.status !== 201) return { status: r.status, body, offer: sdp };
        try {
            await pc.setRemoteDescription({ type: 'answer', sdp: body });
        } catch (e) {
            return { status: r.status, answer: body, offer: sdp, rejected: String(e) };
        }
        return { status: r.status, location: r.headers.get('Location'), answer: body, offer: sdp };
    })();
}

// --url URL --profile DIR from the command line (DIR: Firefox's profile, made by
// puppeteer there and left for the caller to delete; puppeteer's own temporary
// profile would outlive a process that exits right after closing the browser).
export function parseArgs(script) {
    const out = { url: '', profile: '' };
    const a = process.argv.slice(2);
    for (let i = 0; i < a.length; i += 2) {
        if (a[i] === '--url') out.url = a[i + 1];
        else if (a[i] === '--profile') out.profile = a[i + 1];
        else fail(new Error(`unknown argument ${a[i]}`));
    }
    if (!out.url || !out.profile) fail(new Error(`usage: node ${script} --url URL --profile DIR`));
    return out;
}

// Launches firefox-esr, runs setup(arg) in a page of url's origin and reports its
// result as {"event": "answer", "browser": "Firefox/N", ...}; then each stdin line
// "NAME ARG" runs commands[NAME](page, ARG), reported as {"event": NAME, ...};
// "close" closes window.pc and exits. The page reports events through console
// messages prefixed "@report " (window.report).
export async function runFirefoxPage({ url, profile }, setup, arg, commands) {
    const browser = await puppeteer.launch({
        browser: 'firefox',
        executablePath: FIREFOX,
        headless: true,
        userDataDir: profile,
        extraPrefsFirefox: PREFS,
    });
    const page = await browser.newPage();
    page.on('console', (m) => {
        const text = m.text();
        if (text.startsWith('@report '))
            process.stdout.write(text.slice(8) + '\n');
        else
            report({ event: 'console', text });
    });
    await page.goto(new URL('/health', url).href);
    await page.evaluate(`window.report = (o) => console.log('@report ' + JSON.stringify(o));
                         window.exchange = ${exchange.toString()}`);
    const version = await browser.version();
    report({ event: 'answer', browser: version, ...(await page.evaluate(setup, arg)) });
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
        const [cmd, cmdArg] = line.trim().split(/\s+/, 2);
        if (cmd === 'close') {
            await page.evaluate(() => window.pc && window.pc.close());
            break;
        }
        if (commands[cmd])
            report({ event: cmd, ...(await commands[cmd](page, cmdArg)) });
    }
    await browser.close();
    report({ event: 'closed' });
    process.exit(0);                 // stdin may still be open
}
