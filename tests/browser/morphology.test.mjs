// The averaged fetal beat on the page (web/morphology.js): after the demo's analysis the panel
// shows the beat with calipers (a canvas with ink) and the interval table (seven rows, each a
// value or a dash with its reason), and the page logs no error.
//   node --test tests/browser/morphology.test.mjs        (needs build/wasm/fecg.{js,wasm})
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, HAVE_WASM, openPage } from './util.mjs';

const NO_WASM = !HAVE_WASM && 'build/wasm/fecg.js missing: run scripts/build.sh wasm';

describe('averaged fetal beat view', () => {
  let session, page;
  before(async () => {
    session = await openPage();
    page = session.page;
    await page.goto(`${session.origin}/`);
  });
  after(async () => { await session?.close(); });

  test('the demo analysis shows the averaged beat and its interval table', { skip: NO_WASM }, async () => {
    await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    await page.click('#demo-button');
    await page.waitForFunction(() => /^Opened/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    await page.selectOption('#method-select', 'ts-ica');
    await page.click('#analyze-button');
    await page.waitForFunction(() => /^(Done|Analysis failed)/.test(document.getElementById('status').textContent), null, { timeout: 120_000 });
    assert.match(await page.textContent('#status'), /^Done/, await page.textContent('#error'));
    assert.equal(await page.isVisible('#fig-morphology'), true);
    const rows = await page.$$eval('#chart-morphology table tbody tr', (trs) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent)));
    assert.equal(rows.length, 7, JSON.stringify(rows));
    assert.deepEqual(rows.map((r) => r[0]), ['PR', 'P', 'QRS', 'QT', 'QTc (Bazett)', 'QTc (Fridericia)', 'T/QRS']);
    for (const [label, value, note] of rows) {
      if (value === '—') assert.ok(note.length > 0, `${label}: a dash comes with its reason`);
      else assert.match(value, /^-?\d/, `${label}: ${value}`);
    }
    const qrs = rows.find((r) => r[0] === 'QRS');
    assert.match(qrs[1], /ms$/);
    // The canvas has the trace: many pixels that are not white.
    const inked = await page.$eval('#chart-morphology canvas', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 600) n++;
      return n;
    });
    assert.ok(inked > 500, `inked pixels ${inked}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#fig-morphology').screenshot({ path: join(ARTIFACTS, 'morphology.png') });
    assert.deepEqual(session.consoleErrors, []);
  });
});
