// The report: a list of blocks (title, fields, banners, paragraphs, lists, plot images) laid out
// once on A4 pages and drawn by two backends: a real PDF (pdf-lib, text as text, so it can be
// searched, copied and read by a screen reader) and a PNG of the same pages (canvas). The layout
// measures text with the PDF's own font metrics (Helvetica) and wraps every line to the page, so
// nothing is cut: a long warning wraps, a long list flows onto the next page. Everything runs in
// the browser; nothing is uploaded. Text from the user's files is drawn as text, never parsed.
//
//   const blocks = [{ kind: 'title', text: 'Fetal ECG report' },
//                   { kind: 'fields', rows: [['Mean FHR', '141 bpm'], ...] },
//                   { kind: 'image', canvas, png, widthPt, heightPt, caption, how }, ...];
//   const pdfBytes = await renderPdf(blocks, { title, footer });      // Uint8Array, application/pdf
//   const pngBlob = await renderPng(blocks, { title, footer });       // the same pages, stacked
//
// Block kinds: title, subtitle, heading, fields (rows of [label, value]), paragraph (text, tone),
// list (items, tone), banner (tone: 'bad'|'warn'|'ok'|'unknown', title, lines), image (canvas +
// png bytes, heightPt, caption, how), page (canvas + png, widthPt, heightPt: a page of its own at
// that physical size, e.g. the CTG at true scale).
// pdf-lib (about 150 kB compressed) is loaded on the first report, not with the page: the first
// result's download stays small. The service worker caches it for offline use (web/sw.js CORE).
let pdfLib = null;
async function loadPdfLib() {
  if (!pdfLib) pdfLib = await import('./vendor/pdf-lib/pdf-lib.esm.min.js');
  return pdfLib;
}
import uPlot from './vendor/uplot/uPlot.esm.js';
import { ctgFeatureRows, drawCtgStrip } from './ctg.js';

// A4 portrait in PDF points (1/72 in): 210 × 297 mm.
export const PAGE_PT = { width: 595.28, height: 841.89, margin: 42 };
// The PNG at 150 dpi: 1240 × 1754 px per page.
export const PNG_SCALE = 150 / 72;
export const REPORT_SIZE_PX = { width: Math.round(PAGE_PT.width * PNG_SCALE), height: Math.round(PAGE_PT.height * PNG_SCALE) };
// Plot images are drawn at this many CSS pixels per point (about 108 dpi on paper): uPlot's 12-px
// axis labels come out at 8 pt, legible on paper.
export const CHART_PX_PER_PT = 1.5;

const FOOTER_PT = 28;
const COLORS = {
  ink: [0.106, 0.122, 0.141], muted: [0.34, 0.376, 0.416], warn: [0.478, 0.294, 0], bad: [0.55, 0.08, 0.05],
  ok: [0.09, 0.447, 0.227], frame: [0.55, 0.58, 0.62],
  bannerBad: [0.992, 0.925, 0.918], bannerWarn: [1, 0.957, 0.85], bannerOk: [0.91, 0.965, 0.925], bannerUnknown: [0.93, 0.94, 0.95],
};
const TONE_INK = { bad: 'bad', warn: 'warn', ok: 'ok', unknown: 'ink', muted: 'muted' };
const TONE_FILL = { bad: 'bannerBad', warn: 'bannerWarn', ok: 'bannerOk', unknown: 'bannerUnknown' };

// Characters outside the PDF standard fonts' WinAnsi set, replaced by readable ASCII (a missing
// glyph would stop pdf-lib; a silent "?" would change the meaning of ≥ or ±).
const REPLACE = { '≥': '>=', '≤': '<=', '≈': '~', '→': '->', '←': '<-', '−': '-', '⚠': '!', '✓': 'ok', '×': 'x', '\u00a0': ' ', '\u2009': ' ', '\u202f': ' ', '\t': ' ' };

export function fontSafe(text, charset) {
  let out = '';
  for (const ch of String(text ?? '')) {
    if (charset.has(ch.codePointAt(0))) out += ch;
    else if (REPLACE[ch] !== undefined) out += REPLACE[ch];
    else if (ch === '\n' || ch === '\r') out += ' ';
    else out += '?';
  }
  return out;
}

// Splits text into lines no wider than maxW (pt) at `size`, breaking at spaces, and inside a word
// only when the word alone is wider than the line (a long sha256 or file name).
export function wrapText(text, maxW, measure) {
  const words = String(text).split(/ +/).filter((w) => w.length);
  const lines = [];
  let line = '';
  const pushWord = (word) => {
    let rest = word;
    while (measure(rest) > maxW) {
      let n = rest.length - 1;
      while (n > 1 && measure(rest.slice(0, n)) > maxW) n--;
      lines.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    return rest;
  };
  for (const w of words) {
    const candidate = line ? `${line} ${w}` : w;
    if (measure(candidate) <= maxW) { line = candidate; continue; }
    if (line) lines.push(line);
    line = pushWord(w);
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

// Lays the blocks out on pages. measure(text, size, bold) → width in pt (text already font-safe).
// Returns pages: [[op]], op = {type: 'text', x, y, text, size, bold, color} (y: baseline, from the
// top) | {type: 'rect', x, y, w, h, fill?, stroke?} | {type: 'image', x, y, w, h, block}.
export function layoutReport(blocks, measure) {
  const { width: W, height: H, margin: M } = PAGE_PT;
  // Lines wrap 2 pt short of the right margin: text extractors and some viewers box a glyph a
  // little past its advance width (poppler's pdftotext -bbox by up to ~0.5 pt on Helvetica Bold).
  const inner = W - 2 * M - 2;
  const bottom = H - M - FOOTER_PT;
  const pages = [[]];
  let y = M;
  let ops = pages[0];
  const newPage = () => { ops = []; pages.push(ops); y = M; };
  const need = (h) => { if (y + h > bottom && y > M) newPage(); };
  const text = (t, x, size, opts = {}) => ops.push({ type: 'text', x, y, text: t, size, bold: Boolean(opts.bold), color: opts.color ?? 'ink' });
  // Wrapped text: each line on its own, page breaks between lines.
  const para = (t, x, maxW, size, opts = {}) => {
    const lh = size * 1.3;
    for (const line of wrapText(t, maxW, (s) => measure(s, size, opts.bold))) {
      need(lh);
      y += lh;
      text(line, x, size, opts);
    }
  };
  for (const b of blocks) {
    switch (b.kind) {
      case 'title': para(b.text, M, inner, 20, { bold: true }); y += 4; break;
      case 'subtitle': para(b.text, M, inner, 10, { color: 'muted' }); y += 4; break;
      case 'heading': need(48); y += 10; para(b.text, M, inner, 13, { bold: true }); y += 2; break;
      case 'paragraph': para(b.text, M, inner, b.size ?? 10, { color: TONE_INK[b.tone] ?? 'ink', bold: b.bold }); y += 3; break;
      case 'list':
        for (const item of b.items) {
          const size = b.size ?? 10, lh = size * 1.3;
          const lines = wrapText(item, inner - 14, (s) => measure(s, size, false));
          lines.forEach((line, i) => {
            need(lh);
            y += lh;
            if (i === 0) text('•', M + 2, size, { color: TONE_INK[b.tone] ?? 'ink' });
            text(line, M + 14, size, { color: TONE_INK[b.tone] ?? 'ink' });
          });
          y += 2;
        }
        break;
      case 'fields': {
        const size = 10, lh = size * 1.3;
        const labelW = Math.min(inner * 0.34, Math.max(...b.rows.map(([l]) => measure(l, size, false))) + 12);
        for (const [label, value] of b.rows) {
          const labels = wrapText(label, labelW - 8, (s) => measure(s, size, false));
          const values = wrapText(String(value ?? '—'), inner - labelW, (s) => measure(s, size, true));
          for (let i = 0; i < Math.max(labels.length, values.length); i++) {
            need(lh);
            y += lh;
            if (labels[i]) text(labels[i], M, size, { color: 'muted' });
            if (values[i]) text(values[i], M + labelW, size, { bold: true });
          }
          y += 1.5;
        }
        y += 3;
        break;
      }
      case 'banner': {
        // Measured first, so that a banner is never split across pages.
        const pad = 8, size = 10.5, lh = size * 1.3;
        const titleLines = wrapText(b.title, inner - 2 * pad, (s) => measure(s, size + 1.5, true));
        const bodyLines = (b.lines ?? []).flatMap((l) => wrapText(l, inner - 2 * pad - 10, (s) => measure(s, size, false)).map((t, i) => ({ t, first: i === 0 })));
        const h = 2 * pad + titleLines.length * (size + 1.5) * 1.3 + bodyLines.length * lh + 2;
        need(h + 6);
        y += 6;
        ops.push({ type: 'rect', x: M, y, w: inner, h, fill: TONE_FILL[b.tone] ?? 'bannerUnknown', stroke: TONE_INK[b.tone] ?? 'ink' });
        y += pad;
        for (const t of titleLines) { y += (size + 1.5) * 1.3; text(t, M + pad, size + 1.5, { bold: true, color: TONE_INK[b.tone] ?? 'ink' }); }
        for (const { t, first } of bodyLines) {
          y += lh;
          if (first) text('•', M + pad, size);
          text(t, M + pad + 10, size);
        }
        y += pad + 2;
        break;
      }
      case 'image': {
        const capSize = 11, howSize = 9;
        const capLines = wrapText(b.caption ?? '', inner, (s) => measure(s, capSize, true));
        const howLines = b.how ? wrapText(b.how, inner, (s) => measure(s, howSize, false)) : [];
        const h = b.heightPt;
        need(capLines.length * capSize * 1.3 + howLines.length * howSize * 1.3 + h + 10);
        y += 8;
        for (const l of capLines) { y += capSize * 1.3; text(l, M, capSize, { bold: true }); }
        for (const l of howLines) { y += howSize * 1.3; text(l, M, howSize, { color: 'muted' }); }
        y += 4;
        ops.push({ type: 'image', x: M, y, w: inner, h, block: b });
        ops.push({ type: 'rect', x: M, y, w: inner, h, stroke: 'frame' });
        y += h + 4;
        break;
      }
      case 'page': {
        // A picture printed at its own physical size (the CTG at true scale: 1 cm is 1 cm), on a
        // page of its own, centred, without the report's footer (it has its own).
        if (ops.length) newPage();
        ops.noFooter = true;
        ops.push({ type: 'image', x: (W - b.widthPt) / 2, y: (H - b.heightPt) / 2, w: b.widthPt, h: b.heightPt, block: b });
        newPage();
        break;
      }
      default: throw new Error(`report: unknown block kind '${b.kind}'`);
    }
  }
  if (pages.length > 1 && !pages[pages.length - 1].length) pages.pop();
  return pages;
}

// Fonts (for measuring and for the PDF) and a font-safe text mapper.
async function fonts(doc) {
  const { StandardFonts } = await loadPdfLib();
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const charset = new Set(regular.getCharacterSet());
  const safe = (t) => fontSafe(t, charset);
  // 2 % wider than pdf-lib's own widths: viewers lay the standard fonts out with their own metrics
  // (poppler boxes a line of Helvetica-Bold up to 1 % wider than pdf-lib measures it), and a line
  // must end inside the margin in all of them.
  const measure = (t, size, isBold) => 1.02 * (isBold ? bold : regular).widthOfTextAtSize(t, size);
  return { regular, bold, safe, measure };
}

// Every text of the blocks made font-safe once, so that the layout measures what is drawn.
function safeBlocks(blocks, safe) {
  return blocks.map((b) => ({
    ...b,
    text: b.text === undefined ? undefined : safe(b.text),
    title: b.title === undefined ? undefined : safe(b.title),
    caption: b.caption === undefined ? undefined : safe(b.caption),
    how: b.how === undefined ? undefined : safe(b.how),
    lines: b.lines?.map(safe), items: b.items?.map(safe),
    rows: b.rows?.map(([l, v]) => [safe(l), safe(v)]),
  }));
}

function footerText(meta, i, n) { return `${meta.footer ?? ''}   Page ${i + 1} of ${n}`.trim(); }

// The PDF (Uint8Array). meta: {title, subject, footer, author, creationDate}.
export async function renderPdf(blocks, meta = {}) {
  const { PDFDocument, rgb } = await loadPdfLib();
  const doc = await PDFDocument.create();
  const f = await fonts(doc);
  const pages = layoutReport(safeBlocks(blocks, f.safe), f.measure);
  const { width: W, height: H, margin: M } = PAGE_PT;
  const color = (name) => rgb(...COLORS[name]);
  const images = new Map();
  for (const [i, ops] of pages.entries()) {
    const page = doc.addPage([W, H]);
    for (const op of ops) {
      if (op.type === 'text') {
        page.drawText(op.text, { x: op.x, y: H - op.y, size: op.size, font: op.bold ? f.bold : f.regular, color: color(op.color) });
      } else if (op.type === 'rect') {
        page.drawRectangle({ x: op.x, y: H - op.y - op.h, width: op.w, height: op.h,
          ...(op.fill ? { color: color(op.fill) } : {}), ...(op.stroke ? { borderColor: color(op.stroke), borderWidth: 0.75 } : {}) });
      } else if (op.type === 'image') {
        if (!images.has(op.block)) images.set(op.block, await doc.embedPng(op.block.png));
        page.drawImage(images.get(op.block), { x: op.x, y: H - op.y - op.h, width: op.w, height: op.h });
      }
    }
    if (ops.noFooter) continue;
    const foot = f.safe(footerText(meta, i, pages.length));
    const lines = wrapText(foot, W - 2 * M, (s) => f.measure(s, 8, false));
    lines.forEach((l, k) => page.drawText(l, { x: M, y: M - 8 + (lines.length - 1 - k) * 10, size: 8, font: f.regular, color: color('muted') }));
  }
  doc.setTitle(f.safe(meta.title ?? 'FHNet-Web report'));
  doc.setSubject(f.safe(meta.subject ?? 'Fetal ECG analysis'));
  doc.setCreator('FHNet-Web');
  doc.setProducer('FHNet-Web (pdf-lib)');
  if (meta.author) doc.setAuthor(f.safe(meta.author));
  doc.setCreationDate(meta.creationDate ?? new Date());
  return doc.save();
}

const CSS_FONT = 'Helvetica, Arial, "Liberation Sans", sans-serif';
const css = (name) => `rgb(${COLORS[name].map((c) => Math.round(255 * c)).join(',')})`;

// The same blocks as one PNG (pages stacked top to bottom, 1240 px wide at 150 dpi), laid out with
// the canvas font's own metrics (its pages may break a little differently from the PDF's); each
// line is also drawn with fillText's maxWidth, so a line can never run past the margin.
export async function renderPngCanvas(blocks, meta = {}) {
  const { PDFDocument } = await loadPdfLib();
  const doc = await PDFDocument.create();
  const f = await fonts(doc);
  const s = PNG_SCALE;
  const { width: W, height: H, margin: M } = PAGE_PT;
  // Measured with the canvas's own font (whatever sans-serif the system has), in points.
  const probe = document.createElement('canvas').getContext('2d');
  const measure = (t, size, bold) => { probe.font = `${bold ? 'bold ' : ''}${(size * s).toFixed(1)}px ${CSS_FONT}`; return probe.measureText(t).width / s; };
  const pages = layoutReport(safeBlocks(blocks, f.safe), measure);
  const canvas = document.createElement('canvas');
  canvas.width = REPORT_SIZE_PX.width;
  canvas.height = REPORT_SIZE_PX.height * pages.length;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  pages.forEach((ops, i) => {
    const top = i * REPORT_SIZE_PX.height;
    for (const op of ops) {
      if (op.type === 'text') {
        ctx.font = `${op.bold ? 'bold ' : ''}${(op.size * s).toFixed(1)}px ${CSS_FONT}`;
        ctx.fillStyle = css(op.color);
        ctx.fillText(op.text, op.x * s, top + op.y * s, (W - M - op.x) * s);
      } else if (op.type === 'rect') {
        if (op.fill) { ctx.fillStyle = css(op.fill); ctx.fillRect(op.x * s, top + op.y * s, op.w * s, op.h * s); }
        if (op.stroke) { ctx.strokeStyle = css(op.stroke); ctx.lineWidth = 1.5; ctx.strokeRect(op.x * s, top + op.y * s, op.w * s, op.h * s); }
      } else if (op.type === 'image') {
        ctx.drawImage(op.block.canvas, op.x * s, top + op.y * s, op.w * s, op.h * s);
      }
    }
    if (!ops.noFooter) {
      ctx.font = `${(8 * s).toFixed(1)}px ${CSS_FONT}`;
      ctx.fillStyle = css('muted');
      ctx.fillText(f.safe(footerText(meta, i, pages.length)), M * s, top + (H - M + 8) * s, (W - 2 * M) * s);
    }
    if (i > 0) { ctx.fillStyle = '#8c959f'; ctx.fillRect(0, top, canvas.width, 2); }
  });
  return canvas;
}

export async function renderPng(blocks, meta = {}) { return canvasToPng(await renderPngCanvas(blocks, meta)); }

export function canvasToPng(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('report: the browser could not encode the PNG'))), 'image/png');
  });
}

// One uPlot chart drawn off screen for the report: {canvas, png (Uint8Array), widthPt, heightPt}.
// The page's interactive options (cursor sync, zoom hooks, legend) are dropped, so a report chart
// never moves the page's charts; xRange fixes its time span.
export async function chartImage({ opts, data, xRange }, heightPt) {
  const widthPt = PAGE_PT.width - 2 * PAGE_PT.margin;
  const w = Math.round(widthPt * CHART_PX_PER_PT), h = Math.round(heightPt * CHART_PX_PER_PT);
  const scratch = document.createElement('div');
  scratch.className = 'report-scratch';
  scratch.setAttribute('aria-hidden', 'true');
  document.body.append(scratch);
  try {
    const scales = { ...opts.scales, x: { time: false, ...(opts.scales && opts.scales.x) } };
    const u = new uPlot({ ...opts, scales, width: w, height: h, hooks: {}, cursor: { show: false }, legend: { show: true, live: false } }, data, scratch);
    if (xRange) u.setScale('x', { min: xRange[0], max: xRange[1] });
    // uPlot commits its drawing in a microtask; a macrotask later the canvas is complete.
    await new Promise((r) => setTimeout(r, 0));
    // The legend (series names and colours) is HTML in uPlot: drawn here under the plot.
    const legend = Array.from(u.series).slice(1).map((sr) => ({ label: sr.label, stroke: typeof sr._stroke === 'string' ? sr._stroke : (typeof sr.stroke === 'function' ? sr.stroke(u, 1) : sr.stroke) })).filter((l) => l.label);
    const legendH = legend.length ? 22 : 0;
    const canvas = document.createElement('canvas');
    canvas.width = u.ctx.canvas.width;
    const ratio = u.ctx.canvas.width / w;
    canvas.height = u.ctx.canvas.height + Math.round(legendH * ratio);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(u.ctx.canvas, 0, 0);
    ctx.font = `${Math.round(12 * ratio)}px ${CSS_FONT}`;
    let x = 8 * ratio;
    const ly = u.ctx.canvas.height + 15 * ratio;
    for (const l of legend) {
      const label = String(l.label);
      const tw = ctx.measureText(label).width;
      if (x + (18 * ratio) + tw > canvas.width) break;
      ctx.fillStyle = typeof l.stroke === 'string' ? l.stroke : '#1b1f24';
      ctx.fillRect(x, ly - 9 * ratio, 12 * ratio, 8 * ratio);
      ctx.fillStyle = '#1b1f24';
      ctx.fillText(label, x + 16 * ratio, ly);
      x += 16 * ratio + tw + 14 * ratio;
    }
    u.destroy();
    const png = new Uint8Array(await (await canvasToPng(canvas)).arrayBuffer());
    return { canvas, png, widthPt, heightPt: heightPt + legendH / CHART_PX_PER_PT };
  } finally {
    scratch.remove();
  }
}

// A canvas as a 'page' block printed at widthMm × heightMm.
export async function pageBlock(canvas, widthMm, heightMm) {
  const png = new Uint8Array(await (await canvasToPng(canvas)).arrayBuffer());
  return { kind: 'page', canvas, png, widthPt: (widthMm / 25.4) * 72, heightPt: (heightMm / 25.4) * 72 };
}

// A file name from a recording's name: letters, digits, "._-" kept, the rest "_" (names come from
// the user's files and may hold anything). suffix: '_report.pdf', '_report.png', '_package.zip'.
export function reportFileName(recordName, suffix = '_report.png') {
  const base = String(recordName || 'recording').replace(/\.[A-Za-z0-9]{1,4}$/, '').replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[_.]+|_+$/g, '').slice(0, 80);
  return `${base || 'recording'}${suffix}`;
}

// ------------------------------------------------------------------------------------------- CTG

// The CTG printed at true scale: A4 portrait pages of the printable area inside 10 mm margins
// (190 × 277 mm, style.css @page) at 150 dpi, to be printed at exactly CTG_PAGE_MM (style.css
// .ctg-page), so that a centimetre on the canvas is a centimetre on paper. Strips of 18 cm (18,
// 9 or 6 min at 1, 2 or 3 cm/min), 8 cm high (50-210 bpm at 20 bpm/cm), as many as the recording
// needs; the first page starts with the title and the FIGO 2015 features.
export const CTG_PAGE_MM = { width: 190, height: 277 };
const CTG_DPI = 150;
const INK = '#1b1f24', MUTED = '#57606a', FONT = CSS_FONT;
// Canvas text on the CTG pages: drawn whole, squeezed by fillText's maxWidth when it would pass
// the margin (never cut with an ellipsis: a feature value is a clinical statement).
function fillFitted(ctx, text, x, y, maxWidth) { ctx.fillText(String(text), x, y, Math.max(1, maxWidth)); }

export function renderCtgPages({ title, ctg, speedCmPerMin = 1, footer = '' }) {
  const pxPerCm = CTG_DPI / 2.54;
  const W = Math.round((CTG_PAGE_MM.width / 10) * pxPerCm), H = Math.round((CTG_PAGE_MM.height / 10) * pxPerCm);
  const stripCm = 18, stripHeightCm = 8, stripGapCm = 1.4;
  const stripS = (stripCm / speedCmPerMin) * 60;
  const durationS = ctg.durationS;
  const nStrips = Math.max(1, Math.ceil(durationS / stripS));
  const x0 = Math.round(((CTG_PAGE_MM.width / 10 - stripCm) / 2) * pxPerCm);
  const pages = [];
  let strip = 0;
  while (strip < nStrips) {
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    let y = 40;
    ctx.fillStyle = INK;
    ctx.font = `bold 26px ${FONT}`;
    fillFitted(ctx, `${title}: CTG at ${speedCmPerMin} cm/min, 20 bpm/cm (page ${pages.length + 1})`, x0, y, W - 2 * x0);
    y += 14;
    if (pages.length === 0) {
      ctx.font = `15px ${FONT}`;
      for (const [label, value] of ctgFeatureRows(ctg)) {
        y += 21;
        ctx.fillStyle = MUTED;
        const l = `${label}: `;
        ctx.fillText(l, x0, y);
        const lw = Math.min(ctx.measureText(l).width, 330);
        ctx.fillStyle = INK;
        fillFitted(ctx, value, x0 + lw, y, W - 2 * x0 - lw);
      }
      y += 10;
    }
    y += 16;
    while (strip < nStrips && y + (stripHeightCm + 0.6) * pxPerCm <= H - 40) {
      const t0S = strip * stripS;
      drawCtgStrip(ctx, ctg, { x: x0, y, pxPerCm, t0S, t1S: t0S + stripS, speedCmPerMin });
      // Past the end of the recording the paper stays blank (no trace, no signal).
      if (t0S + stripS > durationS) {
        const xEnd = x0 + ((durationS - t0S) / 60) * speedCmPerMin * pxPerCm;
        ctx.fillStyle = 'rgba(255, 255, 255, 0.75)';
        ctx.fillRect(xEnd + 1, y + 1, x0 + stripCm * pxPerCm - xEnd - 2, stripHeightCm * pxPerCm - 2);
      }
      y += (stripHeightCm + stripGapCm) * pxPerCm;
      strip++;
    }
    ctx.font = `13px ${FONT}`;
    ctx.fillStyle = MUTED;
    fillFitted(ctx, footer, x0, H - 16, W - 2 * x0);
    pages.push(canvas);
  }
  return pages;
}

// The pages as images after the report picture in the print container (class ctg-page: printed
// at CTG_PAGE_MM, style.css); clearCtgPages removes them after printing.
export async function showCtgPages(container, pages) {
  clearCtgPages(container);
  for (const [i, canvas] of pages.entries()) {
    const img = document.createElement('img');
    img.className = 'ctg-page';
    img.alt = `CTG at true scale, page ${i + 1} of ${pages.length}`;
    img.src = URL.createObjectURL(await canvasToPng(canvas));
    await img.decode();
    container.append(img);
  }
}

export function clearCtgPages(container) {
  for (const img of container.querySelectorAll('img.ctg-page')) {
    URL.revokeObjectURL(img.src);
    img.remove();
  }
}
