// Long recordings in the page (web/long_recordings.js): a 40-minute EDF, beyond the 30-minute
// whole-analysis budget, is read in slices and analysed in chunks, with the beats still found
// (F1 >= 0.95 against the simulator's truth); its fECG CSV export says why it is not available;
// a CSV beyond the budget is refused with a message that names the limit, and the page keeps
// working. Needs build/wasm (scripts/build.sh wasm) and build/native/fecg (for `fecg synth`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAVE_WASM, ROOT, openPage } from './util.mjs';

const CLI = process.env.FECG_CLI ?? join(ROOT, 'build', 'native', 'fecg');
const skip = !HAVE_WASM ? 'no wasm build (scripts/build.sh wasm)' : !existsSync(CLI) ? `${CLI} missing` : false;
const LONG_MS = 300_000;  // 40 min in WASM on a loaded 2-core machine

describe('long recordings in the page', { skip }, () => {
  let ui, dir;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fecg-long-'));
    execFileSync(CLI, ['synth', '--out', join(dir, 'long'), '--format', 'edf', '--seconds', '2400', '--seed', '9',
      '--snr-mn', '9', '--nstdb', 'none']);
    ui = await openPage();
    await ui.page.goto(`${ui.origin}/`);
    await ui.page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  });
  after(async () => {
    await ui?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a 40-min EDF is analysed in chunks and its beats are found', async () => {
    const { page } = ui;
    await page.setInputFiles('#file-input', join(dir, 'long.edf'));
    await page.waitForFunction(() => /^Opened/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent('#status'), /It is long: it will be read and analysed in 10-min chunks/);
    assert.equal(await page.textContent('#info-duration'), '2400.0 s (2400000 samples per lead)');
    await page.selectOption('#method-select', 'ts');
    await page.click('#analyze-button');
    await page.waitForFunction(() => {
      const s = document.getElementById('status').textContent;
      return s.startsWith('Done') || s.startsWith('Analysis failed');
    }, null, { timeout: LONG_MS });
    assert.match(await page.textContent('#status'), /^Done/, await page.textContent('#error'));
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="fqrs"]')]);
    await dl.saveAs(join(dir, 'found.fqrs'));
    // Scored by the CLI (one-to-one within ±50 ms).
    const score = JSON.parse(execFileSync(CLI, ['eval', '--ref', join(dir, 'long.fqrs'), '--test', join(dir, 'found.fqrs'),
      '--rate', '1000'], { encoding: 'utf8' }));
    assert.ok(score.f1 >= 0.95, `fetal beats F1 ${score.f1} over 40 min`);
    // The fECG was handed out chunk by chunk, not kept: its export says so.
    await page.click('[data-export="fecg-csv"]');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error'), /streamed analysis keeps no fECG/);
  });

  test('a CSV beyond the budget is refused with the limit, and the page keeps working', async () => {
    const { page } = ui;
    const csv = join(dir, 'huge.csv');
    const fd = openSync(csv, 'w');
    writeSync(fd, 'a,b\n');
    ftruncateSync(fd, 120 * 1024 * 1024);  // sparse: the page refuses it from its size alone
    closeSync(fd);
    await page.setInputFiles('#file-input', csv);
    await page.waitForSelector('#error:not([hidden])');
    assert.equal(await page.isHidden('#csv-form'), true, 'refused from its size, before the CSV options');
    assert.match(await page.textContent('#error'), /huge\.csv is 120 MB.*at most 100 MB of CSV/);
    assert.match(await page.textContent('#info-duration'), /^2400\.0 s/, 'the open recording stays open');
  });

  test('no console errors', () => {
    assert.deepEqual(ui.consoleErrors, []);
  });
});
