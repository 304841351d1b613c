// Browser tests of FHNet in the page (web/worker.js) on its two engines, the model check, the
// offline cache and the server's compression: Debian's Chromium, headless, driven by
// playwright-core, against scripts/serve.mjs started in this process on a free port.
//   node --test tests/browser/          (needs build/wasm/fecg.{js,wasm}: scripts/build.sh wasm)
// What they check:
// - the server compresses (brotli/gzip as accepted; the bytes decode to the file), answers 304 to
//   a matching ETag, serves only the model's and ONNX Runtime's named files, and leaves out
//   COOP/COEP when asked;
// - the page says whether the model is trained (and on what), next to the FHNet choice;
// - our engine and ONNX Runtime Web on the same recording: the raw network outputs per window
//   within 1e-4 (normalised units, the card's tolerance), the same fetal beats, and the fECG;
// - a tampered model file (weights or ONNX graph) is refused with a clear message naming the
//   file and its sha256, and the page keeps working;
// - offline: after a first visit, with the network off and the server stopped, the page reloads
//   and runs FHNet on both engines from the service worker's cache;
// - without cross-origin isolation the page runs ONNX Runtime Web on one thread;
// - no request leaves the origin, no console errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const HAVE_WASM = existsSync(join(ROOT, 'build', 'wasm', 'fecg.js')) && existsSync(join(ROOT, 'build', 'wasm', 'fecg.wasm'));
const HAVE_ORT = existsSync(join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort.wasm.min.mjs'));
const CARD = JSON.parse(readFileSync(join(ROOT, 'models', 'fhnet.json'), 'utf8'));
const TOLERANCE = CARD.test_vectors?.tolerance_abs ?? 1e-4;  // normalised units (the card's)
const LONG_MS = 240_000;  // WASM analyses and ORT's 14 MB binary on a loaded machine
const NO_ENGINE = !HAVE_WASM ? 'build/wasm/fecg.js missing: run scripts/build.sh wasm'
  : !HAVE_ORT ? 'node_modules/onnxruntime-web missing: run npm ci' : false;

// --------------------------------------------------------------------------------------- helpers

// One raw HTTP GET (node's fetch would decode the body): status, headers, body bytes.
function rawGet(origin, path, headers = {}) {
  return new Promise((resolveGet, reject) => {
    const req = httpRequest(`${origin}${path}`, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolveGet({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function launch(serverOptions = {}, contextOptions = {}) {
  const server = await startServer({ port: 0, ...serverOptions });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profileDir = mkdtempSync(join(tmpdir(), 'fecg-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    ...contextOptions,
  });
  const requests = [];
  const consoleErrors = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  let serverOpen = true;
  const stopServer = async () => {
    if (!serverOpen) return;
    serverOpen = false;
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  };
  return {
    server, origin, context, page, requests, consoleErrors, stopServer,
    async close() {
      await context.close();
      await stopServer();
      rmSync(profileDir, { recursive: true, force: true });
    },
    checkClean() {
      assert.deepEqual(consoleErrors, [], 'no console errors');
      const outside = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
      assert.deepEqual(outside, [], 'no request leaves the origin');
    },
  };
}

async function waitReady(page) {
  await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent), null, { timeout: 120_000 });
}

async function openDemo(page) {
  await page.click('#demo-button');
  await page.waitForFunction(() => /^Opened/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
}

// Runs the analysis with the method and engine chosen in the page; returns the final status.
async function analyzeWith(page, method, engine) {
  await page.selectOption('#method-select', method);
  if (engine) await page.selectOption('#engine-select', engine);
  await page.click('#analyze-button');
  await page.waitForFunction(() => {
    const s = document.getElementById('status').textContent;
    return s.startsWith('Done') || s.startsWith('Analysis failed');
  }, null, { timeout: LONG_MS });
  return page.textContent('#status');
}

async function expectDone(page, method, engine) {
  const status = await analyzeWith(page, method, engine);
  assert.ok(status.startsWith('Done'), `analysis failed: ${status} ${await page.textContent('#error')}`);
}

// Talks to a worker of its own (the page's worker.js, the same code the page runs) from inside
// the page: every message in the list is sent in turn and the answer of each is returned (typed
// arrays made plain for the trip to node).
async function workerSession(page, messages) {
  return page.evaluate(async (list) => {
    const worker = new Worker('worker.js', { type: 'module' });
    const next = () => new Promise((resolveMsg) => {
      const on = (e) => {
        if (e.data.type === 'progress') return;
        worker.removeEventListener('message', on);
        resolveMsg(e.data);
      };
      worker.addEventListener('message', on);
    });
    const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
    const answers = [];
    const ready = await next();
    answers.push(plain(ready));
    for (const m of list) {
      const answer = next();
      worker.postMessage(m);
      answers.push(plain(await answer));
    }
    worker.terminate();
    return answers;
  }, messages);
}

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length, 'lengths differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

// ------------------------------------------------------------------------------------ the server

describe('server', () => {
  let server, origin;
  before(async () => {
    server = await startServer({ port: 0 });
    origin = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  test('compresses as the client accepts, with Vary, and answers 304 to its ETag', async () => {
    const file = readFileSync(join(ROOT, 'web', 'app.js'));
    const br = await rawGet(origin, '/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(br.headers.vary, /Accept-Encoding/);
    assert.equal(Number(br.headers['content-length']), br.body.length);
    assert.ok(br.body.length < file.length / 2, `brotli ${br.body.length} of ${file.length} bytes`);
    assert.deepEqual(brotliDecompressSync(br.body), file);
    const gz = await rawGet(origin, '/app.js', { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), file);
    const plain = await rawGet(origin, '/app.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(plain.body, file);
    assert.notEqual(plain.headers.etag, br.headers.etag, 'one ETag per encoding');
    const again = await rawGet(origin, '/app.js', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers['cross-origin-embedder-policy'], 'require-corp');
  });

  test('serves the model and ONNX Runtime\'s files, and nothing else of their folders', async () => {
    const weights = await rawGet(origin, '/models/fhnet.safetensors');
    assert.equal(weights.status, 200);
    assert.deepEqual(weights.body, readFileSync(join(ROOT, 'models', 'fhnet.safetensors')));
    assert.equal((await rawGet(origin, '/models/fhnet.json')).status, 200);
    assert.equal((await rawGet(origin, '/models/fhnet.onnx')).status, 200);
    assert.equal((await rawGet(origin, '/models/fhnet_testvectors.safetensors')).status, 404);
    assert.equal((await rawGet(origin, '/models/../package.json')).status, 404);
    if (HAVE_ORT) {
      const mjs = await rawGet(origin, '/vendor/ort/ort.wasm.min.mjs');
      assert.equal(mjs.status, 200);
      assert.match(mjs.headers['content-type'], /^text\/javascript/);
      assert.match((await rawGet(origin, '/vendor/ort/ort-wasm-simd-threaded.wasm', { range: 'bytes=0-3' })).headers['content-type'], /application\/wasm/);
    }
    assert.equal((await rawGet(origin, '/vendor/ort/ort.all.min.mjs')).status, 404);
    assert.equal((await rawGet(origin, '/vendor/ort/../package.json')).status, 404);
  });

  test('--no-isolation leaves out COOP/COEP and keeps the CSP', async () => {
    const plain = await startServer({ port: 0, isolation: false });
    try {
      const r = await rawGet(`http://127.0.0.1:${plain.address().port}`, '/');
      assert.equal(r.headers['cross-origin-opener-policy'], undefined);
      assert.equal(r.headers['cross-origin-embedder-policy'], undefined);
      assert.match(r.headers['content-security-policy'], /connect-src 'self'/);
    } finally {
      await new Promise((r) => plain.close(r));
    }
  });
});

// ---------------------------------------------------------------------------- FHNet, two engines

describe('FHNet in the page', { skip: NO_ENGINE }, () => {
  let s;
  before(async () => { s = await launch(); await s.page.goto(`${s.origin}/`); });
  after(async () => { await s?.close(); });

  test('the page says whether the model is trained, next to the FHNet choice', async () => {
    await waitReady(s.page);
    const note = await s.page.textContent('#model-status');
    const untrained = /^untrained/i.test(CARD.training?.recipe ?? '');
    if (untrained) {
      assert.match(note, /untrained/);
      assert.equal(await s.page.inputValue('#method-select'), 'ts-ica', 'an untrained FHNet is not the default');
      assert.match(await s.page.textContent('#method-fhnet'), /untrained/);
    } else {
      // Trained: the note says in words what the model was trained on (not its training
      // command), and FHNet is the default, decided from the card as the CLI decides.
      assert.doesNotMatch(note, /untrained/);
      assert.doesNotMatch(note, /train\.py/, note);
      assert.ok(note.includes(`${CARD.parameters.toLocaleString('en')} parameters`), note);
      assert.doesNotMatch(await s.page.textContent('#method-fhnet'), /untrained/);
      assert.equal(await s.page.inputValue('#method-select'), 'fhnet', 'a trained FHNet is the default');
    }
    assert.equal(await s.page.isDisabled('#engine-select'), (await s.page.inputValue('#method-select')) !== 'fhnet');
  });

  test('our engine and ONNX Runtime Web agree: raw outputs per window within the tolerance, same beats and fECG', async (t) => {
    const demo = { seconds: 60, seed: 2026, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 6 };
    const fhnet = { method: 'fhnet', abdominal: [0, 1, 2, 3], reference: -1, powerlineHz: -1 };
    const [ready, , netOurs, netOrt, resOurs, resOrt] = await workerSession(s.page, [
      { type: 'demo', options: demo },
      { type: 'network', options: { ...fhnet, engine: 'fecg' } },
      { type: 'network', options: { ...fhnet, engine: 'ort' } },
      { type: 'analyze', options: { ...fhnet, engine: 'fecg' } },
      { type: 'analyze', options: { ...fhnet, engine: 'ort' } },
    ]);
    assert.equal(ready.type, 'ready');
    for (const m of [netOurs, netOrt, resOurs, resOrt]) assert.notEqual(m.type, 'error', m.message);
    // 60 s at 250 Hz: windows every 768 samples (FhnetStageParams::hop), the last one moved back to the end.
    assert.equal(netOurs.nWindows, Math.ceil((60 * 250 - 1024) / 768) + 1);
    assert.equal(netOrt.nWindows, netOurs.nWindows);
    assert.deepEqual(netOrt.leads, netOurs.leads);
    const dFecg = maxAbsDiff(netOurs.fecg, netOrt.fecg), dProb = maxAbsDiff(netOurs.rpeakProb, netOrt.rpeakProb);
    t.diagnostic(`max |ours - ORT| per window: fecg ${dFecg.toExponential(2)}, rpeak_prob ${dProb.toExponential(2)}; ` +
      `ms per window: ours ${(netOurs.ms / netOurs.nWindows).toFixed(2)}, ORT ${(netOrt.ms / netOrt.nWindows).toFixed(2)} (${netOrt.threads} threads)`);
    assert.ok(dFecg <= TOLERANCE, `fecg outputs differ by ${dFecg}`);
    assert.ok(dProb <= TOLERANCE, `rpeak_prob outputs differ by ${dProb}`);
    assert.equal(resOurs.engine, 'fecg');
    assert.equal(resOrt.engine, 'ort');
    assert.equal(resOrt.network.threads, 2, 'cross-origin isolated: ORT on 2 threads');
    assert.deepEqual(resOrt.fetalBeats, resOurs.fetalBeats, 'the same fetal beats');
    assert.deepEqual(resOrt.maternalBeats, resOurs.maternalBeats);
    // The blended fECG in µV (the plot series: all 60 000 samples of each lead): window outputs
    // within 1e-4 times each window's scale, so within 1e-3 of the lead's peak.
    for (let k = 0; k < 4; k++) {
      const a = resOurs.plot.y[k], b = resOrt.plot.y[k];
      assert.equal(a.length, 60_000);
      const peak = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(maxAbsDiff(a, b) <= 1e-3 * peak, `lead ${k}: fECG differs by ${maxAbsDiff(a, b)} µV (peak ${peak})`);
    }
  });

  test('FHNet runs from the page\'s controls on both engines', async () => {
    await openDemo(s.page);
    await expectDone(s.page, 'fhnet', 'fecg');
    assert.match(await s.page.textContent('#sum-method'), /^FHNet/);
    assert.match(await s.page.textContent('#sum-engine'), /^our C\+\+ engine/);
    await expectDone(s.page, 'fhnet', 'ort');
    assert.match(await s.page.textContent('#sum-engine'), /^ONNX Runtime Web, 2 threads, [\d.]+ ms per window/);
    await expectDone(s.page, 'ts-ica');
    assert.match(await s.page.textContent('#sum-method'), /^TS-ICA \(template subtraction \+ ICA\)/);
    assert.match(await s.page.textContent('#sum-engine'), /^none: a classical method/);
  });

  test('no console errors, no request leaves the origin', () => s.checkClean());
});

// ------------------------------------------------------------------------------ a tampered model

describe('a tampered model file', { skip: NO_ENGINE }, () => {
  let s;
  // The service worker is blocked so that every model request reaches the page's route.
  before(async () => { s = await launch({}, { serviceWorkers: 'block' }); });
  after(async () => { await s?.close(); });

  for (const [engine, file] of [['fecg', CARD.files.weights.path], ['ort', CARD.files.onnx.path]]) {
    test(`${file} altered by one bit: refused with a clear message (${engine} engine), the page keeps working`, async () => {
      const bytes = readFileSync(join(ROOT, 'models', file));
      const tampered = Buffer.from(bytes);
      tampered[tampered.length >> 1] ^= 0x01;
      await s.page.route(`**/models/${file}`, (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: tampered }));
      await s.page.goto(`${s.origin}/`);
      await waitReady(s.page);
      await openDemo(s.page);
      const status = await analyzeWith(s.page, 'fhnet', engine);
      assert.match(status, /^Analysis failed/);
      const error = await s.page.textContent('#error');
      assert.match(error, new RegExp(`models/${file.replace('.', '\\.')}.*does not match the model card`));
      assert.match(error, new RegExp(`the card says ${CARD.files[engine === 'ort' ? 'onnx' : 'weights'].sha256}`));
      assert.match(error, /damaged or was altered/);
      await expectDone(s.page, 'ts-ica');
      await s.page.unroute(`**/models/${file}`);
    });
  }

  test('no console errors, no request leaves the origin', () => s.checkClean());
});

// ------------------------------------------------------------------------ offline, one thread

describe('offline after the first visit', { skip: NO_ENGINE }, () => {
  let s;
  before(async () => { s = await launch(); });
  after(async () => { await s?.close(); });

  test('first visit: the service worker caches the page, module, model and ONNX Runtime', async () => {
    await s.page.goto(`${s.origin}/`);
    await waitReady(s.page);
    await s.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
    await openDemo(s.page);
    await expectDone(s.page, 'ts-ica');
    // After the first result the page asks for ONNX Runtime's files too.
    await s.page.waitForFunction(async () => {
      const cache = await caches.open('fhnet-web-v2');
      const have = new Set((await cache.keys()).map((r) => new URL(r.url).pathname));
      return ['/', '/app.js', '/worker.js', '/wasm/fecg.wasm', '/models/fhnet.safetensors', '/models/fhnet.onnx',
        '/vendor/ort/ort-wasm-simd-threaded.wasm', '/vendor/ort/ort-wasm-simd-threaded.mjs', '/vendor/ort/ort.wasm.min.mjs']
        .every((p) => have.has(p));
    }, null, { timeout: 120_000, polling: 500 });
  });

  test('offline, the server stopped: the page reloads and runs FHNet on both engines', async () => {
    await s.stopServer();
    await s.context.setOffline(true);
    await s.page.reload();
    await waitReady(s.page);
    await openDemo(s.page);
    await expectDone(s.page, 'fhnet', 'fecg');
    await expectDone(s.page, 'fhnet', 'ort');
    await s.context.setOffline(false);
  });

  test('no console errors, no request leaves the origin', () => s.checkClean());
});

describe('without cross-origin isolation (a plain static host)', { skip: NO_ENGINE }, () => {
  let s;
  before(async () => { s = await launch({ isolation: false }); await s.page.goto(`${s.origin}/`); });
  after(async () => { await s?.close(); });

  test('the page runs on one thread: ONNX Runtime Web with 1 thread, our engine as always', async () => {
    await waitReady(s.page);
    assert.equal(await s.page.evaluate(() => crossOriginIsolated), false);
    await openDemo(s.page);
    await expectDone(s.page, 'fhnet', 'ort');
    assert.match(await s.page.textContent('#sum-engine'), /^ONNX Runtime Web, 1 thread,/);
    await expectDone(s.page, 'fhnet', 'fecg');
  });

  test('no console errors, no request leaves the origin', () => s.checkClean());
});
