// The averaged fetal beat on the page and in the report: the beat of the measured lead with its
// wave marks drawn as calipers (P, QRS and QT spans), and the interval table — value ± sd, or a
// dash and why it was not measured. Data come from Result.morphology (web/fecg.d.ts Morphology),
// computed by the core (src/morph/); nothing here measures anything. Text from the data is set
// with textContent / fillText, never parsed as HTML.
//
// It registers itself as a result section (web/sections.js): app.js imports it for that effect.
//   import './morphology.js';

import { registerSection } from './sections.js';

const INK = '#1b1f24';
const MUTED = '#57606a';
const TRACE = '#0b5cad';
const CALIPER = { P: '#8250df', QRS: '#cf222e', QT: '#1a7f37' };
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

function fmt(v, digits = 0) {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

// The rows of the interval table: [label, value text, note] per interval.
export function intervalRows(m) {
  if (!m || !m.intervals) return [];
  return m.intervals.map((iv) => {
    const ratio = iv.key === 'tQrsRatio';
    const unit = ratio ? '' : ' ms';
    const digits = ratio ? 2 : 0;
    let value = '—';
    if (iv.value !== null) value = `${fmt(iv.value, digits)}${iv.sd !== null ? ` ± ${fmt(iv.sd, digits)}` : ''}${unit}`;
    let note = iv.value === null ? (iv.whyMissing || 'not measured') : '';
    if (iv.published) {
      const p = iv.published;
      const cmp = `published mean ${fmt(p.meanMs, 1)} ms (${p.source})` +
        (p.differenceMs !== null ? `, difference ${p.differenceMs >= 0 ? '+' : ''}${fmt(p.differenceMs, 1)} ms` : '');
      const flag = p.outsidePublishedRange === true ? '; outside the published range' :
        p.outsidePublishedRange === false ? '; within the published range' : '';
      note = note ? `${note}; ${cmp}${flag}` : `${cmp}${flag}`;
    }
    return [iv.label, value, note];
  });
}

// Draws the measured lead's averaged beat with calipers on a canvas of w × h px.
export function drawBeat(canvas, m, w, h) {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  if (!m || !m.computed || m.leadIndex < 0 || !m.beatUv[m.leadIndex]) return canvas;
  const y = m.beatUv[m.leadIndex];
  const n = y.length;
  const t0 = -m.rIndex * 1000 / m.fsHz, t1 = (n - 1 - m.rIndex) * 1000 / m.fsHz;
  let lo = Infinity, hi = -Infinity;
  for (const v of y) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) { hi = lo + 1; }
  const padL = 46, padR = 10, padT = 14, padB = 64;  // bottom: caliper brackets and the time axis
  const px = (tMs) => padL + (tMs - t0) / (t1 - t0) * (w - padL - padR);
  const py = (v) => padT + (hi - v) / (hi - lo) * (h - padT - padB);
  ctx.font = `12px ${FONT}`;
  ctx.fillStyle = MUTED;
  ctx.strokeStyle = '#d0d7de';
  ctx.lineWidth = 1;
  for (let t = Math.ceil(t0 / 100) * 100; t <= t1; t += 100) {
    ctx.beginPath(); ctx.moveTo(px(t), padT); ctx.lineTo(px(t), h - padB); ctx.stroke();
    ctx.fillText(`${t} ms`, px(t) - 16, h - 6);
  }
  ctx.fillText(`${fmt(hi)} µV`, 2, padT + 8);
  ctx.fillText(`${fmt(lo)} µV`, 2, h - padB);
  ctx.strokeStyle = TRACE;
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const x = px((i - m.rIndex) * 1000 / m.fsHz), v = py(y[i]);
    if (i === 0) ctx.moveTo(x, v); else ctx.lineTo(x, v);
  }
  ctx.stroke();
  const f = m.fiducialsMs;
  // Calipers: a dashed line at each mark, a bracket under the trace for each span.
  const spans = [['P', f.pOn, f.pOff, 0], ['QRS', f.qrsOn, f.qrsOff, 1], ['QT', f.qrsOn, f.tOff, 2]];
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = 1;
  for (const [name, a, b] of spans) {
    ctx.strokeStyle = CALIPER[name];
    for (const t of [a, b]) {
      if (t === null) continue;
      ctx.beginPath(); ctx.moveTo(px(t), padT); ctx.lineTo(px(t), h - padB); ctx.stroke();
    }
  }
  ctx.setLineDash([]);
  for (const [name, a, b, row] of spans) {
    if (a === null || b === null) continue;
    const by = h - padB + 12 + row * 13;
    ctx.strokeStyle = CALIPER[name];
    ctx.fillStyle = CALIPER[name];
    ctx.beginPath();
    ctx.moveTo(px(a), by - 4); ctx.lineTo(px(a), by); ctx.lineTo(px(b), by); ctx.lineTo(px(b), by - 4);
    ctx.stroke();
    ctx.fillText(`${name} ${fmt(b - a)} ms`, px(b) + 4, by + 4);
  }
  for (const [key, label] of [['pPeak', 'P'], ['rPeak', 'R'], ['tPeak', 'T']]) {
    if (f[key] === null) continue;
    ctx.fillStyle = INK;
    ctx.fillText(label, px(f[key]) - 3, padT + 10);
  }
  return canvas;
}

// Fills `container` with the averaged beat, the interval table and the caveats.
export function renderMorphology(container, m) {
  if (!container) return;
  const parts = [];
  const head = document.createElement('p');
  if (!m || !m.computed) {
    head.textContent = `Not measured: ${(m && m.message) || 'no morphology in this result'}.`;
    container.replaceChildren(head);
    return;
  }
  head.textContent = `Averaged beat of ${m.nBeats} beats on ${m.lead} (SNR ${fmt(m.snrDb, 1)} dB, RR ${fmt(m.rrMs)} ms); ` +
    'marks by the wavelet delineator of Martínez et al. 2004; ± is the jackknife sd over groups of beats.';
  parts.push(head);
  const canvas = document.createElement('canvas');
  canvas.className = 'morphology-beat';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `Averaged fetal beat on ${m.lead} with P, QRS and QT calipers`);
  drawBeat(canvas, m, Math.max(320, container.clientWidth || 640), 280);
  parts.push(canvas);
  const table = document.createElement('table');
  table.className = 'morphology-table';
  const hr = table.createTHead().insertRow();
  for (const h of ['Interval', 'Value', 'Note']) { const th = document.createElement('th'); th.textContent = h; hr.append(th); }
  const body = table.createTBody();
  for (const [label, value, note] of intervalRows(m)) {
    const tr = body.insertRow();
    for (const text of [label, value, note]) tr.insertCell().textContent = text;
  }
  parts.push(table);
  const caveat = document.createElement('p');
  caveat.className = 'hint';
  caveat.textContent = 'A measurement of the signal, never a diagnosis. Published figures are group means; ' +
    'a value away from them is a reason to look again, not a finding.';
  parts.push(caveat);
  container.replaceChildren(...parts);
}

// The report's blocks (web/report.js kinds): the beat as an image (canvas + PNG bytes) and the
// interval table as fields; or one paragraph saying why there is no averaged beat.
export async function morphologyReportBlocks(m) {
  const blocks = [{ kind: 'heading', text: 'Averaged fetal beat' }];
  if (!m || !m.computed) {
    blocks.push({ kind: 'paragraph', text: `Not measured: ${(m && m.message) || 'no morphology in this result'}.` });
    return blocks;
  }
  const widthPt = 511, heightPt = 190;  // the page's inner width (A4 less 42 pt margins)
  const canvas = drawBeat(document.createElement('canvas'), m, 1100, Math.round(1100 * heightPt / widthPt));
  const blob = await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('morphology: the browser could not encode the PNG'))), 'image/png'));
  const png = new Uint8Array(await blob.arrayBuffer());
  blocks.push({
    kind: 'image', canvas, png, widthPt, heightPt,
    caption: `Averaged beat of ${m.nBeats} beats on ${m.lead} (SNR ${fmt(m.snrDb, 1)} dB), with P, QRS and QT calipers`,
    how: 'Marks by the wavelet delineator of Martínez et al. 2004; ± is the jackknife sd over groups of beats. ' +
      'A measurement of the signal, never a diagnosis.',
  });
  blocks.push({ kind: 'fields', rows: intervalRows(m).map(([label, value, note]) => [label, note ? `${value} (${note})` : value]) });
  return blocks;
}

registerSection({
  id: 'morphology',
  title: 'Averaged fetal beat (P, QRS, QT calipers) and intervals',
  order: 70,
  how: 'How to read this: the fetal beats of the reliable windows, aligned and averaged; the dashed lines mark the ' +
    'wave onsets and ends the delineator found, the brackets the P, QRS and QT spans. A dash in the table means the ' +
    'signal does not support that mark, and says why.',
  render(ctx, container) { renderMorphology(container, ctx.result && ctx.result.morphology); },
  async report(ctx) { return morphologyReportBlocks(ctx.result && ctx.result.morphology); },
});
