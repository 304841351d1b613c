#!/usr/bin/env node
// Browser speed benchmark of the FHNet-Web page (not a test: it prints figures and asserts nothing).
// In Debian's Chromium, headless, against scripts/serve.mjs (COOP/COEP on, so ORT may use 2 threads):
//   1. the bytes the page downloads, compressed (CDP's encoded sizes, headers included), from
//      opening the page to the first result: a 5-minute 4-lead 1 kHz EDF opened through the file
//      input and analysed with FHNet on our engine, in a fresh browser profile;
//   2. end to end in the page's worker (open = parse the EDF, preprocess, FHNet, beats, FHR, and
//      the plot series the page gets), with our engine and with ONNX Runtime Web on 1 and 2
//      threads: the first run (cold: ORT loads its 14 MB binary and builds its session) and the
//      median of the warm ones;
//   3. ms per window of the network alone (FHNet on the captured 1024-sample windows).
//
//   node tests/browser/bench_page.mjs [--seconds 300] [--repeat 3] [--bytes-only]
//
// Needs build/wasm/fecg.{js,wasm} (scripts/build.sh wasm) and node_modules (npm ci).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function parseArgs(argv) {
  const opts = { seconds: 300, repeat: 3, only: '' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') opts.seconds = Number(argv[++i]);
    else if (argv[i] === '--repeat') opts.repeat = Number(argv[++i]);
    else if (argv[i] === '--bytes-only') opts.only = 'bytes';
    else throw new Error(`bench_page: unknown option ${argv[i]} (--seconds N, --repeat N, --bytes-only)`);
  }
  if (!(opts.seconds >= 10) || !(opts.repeat >= 1)) throw new Error('bench_page: --seconds >= 10 and --repeat >= 1');
  return opts;
}

// The recording: the module's simulator (seeded), written as EDF by the module's own writer.
async function makeEdf(seconds) {
  const { default: createFecgModule } = await import(pathToFileURL(join(ROOT, 'build', 'wasm', 'fecg.js')).href);
  const fecg = await createFecgModule({ wasmBinary: readFileSync(join(ROOT, 'build', 'wasm', 'fecg.wasm')) });
  const sim = fecg.simulate({ seconds, seed: 2027, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 6 });
  const edf = fecg.encodeEdf(sim.recording);
  sim.recording.delete();
  return Buffer.from(edf);
}

async function launch(origin) {
  const profileDir = mkdtempSync(join(tmpdir(), 'fecg-bench-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  return { context, page, close: async () => { await context.close(); rmSync(profileDir, { recursive: true, force: true }); } };
}

async function waitStatus(page, pattern, timeout = 600_000) {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), pattern.source, { timeout });
}

// 1. Bytes before the first result, in a fresh profile (empty HTTP cache, no service worker yet).
async function bytesToFirstResult(origin, edf) {
  const b = await launch(origin);
  const finished = [];
  b.context.on('requestfinished', async (request) => {
    const entry = { url: request.url(), startMs: request.timing().startTime, bytes: 0, done: false };
    finished.push(entry);
    try {
      const sizes = await request.sizes();
      entry.bytes = sizes.responseBodySize + sizes.responseHeadersSize;
    } catch {
      entry.bytes = NaN;  // finished as the browser closed: after the first result, not counted
    } finally {
      entry.done = true;
    }
  });
  try {
    const t0 = Date.now();
    await b.page.goto(`${origin}/`);
    await waitStatus(b.page, /^Ready/);
    await b.page.setInputFiles('#file-input', { name: 'bench.edf', mimeType: 'application/octet-stream', buffer: edf });
    await waitStatus(b.page, /^Opened/);
    await b.page.selectOption('#method-select', 'fhnet');
    await b.page.selectOption('#engine-select', 'fecg');
    // The moment the result shows (wall clock, as request start times are): what the page asks
    // for after it (ONNX Runtime's files, cached in the background) is not counted.
    await b.page.evaluate(() => {
      const el = document.getElementById('status');
      new MutationObserver(() => {
        if (!window.__firstResultAt && /^Done/.test(el.textContent)) window.__firstResultAt = Date.now();
      }).observe(el, { childList: true, characterData: true, subtree: true });
    });
    await b.page.click('#analyze-button');
    await waitStatus(b.page, /^(Done|Analysis failed)/);
    const status = await b.page.textContent('#status');
    if (!status.startsWith('Done')) throw new Error(`bench: ${status} ${await b.page.textContent('#error')}`);
    const doneAt = await b.page.evaluate(() => window.__firstResultAt);
    const wallMs = doneAt - t0;
    const before = () => finished.filter((e) => e.startMs <= doneAt);
    while (before().some((e) => !e.done)) await new Promise((r) => setTimeout(r, 20));
    const later = finished.filter((e) => e.startMs > doneAt).map((e) => new URL(e.url).pathname);
    return { files: before().map((e) => ({ path: new URL(e.url).pathname, bytes: e.bytes })), wallMs, later };
  } finally {
    await b.close();
  }
}

// 2 and 3. In the page: a worker of its own (the page's worker.js) is sent the EDF and analyses
// it; times are taken in the page around each message and answer.
async function workerRuns(page, edfBase64, runs) {
  return page.evaluate(async ({ edfBase64, runs }) => {
    const bytes = Uint8Array.from(atob(edfBase64), (c) => c.charCodeAt(0));
    const out = [];
    for (const run of runs) {
      const worker = new Worker('worker.js', { type: 'module' });
      const next = () => new Promise((resolveMsg) => {
        const on = (e) => {
          if (e.data.type === 'progress') return;
          worker.removeEventListener('message', on);
          resolveMsg(e.data);
        };
        worker.addEventListener('message', on);
      });
      const ask = async (message) => {
        const answer = next();
        const t0 = performance.now();
        worker.postMessage(message);
        const m = await answer;
        if (m.type === 'error') throw new Error(`${m.where}: ${m.message}`);
        return { m, ms: performance.now() - t0 };
      };
      await next();  // ready
      const results = [];
      for (let i = 0; i < run.repeat; i++) {
        const opened = await ask({ type: 'open', files: [{ name: 'bench.edf', bytes: bytes.slice().buffer }] });
        const analysed = await ask({ type: 'analyze', options: { ...run.options, abdominal: [0, 1, 2, 3], reference: -1 } });
        const network = run.options.method === 'fhnet'
          ? await ask({ type: 'network', options: { ...run.options, abdominal: [0, 1, 2, 3], reference: -1 } })
          : { m: { ms: NaN, nWindows: 0, threads: 1 } };
        results.push({
          openMs: opened.ms, analyzeMs: analysed.ms, endToEndMs: opened.ms + analysed.ms,
          timings: analysed.m.timings, fetalBeats: analysed.m.fetalBeats.length, fhrMean: analysed.m.fhr.meanBpm,
          networkMs: network.m.ms, windows: network.m.nWindows, threads: network.m.threads,
        });
      }
      worker.terminate();
      out.push({ name: run.name, results });
    }
    return out;
  }, { edfBase64, runs });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const edf = await makeEdf(opts.seconds);
  const server = await startServer({ port: 0 });
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    console.log(`FHNet-Web page benchmark: ${opts.seconds} s, 4 leads, 1 kHz (EDF ${(edf.length / 1e6).toFixed(2)} MB), ` +
      `headless ${CHROMIUM}, ${opts.repeat} runs per engine`);
    const first = await bytesToFirstResult(origin, edf);
    const total = first.files.reduce((s, f) => s + f.bytes, 0);
    console.log(`\nbytes downloaded before the first result (our engine, fresh profile, compressed): ${total} (${(total / 1e6).toFixed(3)} MB), ` +
      `${first.files.length} requests, ${(first.wallMs / 1000).toFixed(1)} s from navigation`);
    for (const f of [...first.files].sort((a, b) => b.bytes - a.bytes).slice(0, 8)) console.log(`  ${String(f.bytes).padStart(9)}  ${f.path}`);
    console.log(`  then, in the background (the service worker's cache): ${[...new Set(first.later)].join(', ') || 'nothing yet'}`);
    if (opts.only === 'bytes') return;

    const b = await launch(origin);
    try {
      await b.page.goto(`${origin}/`);
      await waitStatus(b.page, /^Ready/);
      const crossOriginIsolated = await b.page.evaluate(() => crossOriginIsolated);
      const fhnet = { method: 'fhnet' };
      const runs = [
        { name: 'our engine (C++ → WASM, 1 thread)', options: { ...fhnet, engine: 'fecg' }, repeat: opts.repeat + 1 },
        { name: 'ONNX Runtime Web, 1 thread', options: { ...fhnet, engine: 'ort', ortThreads: 1 }, repeat: opts.repeat + 1 },
      ];
      if (crossOriginIsolated) runs.push({ name: 'ONNX Runtime Web, 2 threads', options: { ...fhnet, engine: 'ort', ortThreads: 2 }, repeat: opts.repeat + 1 });
      runs.push({ name: 'TS-ICA (classical, for reference)', options: { method: 'ts-ica' }, repeat: opts.repeat + 1 });
      const all = await workerRuns(b.page, edf.toString('base64'), runs);
      console.log('\nend to end in the worker (open/parse + preprocess + FHNet + beats + FHR + plot series), ms; ' +
        'cold = first run (ORT: binary compiled, session built), warm = median of the rest');
      console.log('engine                                 cold   warm   (open  preprocess  maternal  extract  fetal+HR)   network ms/window  windows  fetal beats');
      for (const { name, results } of all) {
        const warm = results.slice(1);
        const w = (key) => median(warm.map(key));
        const perWindow = median(warm.map((r) => r.networkMs / r.windows));
        const t = (k) => w((r) => r.timings[k]);
        const isFhnet = !name.startsWith('TS-ICA');
        console.log(`${name.padEnd(36)} ${results[0].endToEndMs.toFixed(0).padStart(6)} ${w((r) => r.endToEndMs).toFixed(0).padStart(6)}   ` +
          `(${w((r) => r.openMs).toFixed(0).padStart(4)}  ${t('preprocessMs').toFixed(0).padStart(10)}  ${t('maternalMs').toFixed(0).padStart(8)}  ` +
          `${t('extractMs').toFixed(0).padStart(7)}  ${(t('fetalMs') + t('heartRateMs')).toFixed(0).padStart(8)})   ` +
          `${isFhnet ? perWindow.toFixed(2).padStart(17) : '—'.padStart(17)}  ${String(results[0].windows).padStart(7)}  ${String(results[0].fetalBeats).padStart(11)}`);
      }
      console.log(`\ncross-origin isolated: ${crossOriginIsolated}; navigator.hardwareConcurrency: ${await b.page.evaluate(() => navigator.hardwareConcurrency)}`);
    } finally {
      await b.close();
    }
  } finally {
    server.close();
  }
}

main().catch((e) => { console.error(e.stack ?? e.message); process.exit(1); });
