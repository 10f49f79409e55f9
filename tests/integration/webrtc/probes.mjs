// Browser-independent helpers of the page scripts (Chromium via playwright-core,
// Firefox via puppeteer-core): the JSON-lines protocol and probes run through
// page.evaluate, which both drivers offer alike.

export function report(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

export function fail(e) {
    report({ event: 'error', message: String(e && e.stack || e) });
    process.exit(1);
}

// The received audio track into a WebAudio analyser: dB of each frequency's FFT bin,
// averaged over ten spectra 100 ms apart.
export async function tones(page, list) {
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
