// The page's thread: reads the user's files, talks to the analysis worker (worker.js) and draws.
// No analysis runs here. Untrusted text (file names, header fields, lead names, error messages)
// only ever goes into the page through textContent, never as HTML.
import uPlot from './vendor/uplot/uPlot.esm.js';
import { canvasToPng, renderReport, reportFileName } from './report.js';
import { morphologyForReport, renderMorphology } from './morphology.js';
import { contributionsSpec, leadShares, saliencySpec, spanMark, windowAt, windowSpanS } from './explain.js';

const $ = (id) => document.getElementById(id);
// The demo: 60 s, 4 abdominal leads at 1 kHz, with the signal-to-noise ratios fixed at typical
// values instead of drawn at random (synth/simulator.h): fetal-to-maternal -9 dB (the centre of
// the simulator's draw) and maternal-to-noise 6 dB (the middle of its 0..12 dB range).
const DEMO_OPTIONS = { seconds: 60, seed: 2026, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 6 };
const LEAD_COLORS = ['#0b62c4', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#4d7c0f'];

const state = {
  worker: null,
  ready: false,
  busy: false,
  lastOpen: null,       // the message that opened the current recording (sent again after a cancel)
  info: null,           // the opened recording's description
  rawPlot: null,        // {x, y} from the worker
  truth: null,
  result: null,
  charts: [],           // uPlot instances sharing one x range
  syncing: false,
  fullRange: null,      // [min, max] seconds
  model: null,          // the FHNet model's status from the worker: {available, trained, recipe, ...}
  methodChosen: false,  // the user picked a method: the default no longer changes under them
  extrasCached: false,  // the service worker was asked to cache ONNX Runtime's files
  selectedWindow: -1,   // FHNet window explained in the saliency view (index into the explanation)
  windowView: null,     // its uPlot chart
};
const ENGINE_NAMES = { fecg: 'our C++ engine (WebAssembly)', ort: 'ONNX Runtime Web' };
// Whether a trained FHNet is the page's default method, as it is the CLI's: on real recordings of
// mothers it never saw, FHNet with its TS-ICA fallback is level with TS-ICA overall and ahead on
// Challenge 2013, and its fECG is the closest to the scalp reference (README, "FHNet").
const FHNET_IS_DEFAULT_WHEN_TRAINED = true;

// ------------------------------------------------------------------------------------------ status

function setStatus(text) { $('status').textContent = text; }
function showError(text) { const e = $('error'); e.textContent = text; e.hidden = false; }
function clearError() { const e = $('error'); e.textContent = ''; e.hidden = true; }
function setText(id, text) { $(id).textContent = text; }
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

function updateControls() {
  const canOpen = state.ready && !state.busy;
  $('file-input').disabled = !canOpen;
  $('demo-button').disabled = !canOpen;
  $('analyze-button').disabled = !(canOpen && state.info);
  $('cancel-button').disabled = !state.busy;
  $('leads-fieldset').disabled = !state.info || state.busy;
  $('reference-select').disabled = !state.info || state.busy;
  $('engine-select').disabled = state.busy || $('method-select').value !== 'fhnet';
  for (const b of document.querySelectorAll('[data-export], .report-button, .window-button')) b.disabled = state.busy || !state.result;
  $('export-truth').disabled = state.busy || !state.truth;
}

// ------------------------------------------------------------------------------------------ worker

function startWorker() {
  state.ready = false;
  const worker = new Worker('worker.js', { type: 'module' });
  worker.onmessage = (event) => onWorkerMessage(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    state.busy = false;
    showError(`The analysis worker failed: ${event.message || 'unknown error'}`);
    updateControls();
  };
  state.worker = worker;
  updateControls();
  return new Promise((resolve) => { state.onReady = resolve; });
}

// Sends a message to the worker and marks the page busy until its answer.
function request(message, transfer = []) {
  clearError();
  state.busy = true;
  updateControls();
  state.worker.postMessage(message, transfer);
}

function onWorkerMessage(msg) {
  switch (msg.type) {
    case 'ready':
      state.ready = true;
      onModelStatus(msg.model);
      registerServiceWorker();
      setStatus(state.info ? 'Ready.' : 'Ready: open a recording or run the demo.');
      updateControls();
      if (state.onReady) { state.onReady(); state.onReady = null; }
      break;
    case 'opened':
      state.busy = false;
      onOpened(msg);
      break;
    case 'progress':
      $('progress').value = msg.fraction;
      setText('progress-stage', msg.stage);
      break;
    case 'result':
      state.busy = false;
      onResult(msg);
      break;
    case 'window-explained':
      state.busy = false;
      showWindow(msg);
      break;
    case 'exported':
      state.busy = false;
      download(msg.name, msg.mime, msg.data);
      setStatus(`Exported ${msg.name}.`);
      break;
    case 'error':
      state.busy = false;
      if (msg.where === 'load') setStatus('The analysis engine is not available.');
      else setStatus(msg.where === 'analyze' ? 'Analysis failed.' : 'Could not open the recording.');
      showError(msg.message);
      $('progress').value = 0;
      setText('progress-stage', '');
      break;
    default:
      break;
  }
  updateControls();
}

function cancelAnalysis() {
  if (!state.busy) return;
  // A WASM call in progress cannot read messages: end the worker and start a fresh one, then
  // reopen the same recording so that the user can analyse again straight away.
  state.worker.terminate();
  state.busy = false;
  $('progress').value = 0;
  setText('progress-stage', '');
  setStatus('Cancelled.');
  const reopen = state.lastOpen;
  startWorker().then(() => {
    if (!reopen) return;
    state.reopening = true;
    request(reopen.message, []);
  });
}

// ------------------------------------------------------------------------------ model and offline

// A trained FHNet can be the default method (FHNET_IS_DEFAULT_WHEN_TRAINED); an untrained
// (random) model stays selectable, for trying the engines, with a note next to the choice.
function onModelStatus(model) {
  state.model = model ?? { available: false, message: 'no model status' };
  const option = $('method-fhnet');
  if (!state.model.available) {
    option.disabled = true;
    if ($('method-select').value === 'fhnet') $('method-select').value = 'ts-ica';
    setText('model-status', `FHNet is not available: ${state.model.message}`);
    return;
  }
  option.disabled = false;
  const params = state.model.parameters ? `, ${state.model.parameters.toLocaleString('en')} parameters` : '';
  if (state.model.trained) {
    option.textContent = 'FHNet (neural network)';
    setText('model-status', `FHNet model: ${state.model.recipe}${params}.`);
    if (FHNET_IS_DEFAULT_WHEN_TRAINED && !state.methodChosen) $('method-select').value = 'fhnet';
  } else {
    option.textContent = 'FHNet (neural network, untrained)';
    setText('model-status', `FHNet model: untrained (${state.model.recipe}${params}): its fetal ECG is not meaningful yet; use it to try the engines.`);
  }
}

// The service worker (sw.js) caches the page, the module and the model so that the next visit
// works offline. Registered once the engine is up, so that its caching does not compete with
// the page's own first downloads (which it then finds in the HTTP cache: 304s).
function registerServiceWorker() {
  if (state.swRegistered || !('serviceWorker' in navigator)) return;
  state.swRegistered = true;
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn(`offline cache unavailable: ${e.message}`));
  // Every same-origin file this page loaded (its modules, styles, ...) goes into the cache too.
  const paths = performance.getEntriesByType('resource').map((e) => new URL(e.name))
    .filter((u) => u.origin === location.origin).map((u) => u.pathname);
  navigator.serviceWorker.ready.then((reg) => reg.active && reg.active.postMessage({ type: 'cache', paths }));
}

// The model and ONNX Runtime's files (about 4 MB compressed) are cached after the first result,
// not before it (a user of our engine fetches ORT's files only here, in the background).
function cacheExtras() {
  if (state.extrasCached || !('serviceWorker' in navigator)) return;
  state.extrasCached = true;
  navigator.serviceWorker.ready.then((reg) => reg.active && reg.active.postMessage({ type: 'cache-extras' }));
}

// -------------------------------------------------------------------------------------- opening

async function openFiles(fileList) {
  const files = Array.from(fileList);
  if (!files.length) return;
  clearError();
  const csv = files.length === 1 && /\.(csv|txt|tsv)$/i.test(files[0].name) ? files[0] : null;
  if (csv) {
    // CSV has no header for the rate and units: ask for them.
    state.pendingCsv = csv;
    setText('csv-name', csv.name);
    $('csv-form').hidden = false;
    $('csv-fs').focus();
    return;
  }
  await sendOpen(files, null);
}

async function sendOpen(files, csvOptions) {
  // The File objects themselves: the worker reads them in slices (a long recording is never
  // read whole). Kept for a reopen after cancel; they replace the current recording's only once
  // the worker has opened them.
  const payload = files.map((f) => ({ name: f.name, file: f }));
  const message = { type: 'open', files: payload, csv: csvOptions };
  state.pendingOpen = { message };
  setStatus(`Opening ${files.map((f) => f.name).join(', ')}…`);
  request(message);
}

function runDemo() {
  const message = { type: 'demo', options: DEMO_OPTIONS };
  state.pendingOpen = { message };
  setStatus('Simulating a demo recording…');
  request(message);
}

function onOpened(msg) {
  const { info } = msg;
  const reopened = state.reopening;
  state.reopening = false;
  if (!reopened) state.lastOpen = state.pendingOpen;
  state.info = info;
  state.rawPlot = msg.plot;
  state.truth = msg.truth;
  if (!reopened) state.result = null;
  setText('info-name', info.name);
  setText('info-leads', `${info.nLeads}: ${info.leadNames.join(', ')}`);
  setText('info-fs', `${fmt(info.fsHz, 1)} Hz`);
  setText('info-duration', `${fmt(info.durationS, 1)} s (${info.nSamples} samples per lead)`);
  $('recording-info').hidden = false;
  $('csv-form').hidden = true;
  if (!reopened) {
    buildLeadChoice(info);
    $('summary-panel').hidden = true;
    for (const id of ['fig-fecg', 'fig-hr', 'fig-quality', 'fig-leads', 'fig-saliency']) $(id).hidden = true;
    drawCharts();
  }
  const chunked = info.streamed ? ` It is long: it will be read and analysed in ${fmt(info.chunkS / 60, 0)}-min chunks.` : '';
  setStatus(reopened ? 'Ready (the recording is still open).' : `Opened ${info.name}. Choose the leads and press Analyse.${chunked}`);
  $('progress').value = 0;
  setText('progress-stage', '');
}

function buildLeadChoice(info) {
  const box = $('lead-checkboxes');
  box.replaceChildren();
  const select = $('reference-select');
  select.replaceChildren();
  const none = document.createElement('option');
  none.value = '-1';
  none.textContent = 'none';
  select.append(none);
  info.leadNames.forEach((name, i) => {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = String(i);
    input.name = 'abdominal';
    input.checked = info.roles.abdominal.includes(i);
    label.append(input, document.createTextNode(` ${name || `lead ${i + 1}`}`));
    box.append(label);
    const option = document.createElement('option');
    option.value = String(i);
    option.textContent = name || `lead ${i + 1}`;
    select.append(option);
  });
  select.value = String(info.roles.reference ?? -1);
}

function analyze() {
  if (!state.info || state.busy) return;
  const abdominal = Array.from(document.querySelectorAll('#lead-checkboxes input:checked')).map((c) => Number(c.value));
  if (!abdominal.length) { showError('Choose at least one abdominal lead.'); return; }
  const reference = Number($('reference-select').value);
  if (abdominal.includes(reference)) { showError('The reference lead cannot also be an abdominal lead.'); return; }
  const options = { method: $('method-select').value, abdominal, reference, powerlineHz: Number($('powerline-select').value) };
  if (options.method === 'fhnet') options.engine = $('engine-select').value;
  $('progress').value = 0;
  setStatus('Analysing…');
  request({ type: 'analyze', options });
}

// --------------------------------------------------------------------------------------- results

// FHNet was asked for, but the pipeline replaced its result by TS-ICA's (the network's beats
// followed the maternal ones: PipelineParams::fhnet_fallback, with a warning).
function fellBack(msg) {
  return msg.requestedMethod === 'fhnet' && msg.method !== 'fhnet';
}

// The banner no one can miss when part or all of the result is not reliable: how much, why (the
// most frequent reason), and what to try.
function showReliabilityBanner(windows) {
  const banner = $('reliability-banner');
  const unreliable = windows.filter((w) => !w.reliable);
  banner.hidden = unreliable.length === 0;
  if (banner.hidden) return;
  const counts = new Map();
  for (const w of unreliable) {
    const why = w.whyUnreliable.replace(/\s*\(.*?\)/g, '');
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const [why] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  const all = unreliable.length === windows.length;
  banner.textContent = (all ? 'No reliable fetal heart rate in this recording. '
    : `The fetal heart rate is not reliable in ${unreliable.length} of ${windows.length} windows (gaps in the plots). `) +
    `Main reason: ${why}. Try another set of leads, another method, or a longer or cleaner recording.`;
}

function onResult(msg) {
  state.result = msg;
  const { fhr, mhr, quality } = msg;
  // The fetal rate comes from the reliable windows only (pipeline/fusion.h); with none there is no
  // number to show, only the reason.
  const reliableWindows = quality.windows.filter((w) => w.reliable).length;
  if (fhr.meanBpm === null) {
    setText('sum-fhr', `not shown: ${fhr.message ?? 'no reliable fetal heart rate'}`);
    setText('sum-fhr-range', '—');
  } else {
    setText('sum-fhr', `${fmt(fhr.meanBpm)} bpm (from the ${reliableWindows} of ${quality.windows.length} windows that are reliable)`);
    setText('sum-fhr-range', `${fmt(fhr.minBpm)}–${fmt(fhr.maxBpm)} bpm`);
  }
  showReliabilityBanner(quality.windows);
  setText('sum-mhr', `${fmt(mhr.meanBpm)} bpm (${msg.maternalBeats.length} maternal beats)`);
  setText('sum-quality', `${fmt(quality.sqi, 2)} (0–1)`);
  setText('sum-beats', String(msg.fetalBeats.length));
  setText('sum-method', msg.engine ? `${msg.method} on ${ENGINE_NAMES[msg.engine] ?? msg.engine}` +
    (msg.network ? ` (${msg.network.threads} thread${msg.network.threads > 1 ? 's' : ''}, ${fmt(msg.network.ms / msg.network.windows, 1)} ms per window)` : '')
    : fellBack(msg) ? `${msg.method} (FHNet's beats followed the mother's heart: TS-ICA took over, see the warnings)` : msg.method);
  setText('sum-time', `${fmt(msg.elapsedMs, 0)} ms in the worker (pipeline ${fmt(msg.timings.totalMs, 0)} ms)`);
  const warnings = $('warnings');
  warnings.replaceChildren(...quality.warnings.map((w) => { const li = document.createElement('li'); li.textContent = w; return li; }));
  const truth = state.truth;
  $('truth').hidden = !truth;
  $('export-truth').hidden = !truth;
  if (truth) {
    setText('truth-fhr', `${fmt(truth.fetalBpm)} bpm mean beat-to-beat (nominal ${fmt(truth.nominalFetalBpm)}; found ${fmt(fhr.meanBpm)}, error ${fmt(fhr.meanBpm - truth.fetalBpm)} bpm)`);
    setText('truth-mhr', `${fmt(truth.maternalBpm)} bpm mean beat-to-beat (nominal ${fmt(truth.nominalMaternalBpm)})`);
    setText('truth-beats', String(truth.fetalPeaks.length));
    setText('truth-f1', msg.truthScore ? fmt(msg.truthScore.f1, 3) : '—');
  }
  $('summary-panel').hidden = false;
  renderMorphology($('morphology'), msg.morphology);
  $('morphology-panel').hidden = !msg.morphology;
  for (const id of ['fig-fecg', 'fig-hr', 'fig-quality']) $(id).hidden = false;
  resetExplainViews(msg);
  setStatus(`Done: ${msg.fetalBeats.length} fetal beats, mean FHR ${fmt(fhr.meanBpm)} bpm.`);
  $('progress').value = 1;
  drawCharts();
  cacheExtras();
}

function download(name, mime, data) {
  const blob = new Blob([data], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ------------------------------------------------------------------------------------ explaining

// Lead contributions and saliency exist for FHNet only; other methods say so in their place.
function resetExplainViews(msg) {
  state.selectedWindow = -1;
  if (state.windowView) { state.windowView.destroy(); state.windowView = null; }
  const ex = msg.explanation;
  const fhnet = msg.method === 'fhnet';
  const notFhnet = fellBack(msg)
    ? 'FHNet\'s result was replaced by TS-ICA\'s for this recording (its beats followed the mother\'s heart; see the warnings), so there is no FHNet explanation.'
    : 'Available with FHNet: choose the method "FHNet" and analyse again.';
  $('fig-leads').hidden = false;
  $('fig-saliency').hidden = false;
  const shares = leadShares(ex);
  $('chart-leads').hidden = !shares;
  setText('leads-note', !fhnet ? notFhnet
    : !shares ? 'Lead contributions come from the graph attention of our engine; this analysis ran the network elsewhere (choose our engine).'
      : shares.kind === 'attention' ? 'Each band is a lead\'s share of the graph attention in that window (FHNet looks at the leads in these proportions). Click a window, or focus the plot and press Enter, to explain it below.'
        : 'Each band is a lead\'s share of the output change when it is left out (occlusion). Click a window to explain it below.');
  const canExplain = Boolean(ex && ex.canExplainWindow);
  $('window-controls').hidden = !canExplain;
  $('window-leads').hidden = true;
  $('chart-saliency').hidden = true;
  setText('saliency-note', !fhnet ? notFhnet
    : !canExplain ? 'Explaining a single window needs FHNet on our engine (this analysis ran the network elsewhere).'
      : 'Choose a window: click it on the fetal ECG or lead contribution plot, focus either plot and press Enter (the window at the centre of the view), or use the buttons.');
  setText('window-readout', '');
}

function selectedSpan() {
  const ex = state.result && state.result.explanation;
  return ex && state.selectedWindow >= 0 ? windowSpanS(ex, state.selectedWindow) : null;
}

function explainWindow(index) {
  const ex = state.result && state.result.explanation;
  if (!ex || !ex.canExplainWindow || state.busy) return;
  const i = Math.max(0, Math.min(ex.nWindows - 1, index));
  state.selectedWindow = i;
  for (const c of state.charts) c.redraw(false, false);
  const [a, b] = windowSpanS(ex, i);
  setText('window-readout', `Window ${i + 1} of ${ex.nWindows}: ${fmt(a, 2)}–${fmt(b, 2)} s`);
  setStatus(`Explaining window ${i + 1} (${fmt(a, 1)}–${fmt(b, 1)} s)…`);
  request({ type: 'explain-window', index: i });
}

function explainAt(tS) {
  const ex = state.result && state.result.explanation;
  if (ex) explainWindow(windowAt(ex, tS));
}

function stepWindow(delta) {
  const ex = state.result && state.result.explanation;
  if (!ex) return;
  if (state.selectedWindow < 0) { const [a, b] = currentRange(); explainAt((a + b) / 2); return; }
  explainWindow(state.selectedWindow + delta);
}

// A click (not the end of a drag-to-zoom) on a chart calls back with its time in seconds. Heard
// while capturing, above uPlot's own click handler, which stops clicks it takes for drags (and
// can take a click for a drag when its throttled cursor has not caught up with the pointer).
function onChartClick(u, callback) {
  let downX = null;
  u.root.addEventListener('mousedown', (e) => { downX = e.clientX; }, true);
  u.root.addEventListener('click', (e) => {
    if (e.target !== u.over || downX === null || Math.abs(e.clientX - downX) > 3) return;
    callback(u.posToVal(e.clientX - u.over.getBoundingClientRect().left, 'x'));
  }, true);
}

function showWindow(msg) {
  const res = state.result;
  if (!res || msg.index !== state.selectedWindow) return;
  const names = res.leadNames;
  $('chart-saliency').hidden = false;
  setText('saliency-note', `Shaded where hiding ${fmt(1000 * msg.segment / msg.fsHz, 0)} ms of every lead changed FHNet's outputs most (saliency; mean 1 over the window).`);
  if (state.windowView) state.windowView.destroy();
  const spec = saliencySpec(msg, stacked({ y: msg.leads }), names, LEAD_COLORS);
  state.windowView = new uPlot({ ...spec.opts, width: chartWidth('chart-saliency'), height: spec.height,
    cursor: { drag: { x: false, y: false } }, legend: { live: false } }, spec.data, $('chart-saliency'));
  const rows = names.map((name, k) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = name;
    const cell = (v) => { const td = document.createElement('td'); td.textContent = v === undefined ? '—' : `${fmt(100 * v, 0)} %`; return td; };
    tr.append(th, cell(msg.leadAttention[k]), cell(msg.leadOcclusion[k]));
    return tr;
  });
  $('window-leads').querySelector('tbody').replaceChildren(...rows);
  $('window-leads').hidden = false;
  setStatus(`Explained window ${msg.index + 1} (${fmt(msg.startS, 1)} s).`);
}

// ---------------------------------------------------------------------------------------- report

// The facts as the page shows them ([label, value] from the recording, summary and truth lists),
// so that the report says exactly what the screen says.
function shownFacts() {
  const lists = [$('recording-info'), $('summary')];
  if (!$('truth').hidden) lists.push($('truth').querySelector('dl'));
  const facts = [];
  for (const dl of lists) {
    for (const dt of dl.querySelectorAll('dt')) facts.push([dt.textContent, dt.nextElementSibling ? dt.nextElementSibling.textContent : '']);
  }
  return facts;
}

function buildReport() {
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return renderReport({
    title: `FHNet-Web report: ${state.info.name}`,
    subtitle: `Fetal ECG analysis made in this browser, ${stamp} UTC`,
    facts: shownFacts(),
    warnings: state.result.quality.warnings,
    plots: chartSpecs().map((s) => ({
      caption: $(s.fig).querySelector('figcaption').textContent,
      opts: { ...s.opts, height: s.height }, data: s.data, xRange: [0, state.info.durationS],
    })),
    morphology: morphologyForReport(state.result.morphology),
    footer: 'FHNet-Web analysed this recording locally: nothing left this computer. Not a medical device.',
  });
}

async function saveReportPng() {
  if (!state.result || state.busy) return;
  try {
    const name = reportFileName(state.info.name);
    download(name, 'image/png', await canvasToPng(await buildReport()));
    setStatus(`Exported ${name}.`);
  } catch (error) {
    showError(`The report could not be made: ${error.message}`);
  }
}

// Prints the report picture alone (print CSS hides the page while body has .printing-report);
// the browser's print dialog saves it as PDF. The picture is dropped after printing, so that a
// later Ctrl+P prints the page's own print view instead of a stale report.
async function printReport() {
  if (!state.result || state.busy) return;
  try {
    const png = await canvasToPng(await buildReport());
    const img = $('print-report-img');
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(png);
    await img.decode();
    document.body.classList.add('printing-report');
    window.print();
  } catch (error) {
    showError(`The report could not be printed: ${error.message}`);
  }
}

function afterPrint() {
  const img = $('print-report-img');
  if (!document.body.classList.contains('printing-report')) return;
  document.body.classList.remove('printing-report');
  if (img.src) URL.revokeObjectURL(img.src);
  img.removeAttribute('src');
}

// ----------------------------------------------------------------------------------------- plots

// Robust scale of a lead for the stacked view: the 1st–99th percentile span of a sample of it.
function leadSpan(y) {
  const stride = Math.max(1, Math.floor(y.length / 5000));
  const s = [];
  for (let i = 0; i < y.length; i += stride) if (Number.isFinite(y[i])) s.push(y[i]);
  if (!s.length) return { mid: 0, span: 1 };
  s.sort((a, b) => a - b);
  const lo = s[Math.floor(0.01 * (s.length - 1))];
  const hi = s[Math.floor(0.99 * (s.length - 1))];
  return { mid: (lo + hi) / 2, span: hi - lo > 0 ? hi - lo : 1 };
}

// Leads stacked top to bottom, each scaled to unit span: lead k centred at -k.
function stacked(plot) {
  return plot.y.map((y, k) => {
    const { mid, span } = leadSpan(y);
    const out = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) out[i] = (y[i] - mid) / (span * 1.25) - k;
    return out;
  });
}

// A uPlot plugin drawing beats (seconds) as thin vertical lines across the plot.
function beatMarks(timesS, color) {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        const [x0, x1] = [u.scales.x.min, u.scales.x.max];
        ctx.save();
        ctx.strokeStyle = color;
        ctx.lineWidth = Math.max(1, devicePixelRatio);
        ctx.beginPath();
        for (const t of timesS) {
          if (t < x0 || t > x1) continue;
          const px = Math.round(u.valToPos(t, 'x', true)) + 0.5;
          ctx.moveTo(px, top);
          ctx.lineTo(px, top + height);
        }
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

function chartWidth(id) { return Math.max(280, $(id).clientWidth || 800); }

function baseOptions(id, height, extra) {
  return {
    width: chartWidth(id), height,
    cursor: { sync: { key: 'fecg-x' }, drag: { x: true, y: false } },
    scales: { x: { time: false } },
    legend: { live: false },
    hooks: { setScale: [(u, key) => { if (key === 'x') syncX(u); }] },
    ...extra,
  };
}

function syncX(source) {
  if (state.syncing) return;
  state.syncing = true;
  const { min, max } = source.scales.x;
  for (const c of state.charts) if (c !== source) c.setScale('x', { min, max });
  state.syncing = false;
}

// The main plots as uPlot specs, shared by the page (drawCharts) and the printable report
// (report.js draws them again at its own width over the whole recording): [{id: chart element,
// fig: its figure, height: px, opts: uPlot options less width and interaction, data}].
function chartSpecs() {
  const info = state.info;
  if (!info) return [];
  const raw = state.rawPlot;
  const res = state.result;
  const names = info.leadNames;
  const specs = [];

  const rawSeries = [{ label: 'time (s)' }, ...names.map((n, k) => ({ label: n || `lead ${k + 1}`, stroke: LEAD_COLORS[k % LEAD_COLORS.length], width: 1 }))];
  const plugins = [];
  if (res) plugins.push(beatMarks(Array.from(res.maternalBeats, (b) => b / res.fsHz), 'rgba(220, 38, 38, 0.35)'));
  specs.push({ id: 'chart-raw', fig: 'fig-raw', height: Math.min(420, 90 + 60 * names.length), opts: {
    series: rawSeries, plugins,
    axes: [{ label: 'time (s)' }, { label: 'leads (scaled)', values: () => [] }],
  }, data: [raw.x, ...stacked(raw)] });

  if (res) {
    const fecgNames = res.leadNames;
    specs.push({ id: 'chart-fecg', fig: 'fig-fecg', height: Math.min(420, 90 + 60 * fecgNames.length), opts: {
      series: [{ label: 'time (s)' }, ...fecgNames.map((n, k) => ({ label: `${n} fECG`, stroke: LEAD_COLORS[k % LEAD_COLORS.length], width: 1 }))],
      plugins: [beatMarks(Array.from(res.fetalBeats, (b) => b / res.fsHz), 'rgba(21, 128, 61, 0.45)'), spanMark(selectedSpan)],
      axes: [{ label: 'time (s)' }, { label: 'leads (scaled)', values: () => [] }],
    }, data: [res.plot.x, ...stacked(res.plot)] });

    // The fetal rate is drawn only where it is reliable: elsewhere a gap, as CTG shows signal loss.
    const shown = (values) => Array.from(values, (v, i) => (!res.fhr.reliable || res.fhr.reliable[i] ? v : null));
    const tables = [
      [Array.from(res.fhr.timeS), shown(res.fhr.bpm), shown(res.fhr.bpmSmooth)],
      [Array.from(res.mhr.timeS), Array.from(res.mhr.bpmSmooth)],
    ];
    if (state.truth) {
      // The true beat-to-beat FHR, 60 / RR of the simulated beats, at the later beat of each pair.
      const p = state.truth.fetalPeaks, fs = info.fsHz;
      tables.push([p.slice(1).map((b) => b / fs), p.slice(1).map((b, i) => (60 * fs) / (b - p[i]))]);
    }
    const hrSeries = [
      { label: 'time (s)' },
      { label: 'FHR beat-to-beat', stroke: 'rgba(21, 128, 61, 0.5)', width: 0, points: { show: true, size: 3 }, spanGaps: false },
      { label: 'FHR smoothed', stroke: '#15803d', width: 2, spanGaps: false },
      { label: 'MHR smoothed', stroke: '#dc2626', width: 2, spanGaps: true },
    ];
    if (state.truth) hrSeries.push({ label: 'true FHR', stroke: '#111', width: 1, dash: [6, 4], spanGaps: true });
    specs.push({ id: 'chart-hr', fig: 'fig-hr', height: 260, opts: {
      series: hrSeries, axes: [{ label: 'time (s)' }, { label: 'bpm' }],
      scales: { x: { time: false }, y: { range: (u, lo, hi) => [Math.min(40, lo), Math.max(200, hi)] } },
    }, data: uPlot.join(tables) });

    const wins = res.quality.windows;
    const qx = [...wins.map((w) => w.startS), wins.length ? wins[wins.length - 1].endS : 0];
    const stepEnd = (vals) => [...vals, vals.length ? vals[vals.length - 1] : null];
    const qData = [qx, stepEnd(wins.map((w) => w.sqi)), ...res.leadNames.map((_, k) => stepEnd(wins.map((w) => w.perLead[k])))];
    const stepped = uPlot.paths.stepped({ align: 1 });
    specs.push({ id: 'chart-quality', fig: 'fig-quality', height: 200, opts: {
      series: [{ label: 'time (s)' }, { label: 'window SQI', stroke: '#111', width: 2, paths: stepped },
        ...res.leadNames.map((n, k) => ({ label: `${n}`, stroke: LEAD_COLORS[k % LEAD_COLORS.length], width: 1, paths: stepped }))],
      axes: [{ label: 'time (s)' }, { label: 'SQI' }],
      scales: { x: { time: false }, y: { range: [0, 1] } },
    }, data: qData });

    const contributions = res.explanation && contributionsSpec(res.explanation, res.leadNames, LEAD_COLORS, [spanMark(selectedSpan)]);
    if (contributions) specs.push({ id: 'chart-leads', fig: 'fig-leads', ...contributions });
  }
  return specs;
}

function drawCharts() {
  for (const c of state.charts) c.destroy();
  state.charts = [];
  const info = state.info;
  if (!info) return;
  $('plots-panel').hidden = false;
  state.fullRange = [0, info.durationS];
  for (const s of chartSpecs()) state.charts.push(new uPlot(baseOptions(s.id, s.height, s.opts), s.data, $(s.id)));
  for (const c of state.charts) if (['chart-fecg', 'chart-leads'].includes(c.root.parentElement.id)) onChartClick(c, explainAt);
  // uPlot fits x to each chart's data; start them all on the recording's whole length.
  setRange(0, info.durationS);
}

function setRange(min, max) {
  const [lo, hi] = state.fullRange ?? [min, max];
  const width = Math.min(hi - lo, Math.max(0.05, max - min));
  let a = Math.max(lo, Math.min(min, hi - width));
  state.syncing = true;
  for (const c of state.charts) c.setScale('x', { min: a, max: a + width });
  state.syncing = false;
}

function currentRange() {
  const c = state.charts[0];
  return c ? [c.scales.x.min, c.scales.x.max] : [0, 1];
}

function zoom(factor) {
  const [a, b] = currentRange();
  const mid = (a + b) / 2, half = (b - a) * factor / 2;
  setRange(mid - half, mid + half);
}

function pan(fraction) {
  const [a, b] = currentRange();
  const d = (b - a) * fraction;
  setRange(a + d, b + d);
}

function resetZoom() { if (state.fullRange) setRange(...state.fullRange); }

function onChartKey(event) {
  if (event.key === 'Enter' && ['chart-fecg', 'chart-leads'].includes(event.currentTarget.id)) {
    event.preventDefault();
    const [a, b] = currentRange();
    explainAt((a + b) / 2);
    return;
  }
  const actions = { ArrowLeft: () => pan(-0.25), ArrowRight: () => pan(0.25), '+': () => zoom(0.5), '=': () => zoom(0.5), '-': () => zoom(2), '0': resetZoom };
  const act = actions[event.key];
  if (act) { event.preventDefault(); act(); }
}

let resizeTimer = 0;
function onResize() {
  // Print layout (a print preview, or the print emulation of a test) has its own page width;
  // sizing the screen's charts to it would leave them too wide once back on screen.
  if (window.matchMedia('print').matches) return;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const c of [...state.charts, state.windowView].filter(Boolean)) c.setSize({ width: chartWidth(c.root.parentElement.id), height: c.height });
  }, 150);
}

// ----------------------------------------------------------------------------------------- wiring

function wire() {
  $('file-input').addEventListener('change', (e) => { openFiles(e.target.files); e.target.value = ''; });
  $('demo-button').addEventListener('click', runDemo);
  $('method-select').addEventListener('change', () => { state.methodChosen = true; updateControls(); });
  $('analyze-form').addEventListener('submit', (e) => { e.preventDefault(); analyze(); });
  $('cancel-button').addEventListener('click', cancelAnalysis);
  $('csv-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const fsHz = Number($('csv-fs').value);
    if (!(fsHz > 0)) { showError('Enter the sampling rate in Hz (a positive number).'); return; }
    $('csv-form').hidden = true;
    sendOpen([state.pendingCsv], { fsHz, units: $('csv-units').value });
  });
  $('csv-cancel').addEventListener('click', () => { $('csv-form').hidden = true; state.pendingCsv = null; });
  for (const b of document.querySelectorAll('[data-export]')) {
    b.addEventListener('click', () => { if (!state.busy) request({ type: 'export', kind: b.dataset.export }); });
  }
  $('report-png').addEventListener('click', saveReportPng);
  $('window-prev').addEventListener('click', () => stepWindow(-1));
  $('window-next').addEventListener('click', () => stepWindow(1));
  $('window-center').addEventListener('click', () => { const [a, b] = currentRange(); explainAt((a + b) / 2); });
  $('report-print').addEventListener('click', printReport);
  window.addEventListener('afterprint', afterPrint);
  $('zoom-in').addEventListener('click', () => zoom(0.5));
  $('zoom-out').addEventListener('click', () => zoom(2));
  $('pan-left').addEventListener('click', () => pan(-0.25));
  $('pan-right').addEventListener('click', () => pan(0.25));
  $('zoom-reset').addEventListener('click', resetZoom);
  for (const id of ['chart-raw', 'chart-fecg', 'chart-hr', 'chart-quality', 'chart-leads']) {
    $(id).addEventListener('keydown', onChartKey);
    $(id).addEventListener('dblclick', resetZoom);
  }
  const zone = document.body;
  zone.addEventListener('dragover', (e) => { e.preventDefault(); $('dropzone').classList.add('dragover'); });
  zone.addEventListener('dragleave', (e) => { if (e.target === zone || e.target === $('dropzone')) $('dropzone').classList.remove('dragover'); });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    $('dropzone').classList.remove('dragover');
    if (!state.ready || state.busy) { showError('Wait for the current task to finish (or cancel it) before opening another file.'); return; }
    if (e.dataTransfer && e.dataTransfer.files.length) openFiles(e.dataTransfer.files);
  });
  window.addEventListener('resize', onResize);
  window.matchMedia('print').addEventListener('change', onResize);
}

wire();
updateControls();
startWorker();
