// Many WHIP publishers in one headless Chromium page for tessera's churn test: the page
// opens N RTCPeerConnections one after the other, each sending the fake microphone
// (audio only: N video encoders would not fit on the test machine) to POST /whip/ROOM.
// Reports {"event": "answer", "statuses": [...]} on stdout; stdin commands:
//   crash -> exits at once: Chromium is killed without a goodbye (no DELETE, no DTLS close_notify)
//   closepage -> the page is closed (no DELETE; Chromium tears its connections down), then exits
//   close -> closes every connection, then exits
// Usage: node churn.mjs --url URL --audio mic.wav --count N
import { fail, report, runPage } from './page.mjs';

const a = process.argv.slice(2);
const opt = {};
for (let i = 0; i < a.length; i += 2) opt[a[i].replace(/^--/, '')] = a[i + 1];
if (!opt.url || !opt.audio || !opt.count) fail(new Error('usage: node churn.mjs --url URL --audio mic.wav --count N'));

// Runs in the page.
async function publishMany({ url, count }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const statuses = [];
    window.pcs = [];
    for (let i = 0; i < Number(count); i++) {
        const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
        for (const track of stream.getAudioTracks())
            pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        window.pcs.push(pc);
        const res = await window.exchange(pc, `${url}?name=P${i}`, null);
        statuses.push(res.status);
    }
    window.pc = { close: () => window.pcs.forEach((pc) => pc.close()) };
    return { statuses };
}

runPage(opt.url, [`--use-file-for-fake-audio-capture=${opt.audio}`], publishMany, { url: opt.url, count: opt.count }, {
    crash: async () => { report({ event: 'crashed' }); process.exit(0); },
    closepage: async (page) => {
        await page.close();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        report({ event: 'pageclosed' });
        process.exit(0);
    },
}).catch(fail);
