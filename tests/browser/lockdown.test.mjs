// The page's lock-down (issue 5): a strict Content-Security-Policy on every response, no inline
// script or style that would need 'unsafe-inline', no eval, untrusted text (file names, EDF and
// WFDB header fields, lead names, CSV headers) shown as text and never parsed as HTML, and no code
// but our own files and packages pinned in package-lock.json.
//   node --test tests/browser/lockdown.test.mjs      (needs build/wasm/fecg.{js,wasm})
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CSP, resolvePath } from '../../scripts/serve.mjs';
import { HAVE_WASM, ROOT, openPage } from './util.mjs';

const NO_WASM = !HAVE_WASM && 'build/wasm/fecg.js missing: run scripts/build.sh wasm';
const LONG_MS = 120_000;
const PROBE_PATH = '/csp-probe.js';  // served only to the policy probe's tab (a route), left out of the record

// A payload that, parsed as HTML, creates an element and runs a handler that sets window.__xss.
const XSS = '<img src=x onerror="window.__xss=1">';
// EDF labels hold 16 characters: the longest tag with a handler that fits.
const XSS_LABEL = '<svg onload=x()>';

// ------------------------------------------------------------------------------ the policy itself

// "a b; c d" → Map(a → [b], c → [d]).
function parsePolicy(text) {
  const map = new Map();
  for (const part of text.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) map.set(name.toLowerCase(), sources);
  }
  return map;
}

// What each directive may allow. Anything else (a host, a scheme, *, 'unsafe-inline',
// 'unsafe-eval', 'unsafe-hashes', 'strict-dynamic', a nonce) fails the test. blob: and data:
// images are the plots and the report picture the page makes itself.
const ALLOWED_SOURCES = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'"],
  'connect-src': ["'self'"],
  'img-src': ["'self'", 'blob:', 'data:'],
  'style-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};
const REQUIRED = { 'default-src': ["'self'"], 'connect-src': ["'self'"], 'object-src': ["'none'"], 'base-uri': ["'none'"] };

function checkPolicy(text, where) {
  const policy = parsePolicy(text);
  for (const [name, sources] of policy) {
    assert.ok(name in ALLOWED_SOURCES, `${where}: directive ${name} is not in the lock-down's list`);
    for (const s of sources) assert.ok(ALLOWED_SOURCES[name].includes(s), `${where}: ${name} allows ${s}`);
  }
  for (const [name, sources] of Object.entries(REQUIRED)) assert.deepEqual(policy.get(name), sources, `${where}: ${name}`);
  // Every fetch directive the page uses falls back on default-src 'self' when absent; script-src
  // must be there since it adds 'wasm-unsafe-eval' (WebAssembly compilation, not eval).
  assert.ok(policy.has('script-src'), `${where}: script-src`);
  return policy;
}

function headersOf(origin, path) {
  return new Promise((resolve, reject) => {
    get(`${origin}${path}`, (res) => { res.resume(); resolve({ status: res.statusCode, headers: res.headers }); }).on('error', reject);
  });
}

// ------------------------------------------------------------------------- untrusted test files

// The WASM module in node (no browser): makes the EDF files below.
async function loadModule() {
  const { default: create } = await import(pathToFileURL(join(ROOT, 'build', 'wasm', 'fecg.js')).href);
  return create({ wasmBinary: readFileSync(join(ROOT, 'build', 'wasm', 'fecg.wasm')) });
}

// Writes `text` into an EDF header field (ASCII, space padded; EDF spec, Kemp et al. 1992).
function putField(bytes, offset, width, text) {
  const b = Buffer.from(text.padEnd(width, ' ').slice(0, width), 'latin1');
  assert.equal(b.length, width);
  b.copy(bytes, offset);
}

// A simulated 4-lead EDF whose patient and recording fields hold XSS and whose lead labels are
// HTML tags. Fixed header: version 8, patient 80 at 8, recording 80 at 88, …; the signal headers
// start at 256 with the labels (16 bytes each) first.
async function hostileEdf() {
  const fecg = await loadModule();
  const sim = fecg.simulate({ seconds: 30, seed: 5, leads: 4, fsHz: 500, snrFmDb: -9, snrMnDb: 9 });
  const bytes = Buffer.from(fecg.encodeEdf(sim.recording));
  sim.recording.delete();
  putField(bytes, 8, 80, XSS);
  putField(bytes, 88, 80, `Startdate X ${XSS}`);
  const labels = [XSS_LABEL, '<b>Abd 2</b>', '<i>Abd 3</i>', 'Abd&nbsp;4'];
  labels.forEach((l, i) => putField(bytes, 256 + 16 * i, 16, l));
  return { bytes, labels };
}

// ----------------------------------------------------------------------------------------- tests

describe('lock-down', () => {
  let session;
  const violations = [];
  before(async () => {
    session = await openPage();
    // Any policy violation while the page is used normally means the page needs what the policy
    // forbids (an inline style or handler, eval, an off-origin load). Init scripts run outside the
    // page's policy.
    await session.page.exposeFunction('__reportViolation', (v) => violations.push(v));
    await session.page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => window.__reportViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    });
    await session.page.goto(`${session.origin}/`);
  });
  after(async () => { await session?.close(); });

  test('every response carries the strict policy, and the page\'s meta tag says the same', async () => {
    const paths = ['/', '/index.html', '/app.js', '/worker.js', '/style.css', '/vendor/uplot/uPlot.esm.js', '/no-such-file'];
    if (HAVE_WASM) paths.push('/wasm/fecg.js', '/wasm/fecg.wasm');
    for (const path of paths) {
      const { status, headers } = await headersOf(session.origin, path);
      assert.ok(status === 200 || (path === '/no-such-file' && status === 404), `${path}: ${status}`);
      checkPolicy(headers['content-security-policy'] ?? '', `${path} header`);
      assert.equal(headers['content-security-policy'], CSP, `${path}: the server's one policy`);
      assert.equal(headers['x-content-type-options'], 'nosniff', path);
      assert.equal(headers['referrer-policy'], 'no-referrer', path);
    }
    const meta = await session.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    const metaPolicy = checkPolicy(meta, 'meta tag');
    const headerPolicy = parsePolicy(CSP);
    headerPolicy.delete('frame-ancestors');  // ignored in a meta tag (CSP 3, §6.1.2), header only
    assert.deepEqual(metaPolicy, headerPolicy, 'the meta tag and the header hold the same policy');
  });

  test('the page\'s files need no inline script, inline style or eval', () => {
    const web = join(ROOT, 'web');
    const html = readdirSync(web).filter((f) => f.endsWith('.html'));
    assert.ok(html.includes('index.html'));
    for (const f of html) {
      const text = readFileSync(join(web, f), 'utf8');
      for (const tag of text.match(/<script\b[^>]*>/gi) ?? []) assert.match(tag, /\ssrc=/, `${f}: inline script ${tag}`);
      assert.doesNotMatch(text, /<style\b/i, `${f}: a <style> element needs 'unsafe-inline'`);
      assert.doesNotMatch(text, /<[^>]+\sstyle\s*=/i, `${f}: a style attribute needs 'unsafe-inline'`);
      assert.doesNotMatch(text, /<[^>]+\son[a-z]+\s*=/i, `${f}: an inline event handler`);
      assert.doesNotMatch(text, /javascript:/i, `${f}: a javascript: URL`);
    }
    // The code: no HTML parsing of strings (so no data can become markup), no eval of any kind,
    // no handler or style set as an attribute string.
    const forbidden = [
      [/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/, 'HTML parsing of a string'],
      [/(^|[^\w.'-])eval\s*\(|new\s+Function\s*\(|\bFunction\s*\(\s*['"`]/, 'eval'],
      [/set(Timeout|Interval)\s*\(\s*['"`]/, 'a timer with code as a string'],
      [/setAttribute\s*\(\s*['"`](on|style)/i, 'a handler or style set as an attribute'],
    ];
    const js = readdirSync(web).filter((f) => /\.m?js$/.test(f));
    assert.ok(js.includes('app.js') && js.includes('worker.js'));
    for (const f of js) {
      const text = readFileSync(join(web, f), 'utf8');
      for (const [re, what] of forbidden) assert.doesNotMatch(text, re, `web/${f}: ${what}`);
    }
  });

  test('the browser enforces it: eval, inline script and handlers, off-origin fetch are refused', async () => {
    // A script of the page's own origin (served here through a route, so that it runs as page
    // code under the page's policy: code evaluated through the DevTools protocol would not be
    // checked) tries each in turn. A separate tab, so that the violations it provokes on purpose
    // stay out of the other tests' record.
    const probe = await session.context.newPage();
    try {
      await probe.route(`${session.origin}${PROBE_PATH}`, (route) => route.fulfill({
        status: 200, contentType: 'text/javascript', body: `
          const out = {};
          try { out.eval = String(eval('6 * 7')); } catch (e) { out.eval = e.name; }
          try { out.fn = String(new Function('return 1')()); } catch (e) { out.fn = e.name; }
          try { setTimeout('window.__timer = 1', 0); } catch (e) { out.timerError = e.name; }
          const s = document.createElement('script');
          s.textContent = 'window.__inline = 1;';
          document.head.append(s);
          const b = document.createElement('button');
          b.setAttribute('onclick', 'window.__handler = 1');
          document.body.append(b);
          b.click();
          fetch('http://127.0.0.2:9/x').then(() => 'sent', (e) => e.name).then((f) => {
            out.fetch = f;
            setTimeout(() => {
              out.inline = window.__inline ?? 'blocked';
              out.handler = window.__handler ?? 'blocked';
              out.timer = window.__timer ?? 'blocked';
              window.__probe = out;
            }, 50);
          });`,
      }));
      await probe.goto(`${session.origin}/`);
      await probe.evaluate((src) => { const s = document.createElement('script'); s.src = src; document.head.append(s); }, PROBE_PATH);
      await probe.waitForFunction(() => window.__probe, null, { timeout: 10_000 });
      const outcome = await probe.evaluate(() => window.__probe);
      assert.deepEqual(outcome, { eval: 'EvalError', fn: 'EvalError', fetch: 'TypeError', inline: 'blocked', handler: 'blocked', timer: 'blocked' });
    } finally {
      await probe.close();
    }
  });

  test('a hostile EDF: patient/recording fields and lead labels show as text', { skip: NO_WASM }, async () => {
    const { page } = session;
    await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    const { bytes, labels } = await hostileEdf();
    const name = `${XSS}.edf`;
    await page.setInputFiles('#file-input', { name, mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForFunction(() => /^Opened/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    assert.equal(await page.textContent('#info-name'), name, 'the file name shows as typed');
    assert.equal(await page.textContent('#info-leads'), `4: ${labels.join(', ')}`, 'the lead labels show as typed');
    const choice = await page.$$eval('#lead-checkboxes label', (ls) => ls.map((l) => l.textContent.trim()));
    assert.deepEqual(choice, labels);
    await page.click('#analyze-button');
    await page.waitForFunction(() => /^(Done|Analysis failed)/.test(document.getElementById('status').textContent), null, { timeout: LONG_MS });
    assert.match(await page.textContent('#status'), /^Done/, await page.textContent('#error'));
    // uPlot's legends hold the lead names too.
    const legend = await page.$$eval('#chart-raw .u-legend th', (ths) => ths.map((t) => t.textContent.trim()));
    for (const l of labels) assert.ok(legend.includes(l), `raw legend shows ${l}: ${JSON.stringify(legend)}`);
    await assertNoMarkupFromData(page);
  });

  test('a hostile EDF header that fails: the error message shows the label as text', { skip: NO_WASM }, async () => {
    const { page } = session;
    const { bytes } = await hostileEdf();
    // Physical minimum = maximum (the 8-byte fields after labels, transducers and units) makes
    // the reader refuse the first signal, naming its label in the message.
    const ns = Number(bytes.toString('latin1', 252, 256).trim());  // 4 leads + EDF+ annotations
    const base = 256 + ns * (16 + 80 + 8);
    putField(bytes, base, 8, '100');
    putField(bytes, base + ns * 8, 8, '100');
    await page.setInputFiles('#file-input', { name: `${XSS_LABEL}.edf`, mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForSelector('#error:not([hidden])');
    const error = await page.textContent('#error');
    assert.ok(error.includes(XSS_LABEL), `the error names the signal by its label: ${error}`);
    await assertNoMarkupFromData(page);
    await page.waitForFunction(() => !document.getElementById('demo-button').disabled);
  });

  test('a hostile CSV (name and column headers) and WFDB header (signal descriptions)', { skip: NO_WASM }, async () => {
    const { page } = session;
    const header = [XSS, '<b onmouseover="window.__xss=2">right</b>'];
    const rows = [header.join(',')];
    for (let i = 0; i < 2000; i++) rows.push(`${Math.sin(i / 20).toFixed(4)},${Math.cos(i / 30).toFixed(4)}`);
    const csvName = `${XSS}.csv`;
    await page.setInputFiles('#file-input', { name: csvName, mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
    await page.waitForSelector('#csv-form:not([hidden])');
    assert.equal(await page.textContent('#csv-name'), csvName);
    await page.fill('#csv-fs', '500');
    await page.click('#csv-open');
    await page.waitForFunction(() => /^(Opened|Could not)/.test(document.getElementById('status').textContent), null, { timeout: 30_000 });
    const leads = await page.textContent('#info-leads');
    assert.ok(leads.startsWith('2: '), `${leads} ${await page.textContent('#error')}`);
    for (const h of ['<img src=x onerror=', '<b onmouseover=']) assert.ok(leads.includes(h), `the CSV header shows as text: ${leads}`);
    await assertNoMarkupFromData(page);

    // tests/data/fmt16 with its signal descriptions (the lead names) replaced.
    const hea = readFileSync(join(ROOT, 'tests/data/fmt16.hea'), 'latin1').replace('lead A', XSS).replace('lead B', XSS_LABEL);
    await page.setInputFiles('#file-input', [
      { name: 'fmt16.hea', mimeType: 'text/plain', buffer: Buffer.from(hea, 'latin1') },
      { name: 'fmt16.dat', mimeType: 'application/octet-stream', buffer: readFileSync(join(ROOT, 'tests/data/fmt16.dat')) },
    ]);
    await page.waitForFunction(() => /^Opened fmt16/.test(document.getElementById('status').textContent), null, { timeout: 30_000 });
    assert.equal(await page.textContent('#info-leads'), `2: ${XSS}, ${XSS_LABEL}`);
    await assertNoMarkupFromData(page);
  });

  test('every file the page loads is ours or from a package pinned in package-lock.json', { skip: NO_WASM }, () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const declared = { ...pkg.dependencies, ...pkg.devDependencies };
    const tracked = new Set(execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean));
    const seen = new Map();
    for (const { url } of session.requests) {
      if (url.startsWith('blob:') || url.startsWith('data:') || url === `${session.origin}${PROBE_PATH}`) continue;
      const u = new URL(url);
      assert.equal(u.origin, session.origin, `off-origin request ${url}`);
      const file = resolvePath(u.pathname);
      assert.ok(file, `${url} maps to no file of ours`);
      const rel = relative(ROOT, file).split(sep).join('/');
      seen.set(rel, url);
    }
    assert.ok(seen.size >= 5, `the page loaded its files: ${[...seen.keys()]}`);
    for (const [rel, url] of seen) {
      const m = rel.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
      if (m) {
        // A package: declared with an exact version, locked with that version, an npm registry
        // tarball and its integrity hash, and installed at that version.
        const name = m[1];
        const entry = lock.packages?.[`node_modules/${name}`];
        assert.ok(entry, `${url}: ${name} is not in package-lock.json`);
        assert.match(declared[name] ?? '', /^\d+\.\d+\.\d+$/, `${name}: package.json pins an exact version`);
        assert.equal(entry.version, declared[name], `${name}: lock and package.json agree`);
        if (entry.resolved) assert.match(entry.resolved, /^https:\/\/registry\.npmjs\.org\//, `${name}: from the npm registry`);
        assert.match(entry.integrity ?? '', /^sha512-/, `${name}: integrity hash`);
        const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
        assert.equal(installed.version, entry.version, `${name}: installed version is the locked one`);
      } else if (rel.startsWith('build/wasm/')) {
        assert.ok(['build/wasm/fecg.js', 'build/wasm/fecg.wasm'].includes(rel), `${url}: only our module from build/`);
      } else {
        assert.ok(tracked.has(rel), `${url}: ${rel} is not a file of this repository (git ls-files)`);
      }
    }
  });

  test('no request left the origin and no policy was violated in normal use', () => {
    const outside = session.requests.filter(({ url }) => !url.startsWith(`${session.origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(outside, []);
    assert.deepEqual(violations, []);
    assert.deepEqual(session.consoleErrors, []);
  });
});

// No element or handler came from the data: no tag the payloads use, no on* attribute anywhere,
// and no handler ran.
async function assertNoMarkupFromData(page) {
  const found = await page.evaluate(() => {
    const tags = Array.from(document.querySelectorAll('body svg, body b, body i')).map((e) => e.outerHTML.slice(0, 80));
    const imgs = Array.from(document.images).filter((i) => i.id !== 'print-report-img').map((i) => i.outerHTML.slice(0, 80));
    const handlers = [];
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.getAttributeNames()) if (a.startsWith('on')) handlers.push(`${el.tagName} ${a}`);
    }
    return { tags, imgs, handlers, xss: window.__xss ?? null };
  });
  assert.deepEqual(found, { tags: [], imgs: [], handlers: [], xss: null });
}
