// The CTG view (web/ctg.js): a 12-min simulated recording with known accelerations and
// decelerations (fecg synth --fhr-scenario mixed) analysed in the page: the trace on the clinical
// grid, the FIGO 2015 features table, the paper speed, the 4 Hz CSV export and the true-scale pages
// of the printed report. Screenshots go to build/test-artifacts/.
//   node --test tests/browser/ctg.test.mjs   (needs build/wasm/fecg.{js,wasm} and build/native/fecg)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACTS, HAVE_WASM, ROOT, assertNotBlank, decodePng, greyVariance, openPage } from './util.mjs';

const CLI = join(ROOT, 'build', 'native', 'fecg');
const SKIP = (!HAVE_WASM && 'build/wasm/fecg.js missing: run scripts/build.sh wasm') ||
  (!existsSync(CLI) && 'build/native/fecg missing: run scripts/build.sh native');
const LONG_MS = 120_000;

describe('CTG view', () => {
  let session, page, dir, truth;
  before(async () => {
    if (SKIP) return;
    dir = mkdtempSync(join(tmpdir(), 'fecg-ctg-'));
    execFileSync(CLI, ['synth', '--out', join(dir, 'ctg_mixed'), '--seconds', '720', '--rate', '250', '--seed', '3',
      '--fhr-scenario', 'mixed', '--format', 'edf', '--nstdb', 'none']);
    truth = JSON.parse(readFileSync(join(dir, 'ctg_mixed_truth.json'), 'utf8'));
    session = await openPage();
    page = session.page;
    await page.goto(`${session.origin}/`);
    await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  });
  after(async () => {
    await session?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function screenshot(locator, name) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, name);
    await locator.screenshot({ path: file });
    assertNotBlank(file);
    return file;
  }

  test('a 12-min recording: the trace, its features, the speeds and the CSV', { skip: SKIP, timeout: 3 * LONG_MS }, async () => {
    await page.setInputFiles('#file-input', join(dir, 'ctg_mixed.edf'));
    await page.waitForFunction(() => /^Opened/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    await page.selectOption('#method-select', 'ts-ica');
    await page.click('#analyze-button');
    await page.waitForFunction(() => /^Done/.test(document.getElementById('status').textContent), null, { timeout: LONG_MS });
    assert.equal(await page.isVisible('#fig-ctg'), true);

    // The features table: a baseline within 3 bpm of the truth, one deceleration row listing as
    // many events as the truth holds, and what cannot be classified without contractions.
    const rows = await page.$$eval('#ctg-features tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent]));
    const row = (prefix) => rows.find(([label]) => label.startsWith(prefix));
    const baseline = Number(/^([\d.]+) bpm/.exec(row('Baseline')[1])?.[1]);
    assert.ok(Math.abs(baseline - truth.fhr_baseline_bpm) < 3, `baseline ${baseline} vs truth ${truth.fhr_baseline_bpm}`);
    const count = (type) => truth.fhr_events.filter((e) => e.type === type).length;
    assert.equal(row('Decelerations')[1].split('; ').length, count('deceleration'), row('Decelerations')[1]);
    assert.equal(row('Accelerations')[1].split('; ').length, count('acceleration'), row('Accelerations')[1]);
    assert.ok(rows.filter(([label]) => label === 'Not classified').some(([, v]) => /contraction/.test(v)));

    // The trace on its grid: the chart has ink and colour (grid, band, traces).
    const file = await screenshot(page.locator('#fig-ctg'), 'ctg-view.png');
    assert.ok(greyVariance(decodePng(readFileSync(file))) > 100, 'the CTG chart is not flat');

    // Paper speed: 1 cm/min shows three times the span of 3 cm/min (true scale on screen), with
    // other grid lines: the chart's picture changes.
    await page.selectOption('#ctg-speed', '3');
    const at3 = await page.locator('#chart-ctg').screenshot();
    await page.selectOption('#ctg-speed', '1');
    const at1 = await page.locator('#chart-ctg').screenshot();
    assert.ok(!at1.equals(at3), 'changing the paper speed changes the chart');
    await screenshot(page.locator('#fig-ctg'), 'ctg-view-1cm.png');

    // The 4 Hz CSV export: header, one row per 0.25 s, empty FHR where not reliable.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="ctg-csv"]')]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'time_s,fhr_bpm,mhr_bpm,reliable');
    assert.equal(csv.length - 1, 720 * 4);
    for (const line of csv.slice(1)) {
      const [, fhr, , reliable] = line.split(',');
      assert.equal(fhr === '', reliable === '0', line);
    }
  });

  test('the printed report: CTG pages at true scale on A4', { skip: SKIP, timeout: LONG_MS }, async () => {
    await page.selectOption('#ctg-speed', '3');
    await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
    await page.click('#report-print');
    await page.waitForFunction(() => window.__printed === 1 || !document.getElementById('error').hidden, null, { timeout: 60_000 });
    assert.equal(await page.isVisible('#error'), false, `no error: ${await page.textContent('#error')}`);
    // 12 min at 3 cm/min = 36 cm of paper: two 18-cm strips on the first page.
    const pages = await page.$$eval('#print-report img.ctg-page', (imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight]));
    assert.equal(pages.length, 1);
    assert.deepEqual(pages[0], [Math.round(19 * 150 / 2.54), Math.round(27.7 * 150 / 2.54)]);
    await page.emulateMedia({ media: 'print' });
    // Printed at 190 × 277 mm: 150 dpi canvas pixels become exact centimetres on paper.
    const mm = await page.$eval('#print-report img.ctg-page', (i) => i.getBoundingClientRect().width * 25.4 / 96);
    assert.ok(Math.abs(mm - 190) < 0.5, `printed width ${mm} mm`);
    await screenshot(page.locator('#print-report img.ctg-page'), 'ctg-print-page.png');
    await page.emulateMedia({ media: 'screen' });
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.equal(await page.$$eval('#print-report img.ctg-page', (imgs) => imgs.length), 0, 'the pages are dropped after printing');
  });
});
