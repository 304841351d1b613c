// The printable report: one canvas that composes the summary (as the page shows it) and the main
// plots over the whole recording, saved as PNG or printed (the browser's print dialog makes a PDF).
// Everything is drawn here in the browser; nothing is uploaded. Text from the recording (its name,
// lead names) is drawn with fillText, never parsed as HTML.
//
//   const canvas = await renderReport({ title, facts: [['Mean FHR', '141 bpm'], ...], warnings,
//                                       plots: [{ caption, opts, data, xRange: [0, 60] }, ...] });
//   canvas.toBlob((png) => save(png), 'image/png');
import uPlot from './vendor/uplot/uPlot.esm.js';
import { ctgFeatureRows, drawCtgStrip } from './ctg.js';

// A4 portrait at 150 dpi (210 × 297 mm): prints one page at a legible size; the PNG has this
// size whatever the screen, so that a telemedicine system receives the same layout every time.
export const REPORT_SIZE_PX = { width: 1240, height: 1754 };

const MARGIN_PX = 48;
const INK = '#1b1f24';
const MUTED = '#57606a';
const FRAME = '#8c959f';  // plot frames: dark enough to separate the plots on paper
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const MAX_WARNINGS = 3;   // more would push the plots off the page; the JSON report has them all

// Cuts text to fit maxWidth px in the context's current font, ending it with an ellipsis.
function fitText(ctx, text, maxWidth) {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= maxWidth) lo = mid; else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

// Draws one uPlot chart off screen at w × h CSS px over xRange and returns its canvas (the caller
// copies it before destroy()). The page's interactive options (cursor sync, zoom hooks, legend)
// are dropped: a report chart must not move the page's charts.
async function chartCanvas(scratch, { opts, data, xRange }, w, h) {
  const el = document.createElement('div');
  scratch.append(el);
  const scales = { ...opts.scales, x: { time: false, ...(opts.scales && opts.scales.x) } };  // seconds, not dates
  const u = new uPlot({ ...opts, scales, width: w, height: h, hooks: {}, cursor: { show: false }, legend: { show: false } }, data, el);
  if (xRange) u.setScale('x', { min: xRange[0], max: xRange[1] });
  // uPlot commits its drawing in a microtask; a macrotask later the canvas is complete.
  await new Promise((r) => setTimeout(r, 0));
  return { u, canvas: u.ctx.canvas };
}

// Series labels with their colours, drawn in one line right of the caption.
function drawLegend(ctx, series, xRight, y) {
  ctx.font = `15px ${FONT}`;
  ctx.textAlign = 'right';
  let x = xRight;
  for (const s of series.slice(1).reverse()) {
    if (!s.label) continue;
    const label = fitText(ctx, s.label, 220);
    ctx.fillStyle = MUTED;
    ctx.fillText(label, x, y);
    x -= ctx.measureText(label).width + 6;
    ctx.fillStyle = typeof s.stroke === 'string' ? s.stroke : INK;
    ctx.fillRect(x - 14, y - 11, 14, 10);
    x -= 28;
    if (x < xRight / 2) break;
  }
  ctx.textAlign = 'left';
}

// The report as a canvas of REPORT_SIZE_PX: title, the facts as "label: value" in two columns,
// up to MAX_WARNINGS warnings, then the plots stacked, sharing the remaining height in proportion
// to their opts.height, each framed under its caption, and a footer.
export async function renderReport({ title, subtitle = '', facts = [], warnings = [], plots = [], footer = '' }) {
  const { width: W, height: H } = REPORT_SIZE_PX;
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.textBaseline = 'alphabetic';
  const inner = W - 2 * MARGIN_PX;
  let y = MARGIN_PX + 30;

  ctx.fillStyle = INK;
  ctx.font = `bold 30px ${FONT}`;
  ctx.fillText(fitText(ctx, title, inner), MARGIN_PX, y);
  if (subtitle) {
    y += 28;
    ctx.font = `17px ${FONT}`;
    ctx.fillStyle = MUTED;
    ctx.fillText(fitText(ctx, subtitle, inner), MARGIN_PX, y);
  }
  y += 16;

  // Facts in two columns, label muted, value ink.
  const colW = inner / 2, lineH = 26;
  facts.forEach(([label, value], i) => {
    const col = i % 2, row = Math.floor(i / 2);
    const x = MARGIN_PX + col * colW, ly = y + 24 + row * lineH;
    ctx.font = `17px ${FONT}`;
    ctx.fillStyle = MUTED;
    const l = fitText(ctx, `${label}: `, colW * 0.45);
    ctx.fillText(l, x, ly);
    const lw = ctx.measureText(l).width;
    ctx.fillStyle = INK;
    ctx.font = `600 17px ${FONT}`;
    ctx.fillText(fitText(ctx, String(value), colW - lw - 12), x + lw, ly);
  });
  y += 24 + Math.ceil(facts.length / 2) * lineH;

  const shown = warnings.slice(0, MAX_WARNINGS);
  if (warnings.length > shown.length) shown.push(`(${warnings.length - shown.length} more warnings in the JSON report)`);
  ctx.font = `16px ${FONT}`;
  ctx.fillStyle = '#7a4b00';
  for (const w of shown) {
    y += 22;
    ctx.fillText(fitText(ctx, `⚠ ${w}`, inner), MARGIN_PX, y);
  }
  y += 20;

  // Plots share what is left above the footer; each gets a caption line and a gap.
  const footerH = 60, captionH = 30, gapH = 18;
  const available = H - footerH - y - plots.length * (captionH + gapH);
  const wanted = plots.reduce((s, p) => s + (p.opts.height || 200), 0);
  const scratch = document.createElement('div');
  scratch.className = 'report-scratch';
  scratch.setAttribute('aria-hidden', 'true');
  document.body.append(scratch);
  try {
    for (const plot of plots) {
      const h = Math.max(80, Math.floor(available * (plot.opts.height || 200) / wanted));
      y += gapH;
      ctx.font = `600 18px ${FONT}`;
      ctx.fillStyle = INK;
      ctx.fillText(fitText(ctx, plot.caption, inner * 0.55), MARGIN_PX, y + 20);
      drawLegend(ctx, plot.opts.series || [], W - MARGIN_PX, y + 20);
      y += captionH;
      const { u, canvas: c } = await chartCanvas(scratch, plot, inner - 2, h - 2);
      ctx.drawImage(c, MARGIN_PX + 1, y + 1, inner - 2, h - 2);
      u.destroy();
      ctx.strokeStyle = FRAME;
      ctx.lineWidth = 1;
      ctx.strokeRect(MARGIN_PX + 0.5, y + 0.5, inner - 1, h - 1);
      y += h;
    }
  } finally {
    scratch.remove();
  }

  ctx.font = `14px ${FONT}`;
  ctx.fillStyle = MUTED;
  ctx.fillText(fitText(ctx, footer, inner), MARGIN_PX, H - MARGIN_PX / 2 - 4);
  return canvas;
}

export function canvasToPng(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('report: the browser could not encode the PNG'))), 'image/png');
  });
}

// A file name from a recording's name: letters, digits, "._-" kept, the rest "_" (names come from
// the user's files and may hold anything).
export function reportFileName(recordName) {
  const base = String(recordName || 'recording').replace(/\.[A-Za-z0-9]{1,4}$/, '').replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[_.]+|_+$/g, '').slice(0, 80);
  return `${base || 'recording'}_report.png`;
}

// ------------------------------------------------------------------------------------------- CTG

// The CTG printed at true scale: A4 portrait pages of the printable area inside 10 mm margins
// (190 × 277 mm, style.css @page) at 150 dpi, to be printed at exactly CTG_PAGE_MM (style.css
// .ctg-page), so that a centimetre on the canvas is a centimetre on paper. Strips of 18 cm (18,
// 9 or 6 min at 1, 2 or 3 cm/min), 8 cm high (50-210 bpm at 20 bpm/cm), as many as the recording
// needs; the first page starts with the title and the FIGO 2015 features.
export const CTG_PAGE_MM = { width: 190, height: 277 };
const CTG_DPI = 150;

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
    ctx.fillText(fitText(ctx, `${title}: CTG at ${speedCmPerMin} cm/min, 20 bpm/cm (page ${pages.length + 1})`, W - 2 * x0), x0, y);
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
        ctx.fillText(fitText(ctx, value, W - 2 * x0 - lw), x0 + lw, y);
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
    ctx.fillText(fitText(ctx, footer, W - 2 * x0), x0, H - 16);
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
