// The printable report: one canvas that composes the summary (as the page shows it) and the main
// plots over the whole recording, saved as PNG or printed (the browser's print dialog makes a PDF).
// Everything is drawn here in the browser; nothing is uploaded. Text from the recording (its name,
// lead names) is drawn with fillText, never parsed as HTML.
//
//   const canvas = await renderReport({ title, facts: [['Mean FHR', '141 bpm'], ...], warnings,
//                                       plots: [{ caption, opts, data, xRange: [0, 60] }, ...] });
//   canvas.toBlob((png) => save(png), 'image/png');
import uPlot from './vendor/uplot/uPlot.esm.js';

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
export async function renderReport({ title, subtitle = '', facts = [], warnings = [], plots = [], footer = '',
  morphology = null }) {
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

  // The averaged fetal beat (web/morphology.js morphologyForReport): its caption, the beat with
  // calipers on the left, the interval table on the right.
  if (morphology) {
    ctx.font = `600 18px ${FONT}`;
    ctx.fillStyle = INK;
    y += 22;
    ctx.fillText(fitText(ctx, morphology.message, inner), MARGIN_PX, y);
    if (morphology.canvas) {
      const bw = Math.round(inner * 0.55), bh = Math.round(bw * morphology.canvas.height / morphology.canvas.width);
      ctx.drawImage(morphology.canvas, MARGIN_PX, y + 8, bw, bh);
      ctx.font = `15px ${FONT}`;
      morphology.rows.forEach(([label, value, note], i) => {
        const ry = y + 28 + i * 22;
        ctx.fillStyle = MUTED;
        ctx.fillText(fitText(ctx, label, 130), MARGIN_PX + bw + 16, ry);
        ctx.fillStyle = INK;
        ctx.fillText(fitText(ctx, note && value === '—' ? `— ${note}` : value, inner - bw - 16 - 140), MARGIN_PX + bw + 156, ry);
      });
      y += 8 + bh;
    }
    y += 10;
  }

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
