// The page's views beyond the main plots, and its usability: the printable report (PNG download and
// print view), every control labelled and the demo driven by the keyboard alone, readable at
// 1280×800 and at 390×844 without horizontal scrolling. Screenshots go to build/test-artifacts/.
//   node --test tests/browser/views.test.mjs        (needs build/wasm/fecg.{js,wasm})
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, HAVE_WASM, assertNotBlank, assertPngNotBlank, decodePng, greyVariance, inkBands, openPage } from './util.mjs';

const NO_WASM = !HAVE_WASM && 'build/wasm/fecg.js missing: run scripts/build.sh wasm';
const LONG_MS = 120_000;
const REPORT_SIZE = { width: 1240, height: 1754 };  // web/report.js REPORT_SIZE_PX: A4 at 150 dpi

describe('views and usability', () => {
  let session, page;
  before(async () => {
    session = await openPage();
    page = session.page;
    await page.goto(`${session.origin}/`);
  });
  after(async () => { await session?.close(); });

  async function screenshot(name) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, name);
    await page.screenshot({ path: file, fullPage: true });
    assertNotBlank(file);
  }

  // Presses Tab until the element with this id has the focus (at most `max` presses).
  async function tabTo(id, max = 60) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((want) => document.activeElement?.id === want, id)) return;
    }
    const at = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
    assert.fail(`${id} not reached with ${max} Tab presses (focus on ${at})`);
  }

  // The focus ring of the focused element: a visible outline of at least 2 px.
  async function assertFocusVisible() {
    const ring = await page.evaluate(() => {
      const el = document.activeElement;
      // The file input is drawn by its label (the input itself is visually hidden).
      const shown = el.id === 'file-input' ? el.nextElementSibling : el;
      const cs = getComputedStyle(shown);
      return { id: el.id, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
    });
    assert.ok(ring.style !== 'none' && ring.width >= 2, `visible focus on #${ring.id}: ${JSON.stringify(ring)}`);
  }

  // Every control has an accessible name: its label, aria-label(ledby), or its own text.
  async function unlabelledControls() {
    return page.evaluate(() => {
      const nameOf = (el) => {
        if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
        const by = el.getAttribute('aria-labelledby');
        if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
        if (el.labels && el.labels.length) return Array.from(el.labels).map((l) => l.textContent).join(' ');
        if (el.tagName === 'BUTTON') return el.textContent;
        return el.getAttribute('title') ?? '';
      };
      const controls = document.querySelectorAll('button, input, select, textarea, [tabindex]:not([tabindex="-1"])');
      return Array.from(controls).filter((el) => !nameOf(el).trim()).map((el) => el.outerHTML.slice(0, 100));
    });
  }

  test('every control is labelled, before and after an analysis', { skip: NO_WASM }, async () => {
    await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    assert.deepEqual(await unlabelledControls(), []);
  });

  test('the demo driven by the keyboard alone: Tab, Enter and Space, with a visible focus', { skip: NO_WASM }, async () => {
    await page.keyboard.press('Escape');
    await page.evaluate(() => document.activeElement?.blur());
    // The file picker is reachable and opens with the keyboard.
    await tabTo('file-input');
    await assertFocusVisible();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 30_000 }), page.keyboard.press('Space')]);
    assert.ok(chooser.isMultiple(), 'the picker takes several files (a WFDB .hea with its .dat)');
    await tabTo('demo-button');
    await assertFocusVisible();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^Opened/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
    // A lead can be unticked and ticked again with Space.
    await page.evaluate(() => document.activeElement?.blur());
    const firstLead = await page.$eval('#lead-checkboxes input', (i) => { i.id = i.id || 'lead-choice-0'; return i.id; });
    await tabTo(firstLead);
    await page.keyboard.press('Space');
    assert.equal(await page.isChecked(`#${firstLead}`), false);
    await page.keyboard.press('Space');
    assert.equal(await page.isChecked(`#${firstLead}`), true);
    await tabTo('analyze-button');
    await assertFocusVisible();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => /^(Done|Analysis failed)/.test(document.getElementById('status').textContent), null, { timeout: LONG_MS });
    assert.match(await page.textContent('#status'), /^Done/, await page.textContent('#error'));
    assert.deepEqual(await unlabelledControls(), []);
    // Plots: focus one and zoom with "+", which redraws every plot (synced).
    await tabTo('chart-hr');
    await assertFocusVisible();
    const before = await page.locator('#chart-fecg canvas').screenshot();
    await page.keyboard.press('+');
    let changed = false;
    for (let i = 0; i < 20 && !changed; i++) {
      await page.waitForTimeout(100);
      changed = !before.equals(await page.locator('#chart-fecg canvas').screenshot());
    }
    assert.ok(changed, '"+" on the heart-rate plot zoomed the fECG plot too');
    await page.keyboard.press('0');
    await screenshot('10-keyboard-demo.png');
  });

  test('the report PNG: downloads, decodes, A4 at 150 dpi, not blank, four plot regions', { skip: NO_WASM }, async () => {
    await tabTo('report-png');
    await assertFocusVisible();
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.keyboard.press('Enter')]);
    assert.match(dl.suggestedFilename(), /^demo_simulated_report\.png$|_report\.png$/);
    const buf = readFileSync(await dl.path());
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, '11-report.png'), buf);
    const png = decodePng(buf);
    assert.deepEqual({ width: png.width, height: png.height }, REPORT_SIZE);
    assertPngNotBlank(png, 'report.png');
    const variance = greyVariance(png);
    assert.ok(variance > 100, `grey-level variance ${variance.toFixed(1)} (a blank page gives 0)`);
    // Plot regions: bands of at least 100 consecutive inked rows (a frame's sides ink every row
    // of a plot; a line of text is ~20 rows). Raw leads, fECG, heart rate, quality.
    const plots = inkBands(png, { minRows: 100 });
    assert.ok(plots.length >= 4, `plot regions (rows): ${JSON.stringify(plots)}`);
    // Each region has a plot inside, not only a frame: many dark pixels in its interior.
    for (const [top, bottom] of plots.slice(0, 4)) {
      let ink = 0;
      for (let y = top + 5; y < bottom - 5; y++) {
        for (let x = 60; x < png.width - 60; x++) {
          const o = (y * png.width + x) * png.channels;
          if (png.pixels[o] + png.pixels[o + 1] + png.pixels[o + 2] < 3 * 200) ink++;
        }
      }
      assert.ok(ink > 2000, `region ${top}–${bottom}: ${ink} inked pixels`);
    }
  });

  test('the print view: "Print report" prints the report picture alone; Ctrl+P prints the results', { skip: NO_WASM }, async () => {
    // window.print() opens a dialog in a real browser; here it only counts.
    await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
    await page.click('#report-print');
    await page.waitForFunction(() => window.__printed === 1, null, { timeout: 60_000 });
    assert.equal(await page.$eval('#print-report-img', (i) => i.naturalWidth), REPORT_SIZE.width);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('#print-report-img'), true);
    for (const id of ['#open-panel', '#analyze-panel', '#plots-panel', '#summary-panel']) assert.equal(await page.isVisible(id), false, `${id} not printed`);
    const pdf = await page.pdf({ format: 'A4' });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    writeFileSync(join(ARTIFACTS, '12-report.pdf'), pdf);
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.equal(await page.isVisible('#print-report-img'), false, 'the picture is dropped after printing');
    // The page's own print view: results and plots, no controls.
    assert.equal(await page.isVisible('#summary-panel'), true);
    assert.equal(await page.isVisible('#chart-fecg canvas'), true);
    for (const id of ['#analyze-panel', '#demo-button', '.exports', '.plot-controls']) assert.equal(await page.isVisible(id), false, `${id} not printed`);
    await screenshot('13-print-view.png');
    await page.emulateMedia({ media: 'screen' });
  });

  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    test(`readable at ${viewport.width}×${viewport.height}: no horizontal scrolling`, { skip: NO_WASM }, async () => {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(400);  // the plots follow the width after a short debounce
      const { scrollWidth, innerWidth, widest } = await page.evaluate(() => {
        let widest = null;
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (r.width && r.right > window.innerWidth + 1 && !el.closest('.report-scratch, .visually-hidden')) {
            widest = `${el.tagName}#${el.id}.${el.className} right ${r.right.toFixed(0)}`;
            break;
          }
        }
        return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, widest };
      });
      assert.ok(scrollWidth <= innerWidth, `scrollWidth ${scrollWidth} > ${innerWidth} (${widest})`);
      await screenshot(`14-results-${viewport.width}x${viewport.height}.png`);
    });
  }

  test('no console errors and no request left the origin', () => {
    assert.deepEqual(session.consoleErrors, []);
    const outside = session.requests.filter(({ url }) => !url.startsWith(`${session.origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(outside, []);
  });
});
