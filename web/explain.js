// Views of why FHNet said what it said (the explain stage, src/pipeline/explain.h; its JS shapes in
// fecg.d.ts Explanation and WindowExplanation): the lead contributions of every window over time,
// drawn as stacked shares on the same time axis as the other plots, and the temporal saliency of
// one selected window shaded over the signal the network saw. Pure builders of uPlot specs (the
// page draws them) and window arithmetic; no DOM here.
//
//   const spec = contributionsSpec(explanation, leadNames, colours);   // → {height, opts, data}
//   const w = windowAt(explanation, 31.5);                             // window to explain at 31.5 s
//   const s = saliencySpec(windowMessage, leadNames, colours);         // after explainWindow(w)
import uPlot from './vendor/uplot/uPlot.esm.js';

// Which per-window lead shares to draw: the network's attention over the leads when the engine
// gave it (free: our engine; the R-peak head's lead weights), else the occlusion shares (when the
// analysis computed them), else none (ONNX Runtime replays outputs without attention). Returns
// {kind, label, shares: Float32Array windows × leads}.
export function leadShares(ex) {
  if (!ex || !ex.nWindows) return null;
  const n = ex.nWindows * ex.nLeads;
  if (ex.leadAttention && ex.leadAttention.length === n) return { kind: 'attention', label: 'weight in FHNet\'s beat detection', shares: ex.leadAttention };
  if (ex.leadOcclusion && ex.leadOcclusion.length === n) return { kind: 'occlusion', label: 'share of the output change (occlusion)', shares: ex.leadOcclusion };
  return null;
}

// Centre of each window, seconds from the recording's start.
export function windowCentresS(ex) {
  return Array.from(ex.windowStarts, (s) => (s + ex.window / 2) / ex.fsHz);
}

// The window to explain at time tS (s): among the windows that cover tS, the one whose centre is
// nearest (windows overlap by half, so each time has one or two); outside them, the nearest.
export function windowAt(ex, tS) {
  if (!ex || !ex.nWindows) return -1;
  const centres = windowCentresS(ex);
  let best = 0;
  for (let w = 1; w < centres.length; w++) if (Math.abs(centres[w] - tS) < Math.abs(centres[best] - tS)) best = w;
  return best;
}

// Span of window w in seconds: [start, end).
export function windowSpanS(ex, w) {
  const s = ex.windowStarts[w] / ex.fsHz;
  return [s, s + ex.window / ex.fsHz];
}

// Step boundaries of the contribution plot: window w stands for the stretch nearer its centre
// than any other's (the windows overlap), so the steps tile the time axis without overlap.
function stepBoundariesS(ex) {
  const c = windowCentresS(ex);
  const halfHopS = ex.hop / 2 / ex.fsHz;
  const b = [Math.max(0, c[0] - halfHopS)];
  for (let w = 1; w < c.length; w++) b.push((c[w - 1] + c[w]) / 2);
  b.push(c[c.length - 1] + halfHopS);
  return b;
}

// Lead contributions per window as stacked shares (0..1, each window's shares summing to 1): lead
// k's band lies between the cumulative shares of leads < k and <= k. uPlot spec {height, opts,
// data}; opts has no width or interaction (the page adds them, synced with its other plots).
export function contributionsSpec(ex, leadNames, colors, plugins = []) {
  const chosen = leadShares(ex);
  if (!chosen) return null;
  const { shares } = chosen;
  const K = ex.nLeads, n = ex.nWindows;
  const x = stepBoundariesS(ex);
  const cumulative = [];
  const running = new Float64Array(n);
  for (let k = 0; k < K; k++) {
    const col = new Array(n + 1);
    for (let w = 0; w < n; w++) { running[w] += shares[w * K + k]; col[w] = running[w]; }
    col[n] = col[n - 1];  // the last step's right edge
    cumulative.push(col);
  }
  const stepped = uPlot.paths.stepped({ align: 1 });
  const fillOf = (k) => `${colors[k % colors.length]}b0`;  // #rrggbb + alpha: bands stay legible over the grid
  const series = [{ label: 'time (s)' }, ...leadNames.map((name, k) => ({
    label: name, stroke: colors[k % colors.length], width: 1, paths: stepped, points: { show: false },
    ...(k === 0 ? { fill: fillOf(0) } : {}),
  }))];
  const bands = leadNames.slice(1).map((_, i) => ({ series: [i + 2, i + 1], fill: fillOf(i + 1) }));
  return {
    kind: chosen.kind,
    height: 200,
    opts: {
      series, bands, plugins,
      axes: [{ label: 'time (s)' }, { label: chosen.kind === 'attention' ? 'attention share' : 'occlusion share', values: (u, ticks) => ticks.map((t) => `${Math.round(t * 100)} %`) }],
      scales: { x: { time: false }, y: { range: [0, 1] } },
    },
    data: [x, ...cumulative],
  };
}

// A uPlot plugin shading a span of time (seconds, from getSpan(), or null for none): the selected
// window on the fECG and contribution plots.
export function spanMark(getSpan, fill = 'rgba(245, 166, 35, 0.22)', edge = 'rgba(180, 100, 0, 0.9)') {
  return {
    hooks: {
      drawClear: (u) => {
        const span = getSpan();
        if (!span) return;
        const { ctx } = u;
        const { top, height } = u.bbox;
        const x0 = u.valToPos(Math.max(span[0], u.scales.x.min), 'x', true);
        const x1 = u.valToPos(Math.min(span[1], u.scales.x.max), 'x', true);
        if (!(x1 > x0)) return;
        ctx.save();
        ctx.fillStyle = fill;
        ctx.fillRect(x0, top, x1 - x0, height);
        ctx.strokeStyle = edge;
        ctx.lineWidth = Math.max(1, devicePixelRatio);
        ctx.strokeRect(Math.round(x0) + 0.5, top + 0.5, Math.round(x1 - x0), height - 1);
        ctx.restore();
      },
    },
  };
}

// Shades each saliency segment of the window behind the traces, darker where the network's outputs
// changed more when that stretch was hidden: alpha = value / max (the map's mean is 1).
function saliencyShading(x, saliency, segment, rgb) {
  let max = 0;
  for (const v of saliency) if (v > max) max = v;
  return {
    hooks: {
      drawClear: (u) => {
        if (!(max > 0)) return;
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        const step = Math.max(1, segment);
        for (let i = 0; i < saliency.length; i += step) {
          const j = Math.min(saliency.length - 1, i + step);
          const x0 = u.valToPos(x[i], 'x', true), x1 = u.valToPos(x[j], 'x', true);
          ctx.fillStyle = `rgba(${rgb}, ${(0.5 * saliency[i] / max).toFixed(3)})`;
          ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
        }
        ctx.restore();
      },
    },
  };
}

// The selected window: the preprocessed leads the network saw (stacked, `stackedLeads` as the page
// scales them) with the saliency shaded behind and drawn as a step line on its own axis.
// win: {startS, fsHz, window, segment, saliency} (the worker's 'window-explained' message).
// `salColor`: '#rrggbb' of the saliency, a colour no lead uses (the page passes its own).
export function saliencySpec(win, stackedLeads, leadNames, colors, salColor = '#db2777') {
  const rgb = [1, 3, 5].map((i) => parseInt(salColor.slice(i, i + 2), 16)).join(', ');
  const x = new Float64Array(win.window);
  for (let i = 0; i < win.window; i++) x[i] = win.startS + i / win.fsHz;
  const stepped = uPlot.paths.stepped({ align: 1 });
  return {
    height: Math.min(360, 110 + 50 * leadNames.length),
    opts: {
      series: [{ label: 'time (s)' },
        ...leadNames.map((n, k) => ({ label: `${n} (input)`, stroke: colors[k % colors.length], width: 1 })),
        { label: 'importance (1 = average)', stroke: salColor, width: 2, scale: 'sal', paths: stepped }],
      plugins: [saliencyShading(x, win.saliency, win.segment, rgb)],
      axes: [{ label: 'time (s)' }, { label: 'leads (scaled)', values: () => [] },
        { scale: 'sal', side: 1, label: 'importance', grid: { show: false }, stroke: salColor }],
      scales: { x: { time: false }, sal: { range: (u, lo, hi) => [0, Math.max(2, hi * 1.05)] } },
    },
    data: [x, ...stackedLeads, Array.from(win.saliency)],
  };
}
