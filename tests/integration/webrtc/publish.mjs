// A WHIP publisher in headless Chromium for tessera's integration tests: the page
// sends its fake camera and microphone (known files) to POST /whip/ROOM, then the
// script reports on stdout (one JSON object per line) and obeys stdin commands:
//   stats  -> {"event": "stats", "outbound": [...]}  (getStats() outbound-rtp)
//   close  -> pc.close(), then exits
//   crash  -> exits at once: Chromium is killed without a goodbye (no DTLS close_notify)
//   restart -> {"event": "restart", "status", "oldUfrag", "newUfrag", "etag", "answer"}: pc.restartIce(),
//             the new offer's credentials and candidates PATCHed as an sdpfrag (If-Match: *), tessera's
//             sdpfrag answer applied to the current remote description
// With --trickle the offer is POSTed at once without candidates, and each candidate is PATCHed
// (If-Match: the POST's ETag) as it comes, then end-of-candidates ({"event": "patch", ...} each);
// the candidates of tessera's answer are removed before it is applied, so that the browser
// cannot start the checks itself: ICE works only if the trickled candidates reach tessera.
// Usage: node publish.mjs --url URL --video cam.y4m --audio mic.wav [--mutate-fingerprint] [--trickle]
import { fail, report, runPage } from './page.mjs';

function args() {
    const out = { url: '', video: '', audio: '', mutate: false, trickle: false };
    const a = process.argv.slice(2);
    for (let i = 0; i < a.length; i++) {
        if (a[i] === '--url') out.url = a[++i];
        else if (a[i] === '--video') out.video = a[++i];
        else if (a[i] === '--audio') out.audio = a[++i];
        else if (a[i] === '--mutate-fingerprint') out.mutate = true;
        else if (a[i] === '--trickle') out.trickle = true;
        else throw new Error(`unknown argument ${a[i]}`);
    }
    if (!out.url || !out.video || !out.audio) throw new Error('need --url, --video and --audio');
    return out;
}

// Runs in the page (installed as window.sdpfrag): an sdpfrag of an SDP's first m=
// section (ICE credentials, the m= line, its mid) with candidate lines and,
// with end, a=end-of-candidates.
function sdpfrag(sdp, candidates, end) {
    const line = (re) => (sdp.match(re) || [])[1];
    return `a=ice-ufrag:${line(/a=ice-ufrag:(\S+)/)}\r\na=ice-pwd:${line(/a=ice-pwd:(\S+)/)}\r\n` +
        `m=${line(/m=([^\r\n]+)/)}\r\na=mid:${line(/a=mid:(\S+)/)}\r\n` +
        candidates.map((c) => `a=${c}\r\n`).join('') + (end ? 'a=end-of-candidates\r\n' : '');
}

// Runs in the page: trickle ICE over WHIP (see the header).
async function publishTrickle({ url }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addEventListener('connectionstatechange', () => window.report({ event: 'state', connection: pc.connectionState }));
    for (const track of stream.getTracks())
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    const pending = [];
    let session = null, chain = Promise.resolve();
    const flush = () => {
        if (!session || !pending.length) return;
        const batch = pending.splice(0);
        const end = batch.includes(null);
        const cands = batch.filter((c) => c && c.candidate).map((c) => c.candidate);
        chain = chain.then(async () => {
            const r = await fetch(session.location, { method: 'PATCH', body: window.sdpfrag(pc.localDescription.sdp, cands, end),
                headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': session.etag } });
            window.report({ event: 'patch', status: r.status, candidates: cands.length, end });
        });
    };
    pc.addEventListener('icecandidate', (e) => { pending.push(e.candidate); flush(); });
    await pc.setLocalDescription(await pc.createOffer());
    const offer = pc.localDescription.sdp.replace(/a=candidate:[^\r\n]*\r\n/g, '').replace(/a=end-of-candidates\r\n/g, '');
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
    const body = await r.text();
    if (r.status !== 201) return { status: r.status, body, offer };
    await pc.setRemoteDescription({ type: 'answer', sdp: body.replace(/a=candidate:[^\r\n]*\r\n/g, '') });
    session = { location: r.headers.get('Location'), etag: r.headers.get('ETag') };
    flush();
    return { status: r.status, location: session.location, etag: session.etag, answer: body, offer };
}

// Runs in the page: an ICE restart through PATCH (see the header).
async function restartIce() {
    const pc = window.pc;
    const old = pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1];
    pc.restartIce();
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
        setTimeout(resolve, 3000);
    });
    const sdp = pc.localDescription.sdp;
    const first = sdp.split(/\r\nm=/)[1] || '';
    const cands = (first.match(/a=candidate:[^\r\n]*/g) || []).map((l) => l.slice(2));
    const r = await fetch(window.whipLocation, { method: 'PATCH', body: window.sdpfrag(sdp, cands, true),
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' } });
    const frag = await r.text();
    const res = { status: r.status, oldUfrag: old, newUfrag: sdp.match(/a=ice-ufrag:(\S+)/)[1], etag: r.headers.get('ETag'),
                  answer: frag };
    if (r.status !== 200) return res;
    const ufrag = frag.match(/a=ice-ufrag:(\S+)/)[1], pwd = frag.match(/a=ice-pwd:(\S+)/)[1];
    const ours = (frag.match(/a=candidate:[^\r\n]*\r\n/g) || []).join('');
    const answer = pc.remoteDescription.sdp.replace(/a=candidate:[^\r\n]*\r\n/g, '')
        .replace(/a=end-of-candidates\r\n/g, '').replace(/a=ice-ufrag:[^\r\n]*/g, `a=ice-ufrag:${ufrag}`)
        .replace(/a=ice-pwd:[^\r\n]*\r\n/g, `a=ice-pwd:${pwd}\r\n${ours}a=end-of-candidates\r\n`);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return res;
}

// Runs in the page.
async function publish({ url, mutate }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addEventListener('connectionstatechange', () => window.report({ event: 'state', connection: pc.connectionState }));
    for (const track of stream.getTracks())
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    // With mutate: another certificate's fingerprint (the first byte changed).
    return window.exchange(pc, url, mutate ? (sdp) => sdp.replace(/a=fingerprint:(\S+) ([0-9A-F]{2})/g,
        (m, alg, b) => `a=fingerprint:${alg} ${b === '00' ? '01' : '00'}`) : null);
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
        let transport = null;
        stats.forEach((s) => {
            if (s.type !== 'transport') return;
            const pair = s.selectedCandidatePairId ? stats.get(s.selectedCandidatePairId) : null;
            transport = { iceState: s.iceState, dtlsState: s.dtlsState, iceLocalUsernameFragment: s.iceLocalUsernameFragment,
                          selectedCandidatePairChanges: s.selectedCandidatePairChanges,
                          pair: pair ? { id: pair.id, state: pair.state, requestsSent: pair.requestsSent,
                                         responsesReceived: pair.responsesReceived, requestsReceived: pair.requestsReceived,
                                         bytesSent: pair.bytesSent } : null };
        });
        return { outbound: out, transport };
    });
}

const opt = args();
runPage(opt.url, [`--use-file-for-fake-video-capture=${opt.video}`, `--use-file-for-fake-audio-capture=${opt.audio}`],
        async (arg) => {
            window.sdpfrag = eval(arg.sdpfrag);
            const res = await (arg.trickle ? eval(arg.publishTrickle) : eval(arg.publish))(arg);
            window.whipLocation = res.location;
            return res;
        }, { url: opt.url, mutate: opt.mutate, trickle: opt.trickle, sdpfrag: `(${sdpfrag.toString()})`,
             publish: `(${publish.toString()})`, publishTrickle: `(${publishTrickle.toString()})` }, {
    stats: outboundStats,
    restart: (page) => page.evaluate(`(${restartIce.toString()})()`),
    // playwright-core SIGKILLs the browser when this process exits.
    crash: async () => { report({ event: 'crashed' }); process.exit(0); },
}).catch(fail);
