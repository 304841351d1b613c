// The fetal heart rate as a cardiotocogram (CTG): the grid clinicians read (50-210 bpm, thin lines
// every 10 bpm and thick every 30, the 110-160 bpm normal band shaded, a vertical line per
// centimetre of paper and a thick one per minute, at 1, 2 or 3 cm/min), the FHR with gaps where it
// is not reliable, the MHR, and the FIGO 2015 features of result.ctg (fecg.d.ts CtgAnalysis).
// Used by the page (a uPlot chart that zooms and pans with the others) and by the printed report
// (drawCtgStrip at true scale). Text from the analysis goes into the page through textContent.
//
//   specs.push(ctgSpec(result.ctg, 3));              // among the page's synced charts
//   renderCtgFeatures(tableBody, result.ctg);
//   drawCtgStrip(ctx, ctg, {x, y, pxPerCm, t0S, t1S, speedCmPerMin});   // report, true scale

export const CTG_SPEEDS_CM_PER_MIN = [1, 2, 3];
export const CTG_BPM_RANGE = [50, 210];
export const CTG_BPM_PER_CM = 20;             // the international paper's vertical scale
const NORMAL_BAND_BPM = [110, 160];           // FIGO 2015 normal baseline
const CSS_PX_PER_CM = 96 / 2.54;
const COLORS = { fhr: '#111827', mhr: '#dc2626', baseline: '#2563eb', band: 'rgba(34, 197, 94, 0.13)',
  thin: 'rgba(234, 88, 12, 0.22)', thick: 'rgba(234, 88, 12, 0.55)', label: '#9a3412' };

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

// Seconds of trace that fit widthPx CSS pixels at the paper speed (96 CSS px per inch).
export function trueScaleSpanS(widthPx, speedCmPerMin) {
  return (widthPx / CSS_PX_PER_CM / speedCmPerMin) * 60;
}

// [x (s), FHR (null in gaps), MHR (null in gaps), baseline (null when none)] for uPlot.
export function ctgPlotData(ctg) {
  const s = ctg.series;
  const n = s.fhrBpm.length;
  const x = new Float64Array(n), fhr = new Array(n), mhr = new Array(n), base = new Array(n);
  for (let k = 0; k < n; k++) {
    x[k] = k / s.rateHz;
    fhr[k] = s.reliable[k] && Number.isFinite(s.fhrBpm[k]) ? s.fhrBpm[k] : null;
    mhr[k] = Number.isFinite(s.mhrBpm[k]) ? s.mhrBpm[k] : null;
    base[k] = k < s.baselineBpm.length && Number.isFinite(s.baselineBpm[k]) ? s.baselineBpm[k] : null;
  }
  return [x, fhr, mhr, base];
}

// The grid under the traces, for x in [t0S, t1S] drawn over the box (left, top, width, height)
// in canvas pixels with xToPx / bpmToPx mapping values to canvas pixels.
function drawGrid(ctx, { left, top, width, height, t0S, t1S, xToPx, bpmToPx, speedCmPerMin, scale = 1, labels = true }) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  const [b0, b1] = NORMAL_BAND_BPM;
  ctx.fillStyle = COLORS.band;
  ctx.fillRect(left, bpmToPx(b1), width, bpmToPx(b0) - bpmToPx(b1));
  for (let bpm = CTG_BPM_RANGE[0]; bpm <= CTG_BPM_RANGE[1]; bpm += 10) {
    const thick = bpm % 30 === 0;
    ctx.strokeStyle = thick ? COLORS.thick : COLORS.thin;
    ctx.lineWidth = (thick ? 1.4 : 0.7) * scale;
    const y = Math.round(bpmToPx(bpm)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
  }
  // One line per centimetre of paper (60 / speed s), thick on the minute.
  const stepS = 60 / speedCmPerMin;
  for (let t = Math.ceil(t0S / stepS) * stepS; t <= t1S; t += stepS) {
    const minute = Math.abs(t / 60 - Math.round(t / 60)) < 1e-6;
    ctx.strokeStyle = minute ? COLORS.thick : COLORS.thin;
    ctx.lineWidth = (minute ? 1.4 : 0.7) * scale;
    const x = Math.round(xToPx(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }
  if (labels) {
    ctx.fillStyle = COLORS.label;
    ctx.font = `${Math.round(10 * scale)}px system-ui, sans-serif`;
    for (let bpm = 60; bpm <= 210; bpm += 30) ctx.fillText(String(bpm), left + 3 * scale, bpmToPx(bpm) - 2 * scale);
  }
  ctx.restore();
}

// A uPlot plugin drawing the CTG grid before the series.
function gridPlugin(speedCmPerMin) {
  return {
    hooks: {
      drawClear: [(u) => {
        const { left, top, width, height } = u.bbox;
        drawGrid(u.ctx, {
          left, top, width, height, t0S: u.scales.x.min, t1S: u.scales.x.max,
          xToPx: (t) => u.valToPos(t, 'x', true), bpmToPx: (b) => u.valToPos(b, 'y', true),
          speedCmPerMin, scale: devicePixelRatio || 1,
        });
      }],
    },
  };
}

// The page's CTG chart as a spec like app.js chartSpecs entries: 50-210 bpm over 8 cm (20 bpm/cm,
// the paper's scale) at 96 CSS px per inch; x in seconds.
export function ctgSpec(ctg, speedCmPerMin = 1) {
  const height = Math.round(((CTG_BPM_RANGE[1] - CTG_BPM_RANGE[0]) / CTG_BPM_PER_CM) * CSS_PX_PER_CM) + 50;
  return {
    id: 'chart-ctg', fig: 'fig-ctg', height,
    opts: {
      series: [
        { label: 'time (s)' },
        { label: 'FHR', stroke: COLORS.fhr, width: 1.5, spanGaps: false },
        { label: 'MHR', stroke: COLORS.mhr, width: 1, spanGaps: false },
        { label: 'baseline', stroke: COLORS.baseline, width: 1, dash: [6, 4], spanGaps: false },
      ],
      axes: [{ label: 'time (s)', grid: { show: false } }, { label: 'bpm', grid: { show: false }, splits: () => [60, 90, 120, 150, 180, 210] }],
      scales: { x: { time: false }, y: { range: CTG_BPM_RANGE } },
      plugins: [gridPlugin(speedCmPerMin)],
    },
    data: ctgPlotData(ctg),
  };
}

// [label, value] rows of the FIGO 2015 features; a missing one says why.
export function ctgFeatureRows(ctg) {
  const why = (name) => (ctg.whyMissing && ctg.whyMissing[name]) || 'not measurable';
  const rows = [];
  rows.push(['Baseline (Mantel 1990)', ctg.baselineBpm !== null ? `${fmt(ctg.baselineBpm)} bpm` : `not given: ${why('baselineBpm')}`]);
  rows.push(['Variability (1-min bandwidth)', ctg.variabilityBpm !== null
    ? `${fmt(ctg.variabilityBpm, 1)} bpm (${ctg.variabilityBand})` : `not given: ${why('variabilityBpm')}`]);
  rows.push(['Short-term variability (Dawes–Redman)', ctg.stvMs !== null ? `${fmt(ctg.stvMs, 1)} ms` : `not given: ${why('stvMs')}`]);
  rows.push(['Signal loss', `${fmt(ctg.signalLossPct, 1)} %`]);
  if (ctg.accelerations) {
    rows.push(['Accelerations (> 15 bpm, > 15 s)', ctg.accelerations.length === 0 ? 'none'
      : ctg.accelerations.map((a) => `${fmt(a.startS)}–${fmt(a.endS)} s, peak ${fmt(a.peakBpm)} bpm`).join('; ')]);
  } else {
    rows.push(['Accelerations', `not given: ${why('accelerations')}`]);
  }
  if (ctg.decelerations) {
    rows.push(['Decelerations (> 15 bpm, > 15 s)', ctg.decelerations.length === 0 ? 'none'
      : ctg.decelerations.map((d) => `${fmt(d.startS)}–${fmt(d.endS)} s, nadir ${fmt(d.nadirBpm)} bpm (−${fmt(d.depthBpm)}), `
        + `${fmt(d.durationS)} s, ${fmt(d.lostBeats)} lost beats${d.prolonged ? ', prolonged' : ''}`).join('; ')]);
  } else {
    rows.push(['Decelerations', `not given: ${why('decelerations')}`]);
  }
  for (const [name, label] of [['tachycardia', 'Tachycardia (> 160 bpm, > 10 min)'], ['bradycardia', 'Bradycardia (< 110 bpm, > 10 min)']]) {
    const list = ctg[name];
    rows.push([label, list === null ? `not given: ${why(name)}`
      : list.length === 0 ? 'none' : list.map((e) => `${fmt(e.startS)}–${fmt(e.endS)} s, ${fmt(e.meanBaselineBpm)} bpm`).join('; ')]);
  }
  for (const reason of ctg.notClassified) rows.push(['Not classified', reason]);
  return rows;
}

// Fills a <tbody> with the feature rows.
export function renderCtgFeatures(tbody, ctg) {
  tbody.replaceChildren(...ctgFeatureRows(ctg).map(([label, value]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    const td = document.createElement('td');
    td.textContent = value;
    tr.append(th, td);
    return tr;
  }));
}

// One strip of paper at true scale: [t0S, t1S) drawn from (x, y) with pxPerCm canvas pixels per
// centimetre: (t1S − t0S) / 60 × speed cm wide, 8 cm (50-210 bpm at 20 bpm/cm) high. Gaps where
// the FHR is not reliable; the time of each minute line under the strip.
export function drawCtgStrip(ctx, ctg, { x, y, pxPerCm, t0S, t1S, speedCmPerMin }) {
  const widthPx = ((t1S - t0S) / 60) * speedCmPerMin * pxPerCm;
  const heightPx = ((CTG_BPM_RANGE[1] - CTG_BPM_RANGE[0]) / CTG_BPM_PER_CM) * pxPerCm;
  const xToPx = (t) => x + ((t - t0S) / 60) * speedCmPerMin * pxPerCm;
  const bpmToPx = (b) => y + heightPx - ((b - CTG_BPM_RANGE[0]) / CTG_BPM_PER_CM) * pxPerCm;
  const scale = pxPerCm / CSS_PX_PER_CM;
  ctx.save();
  ctx.fillStyle = '#fff';
  ctx.fillRect(x, y, widthPx, heightPx);
  drawGrid(ctx, { left: x, top: y, width: widthPx, height: heightPx, t0S, t1S, xToPx, bpmToPx, speedCmPerMin, scale });
  ctx.strokeStyle = COLORS.thick;
  ctx.lineWidth = scale;
  ctx.strokeRect(x + 0.5, y + 0.5, widthPx - 1, heightPx - 1);
  const s = ctg.series;
  const k0 = Math.max(0, Math.floor(t0S * s.rateHz)), k1 = Math.min(s.fhrBpm.length, Math.ceil(t1S * s.rateHz));
  const trace = (values, ok, color, width) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width * scale;
    ctx.beginPath();
    let pen = false;
    for (let k = k0; k < k1; k++) {
      const v = values[k];
      if (!ok(k) || !Number.isFinite(v) || v < CTG_BPM_RANGE[0] || v > CTG_BPM_RANGE[1]) { pen = false; continue; }
      const px = xToPx(k / s.rateHz), py = bpmToPx(v);
      if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
  };
  trace(s.mhrBpm, () => true, COLORS.mhr, 0.8);
  if (s.baselineBpm.length) trace(s.baselineBpm, () => true, COLORS.baseline, 0.8);
  trace(s.fhrBpm, (k) => s.reliable[k] === 1, COLORS.fhr, 1.2);
  ctx.fillStyle = '#374151';
  ctx.font = `${Math.round(11 * scale)}px system-ui, sans-serif`;
  for (let m = Math.ceil(t0S / 60); m * 60 <= t1S; m++) ctx.fillText(`${m} min`, xToPx(m * 60) + 2 * scale, y + heightPx + 13 * scale);
  ctx.restore();
  return { widthPx, heightPx };
}
