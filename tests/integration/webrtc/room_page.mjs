// The room page (GET /rooms/ROOM/view) in headless Chromium for tessera's integration
// tests: opens the page, reports {"event": "answer", "status": N} once loaded, then
// obeys stdin commands, one JSON object per line on stdout:
//   stats           -> {"event": "stats", "framesDecoded": n, "currentTime": t, "width", "height"}
//   participants    -> {"event": "participants", "names": ["Rouge", ...], "speaking": [bool, ...]}
//   layout NAME     -> clicks the page's NAME layout button: {"event": "layout", "name": NAME}
//   caption TEXT    -> types TEXT (one word) and clicks Post: {"event": "caption", "shown": "..."}
//   screenshot P    -> {"event": "screenshot", "path": P}  (the whole page as PNG)
//   close           -> exits
// Usage: node room_page.mjs --url URL
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { fail, report } from './page.mjs';

const commands = {
    stats: (page) => page.evaluate(async () => {
        const v = document.getElementById('video');
        const out = { framesDecoded: 0, currentTime: v.currentTime, width: v.videoWidth, height: v.videoHeight,
                      status: document.getElementById('status').textContent };
        if (window.room_page_pc)
            (await window.room_page_pc.getStats()).forEach((s) => {
                if (s.type === 'inbound-rtp' && s.kind === 'video') out.framesDecoded = s.framesDecoded || 0;
            });
        return out;
    }),
    participants: (page) => page.evaluate(() => {
        const items = [...document.querySelectorAll('#participants li')];
        return { names: items.map((li) => li.textContent), speaking: items.map((li) => li.classList.contains('speaking')) };
    }),
    layout: async (page, name) => {
        await page.click('#layout-' + name);
        return { name };
    },
    caption: async (page, text) => {
        await page.fill('#caption-text', text);
        await page.click('#caption-send');
        await page.waitForFunction((t) => document.getElementById('caption').textContent === t, text, { timeout: 5000 })
            .catch(() => {});
        return { shown: await page.textContent('#caption') };
    },
    screenshot: async (page, path) => { await page.screenshot({ path }); return { path }; },
};

async function main(url) {
    const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
               '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection'],
    });
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    page.on('console', (m) => report({ event: 'console', text: m.text() }));
    const res = await page.goto(url);
    report({ event: 'answer', status: res ? res.status() : 0, title: await page.title() });
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
        const t = line.trim();
        const sp = t.indexOf(' ');
        const cmd = sp < 0 ? t : t.slice(0, sp), arg = sp < 0 ? '' : t.slice(sp + 1);
        if (cmd === 'close') break;
        if (commands[cmd])
            report({ event: cmd, ...(await commands[cmd](page, arg)) });
    }
    await browser.close();
    report({ event: 'closed' });
    process.exit(0);
}

const a = process.argv.slice(2);
if (a[0] !== '--url' || !a[1]) fail(new Error('usage: node room_page.mjs --url URL'));
main(a[1]).catch(fail);
