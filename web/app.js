// The page's thread: reads the user's files, talks to the analysis worker (worker.js) and draws.
// No analysis runs here. Untrusted text (file names, header fields, lead names, error messages)
// only ever goes into the page through textContent, never as HTML.
import uPlot from './vendor/uplot/uPlot.esm.js';
import {
  CTG_PAGE_MM, REPORT_SIZE_PX, canvasToPng, chartImage, clearCtgPages, pageBlock, renderCtgPages, renderPdf, renderPngCanvas, reportFileName,
  showCtgPages,
} from './report.js';
import { ctgFeatureRows, ctgSpec, renderCtgFeatures, trueScaleSpanS } from './ctg.js';
import { contributionsSpec, leadShares, saliencySpec, spanMark, windowAt, windowSpanS } from './explain.js';
import { looksLikeNumericTable, plainError } from './plain_errors.js';
import { assessReliability, reliableFhr, unreliableSpans } from './reliability.js';
import { registeredSections } from './sections.js';
import { checkWholeBudget } from './long_recordings.js';
import './morphology.js';  // registers the averaged-beat section (web/sections.js)
import { ctgObservations, fhirBundle, toBase64 } from './fhir.js';

const $ = (id) => document.getElementById(id);
// The demo: 60 s, 4 abdominal leads at 1 kHz, with the signal-to-noise ratios fixed at typical
// values instead of drawn at random (synth/simulator.h): fetal-to-maternal -9 dB (the centre of
// the simulator's draw) and maternal-to-noise 6 dB (the middle of its 0..12 dB range).
const DEMO_OPTIONS = { seconds: 60, seed: 2026, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 6 };
const LEAD_COLORS = ['#0b62c4', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#4d7c0f'];
// Saliency in a colour no lead uses (pink), so that it never reads as a lead's trace.
const SALIENCY_COLOR = '#db2777';
const FETAL_BEAT_COLOR = 'rgba(21, 128, 61, 0.45)';
const REFERENCE_COLOR = '#111';
const UNRELIABLE_FILL = 'rgba(110, 118, 129, 0.18)';
const METHOD_NAMES = { fhnet: 'FHNet (neural network)', 'ts-ica': 'TS-ICA (template subtraction + ICA)', ts: 'TS (template subtraction)', ica: 'ICA (FastICA)' };

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
  version: '',          // the module's version (FECG_VERSION)
  analysisOptions: null,// the options of the analysis on screen (leads, reference, method, settings)
  referenceGuessed: -1, // the reference lead the module guessed from the lead names, -1 none
  reference: null,      // reference beats from the worker: {name, beats, score, hr, fhr, read}
  extrasCached: false,  // the service worker was asked to cache ONNX Runtime's files
  selectedWindow: -1,   // FHNet window explained in the saliency view (index into the explanation)
  windowView: null,     // its uPlot chart
};
const ENGINE_NAMES = { fecg: 'our C++ engine (WebAssembly)', ort: 'ONNX Runtime Web' };

// ------------------------------------------------------------------------------------------ status

function setStatus(text) { $('status').textContent = text; }
// A problem in plain words: {title, advice, detail}; the technical detail (the core's own message)
// stays available in a <details> element.
function showProblem({ title, advice = '', detail = '' }) {
  setText('error-title', title);
  setText('error-advice', advice);
  $('error-advice').hidden = !advice;
  setText('error-detail', detail);
  $('error-details').hidden = !detail;
  $('error').hidden = false;
}
function showError(text) { showProblem({ title: text }); }
function clearError() { $('error').hidden = true; setText('error-title', ''); setText('error-advice', ''); setText('error-detail', ''); }
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
  // The method is settled from the model card in the worker's 'ready' message, before the menu
  // can be used: it never changes under the user's hand.
  $('method-select').disabled = !state.ready || state.busy;
  $('engine-select').disabled = !state.ready || state.busy || $('method-select').value !== 'fhnet';
  $('reference-input').disabled = !state.ready || state.busy || !state.info;
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
    showProblem(plainError({ where: 'load', message: `worker: ${event.message || 'unknown error'}` }));
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
      state.version = msg.version || '';
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
    case 'reference':
      state.busy = false;
      onReference(msg.reference);
      break;
    case 'package':
      state.busy = false;
      if (state.onPackage) { state.onPackage(msg); state.onPackage = null; }
      break;
    case 'error':
      state.busy = false;
      onWorkerError(msg);
      break;
    default:
      break;
  }
  updateControls();
}

// An error clears what it makes stale: a file that failed to open leaves no recording on screen
// (the page no longer shows the previous one's results under the error), a failed analysis leaves
// the recording open without results. The words come from plainError.
function onWorkerError(msg) {
  const where = msg.where === 'demo' ? 'open' : msg.where;
  const files = where === 'open' ? state.pendingNames ?? [] : where === 'reference' ? [state.pendingReference ?? ''] : [];
  if (msg.where === 'load') setStatus('The analysis engine is not available.');
  else if (where === 'open') setStatus('Could not open the recording.');
  else if (where === 'analyze') setStatus('Analysis failed.');
  else if (where === 'reference') setStatus('Could not read the reference beats.');
  else setStatus('Something went wrong.');
  if (where === 'open') { clearResults(); clearRecording(); }
  if (where === 'analyze') clearResults();
  if (where === 'reference') setText('reference-status', 'No reference beats loaded.');
  if (state.onPackage) { state.onPackage(null); state.onPackage = null; }
  showProblem(plainError({ where, message: msg.message, files }));
  $('progress').value = 0;
  setText('progress-stage', '');
}

// Hides every result of the previous analysis (summary, report, plots beyond the raw leads).
function clearResults() {
  state.result = null;
  state.analysisOptions = null;
  state.selectedWindow = -1;
  if (state.windowView) { state.windowView.destroy(); state.windowView = null; }
  $('summary-panel').hidden = true;
  $('report-panel').hidden = true;
  $('reliability-banner').hidden = true;
  for (const id of ['fig-fecg', 'fig-hr', 'fig-ctg', 'fig-quality', 'fig-leads', 'fig-saliency']) $(id).hidden = true;
  $('extra-sections').replaceChildren();
  if (state.info) drawCharts();
}

// Forgets the open recording on screen (after a file that failed to open).
function clearRecording() {
  state.info = null;
  state.rawPlot = null;
  state.truth = null;
  state.lastOpen = null;
  state.reference = null;
  for (const c of state.charts) c.destroy();
  state.charts = [];
  $('recording-info').hidden = true;
  $('plots-panel').hidden = true;
  $('reference-clear').hidden = true;
  setText('reference-status', '');
  $('lead-checkboxes').replaceChildren(Object.assign(document.createElement('span'), { className: 'hint', textContent: 'Open a recording first.' }));
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

// What the model is, from its card, in words: what it was trained on, how it was validated and its
// held-out figures (no training command, no CLI names).
function modelLine(m) {
  const params = m.parameters ? ` (${m.parameters.toLocaleString('en')} parameters)` : '';
  const parts = [`FHNet is a neural network${params} that separates the baby's ECG from the mother's across the abdominal leads.`];
  const trained = [];
  if (m.trainRecords) trained.push(`${m.trainRecords.toLocaleString('en')} simulated`);
  if (m.realRecordings) trained.push(`${m.realRecordings} annotated real`);
  if (trained.length) parts.push(`Trained on ${trained.join(' and ')} recordings.`);
  // The network's own held-out figures: they describe the model. The analysis does not show the
  // network's beats unchecked (the candidate pool and the per-window reliability, pipeline/fusion.h).
  const held = m.heldOut?.network;
  if (held) {
    const fig = (name, label) => {
      const r = held[name];
      if (!r || !Number.isFinite(r.f1)) return null;
      return `F1 ${r.f1.toFixed(2)}${Number.isFinite(r.fhr_mae_bpm) ? ` and FHR error ${r.fhr_mae_bpm.toFixed(1)} bpm` : ''} on ${label} (${r.n} recordings)`;
    };
    const figs = [fig('adfecgdb', 'ADFECGDB'), fig('challenge2013', 'PhysioNet Challenge 2013')].filter(Boolean);
    if (figs.length) parts.push(`The network alone, on mothers it never saw: fetal-beat ${figs.join('; ')}.`);
    parts.push('Each 10-s window of the analysis takes the beats best supported among the network and the classical methods, and is marked reliable or not.');
  }
  return parts.join(' ');
}

// The default method comes from the core's rule on the card (fecg.defaultMethod in the worker,
// pipeline.h default_method, as the CLI's): FHNet when the card's model is trained. An untrained
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
  if (state.model.trained) {
    option.textContent = 'FHNet (neural network)';
    setText('model-status', modelLine(state.model));
    if (!state.methodChosen) $('method-select').value = state.model.defaultMethod;
  } else {
    option.textContent = 'FHNet (neural network, untrained)';
    setText('model-status', 'The FHNet model here is untrained (random weights): its fetal ECG is not meaningful; use it only to try the engines. TS-ICA is the default.');
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

// The report's libraries, the model and ONNX Runtime's files (about 4 MB compressed) are cached after the first result,
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
  $('csv-form').hidden = true;
  const csv = files.length === 1 && /\.(csv|txt|tsv)$/i.test(files[0].name) ? files[0] : null;
  if (csv) {
    // Too large to analyse in the page: said first, from the size alone (nothing is read), and
    // the recording already open stays open.
    try {
      checkWholeBudget({ file: csv, name: csv.name }, '');
    } catch (error) {
      clearResults();
      setStatus('Could not open the recording.');
      showProblem({
        title: `"${csv.name}" is too large to analyse in the page as CSV.`,
        advice: 'Convert it to EDF, which the page reads in chunks however long it is, or use the command line (fecg extract), which streams recordings of any length.',
        detail: error.message,
      });
      return;
    }
    // Only a table of numbers gets the CSV options form; anything else is refused here, in words.
    const head = await csv.slice(0, 65536).text();
    if (!looksLikeNumericTable(head)) {
      clearResults();
      clearRecording();
      updateControls();
      setStatus('Could not open the recording.');
      showProblem({
        title: `"${csv.name}" does not look like a table of samples.`,
        advice: 'A CSV recording needs one column per lead and one row per sample, numbers only (a first row of lead names is allowed). Open an EDF file (.edf) or a WFDB record (.hea with its .dat) instead, if you have one.',
        detail: `open: ${csv.name}: no rows of numbers in its first ${Math.min(csv.size, 65536)} bytes`,
      });
      return;
    }
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
  state.pendingNames = files.map((f) => f.name);
  clearResults();
  setStatus(`Opening ${files.map((f) => f.name).join(', ')}…`);
  request(message);
}

function runDemo() {
  const message = { type: 'demo', options: DEMO_OPTIONS };
  state.pendingOpen = { message };
  state.pendingNames = ['demo'];
  clearResults();
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
    state.reference = null;
    $('reference-clear').hidden = true;
    setText('reference-status', '');
    clearResults();
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
  state.referenceGuessed = info.roles.reference ?? -1;
}

function analyze() {
  if (!state.info || state.busy) return;
  const abdominal = Array.from(document.querySelectorAll('#lead-checkboxes input:checked')).map((c) => Number(c.value));
  if (!abdominal.length) { showError('Choose at least one abdominal lead.'); return; }
  const reference = Number($('reference-select').value);
  if (abdominal.includes(reference)) { showError('The reference lead cannot also be an abdominal lead.'); return; }
  const options = { method: $('method-select').value, abdominal, reference, powerlineHz: Number($('powerline-select').value) };
  if (options.method === 'fhnet') options.engine = $('engine-select').value;
  state.pendingAnalysis = options;
  $('progress').value = 0;
  setStatus('Analysing…');
  request({ type: 'analyze', options });
}

// --------------------------------------------------------------------------------------- results

function onResult(msg) {
  state.result = msg;
  state.analysisOptions = state.pendingAnalysis ?? null;
  msg.reliability = assessReliability(msg);
  const { fhr, mhr, quality } = msg;
  const rel = msg.reliability;
  const fhrKnown = Number.isFinite(fhr.meanBpm);
  setText('sum-fhr', fhrKnown ? `${fmt(fhr.meanBpm)} bpm${rel.state === 'partly' ? ' (reliable windows only)' : rel.state === 'unknown' ? ' (reliability unknown)' : ''}`
    : `not reliable: ${fhr.message || 'no reliable fetal heart rate'}`);
  $('sum-fhr').classList.toggle('value-bad', !fhrKnown);
  setText('sum-fhr-range', Number.isFinite(fhr.minBpm) && Number.isFinite(fhr.maxBpm) ? `${fmt(fhr.minBpm)}–${fmt(fhr.maxBpm)} bpm` : '—');
  setText('sum-reliable', rel.known ? `${rel.nReliable} of ${rel.nWindows} windows (${fmt(rel.reliableS, 0)} of ${fmt(rel.totalS, 0)} s)` +
    (rel.meanConfidence !== null ? `, mean confidence ${fmt(100 * rel.meanConfidence, 0)} %` : '') : 'unknown (this analysis reports no per-window reliability)');
  setText('sum-mhr', `${fmt(mhr.meanBpm)} bpm (${msg.maternalBeats.length} maternal beats)`);
  setText('sum-quality', `${fmt(quality.sqi, 2)} (0 = no fetal ECG, 1 = clean)`);
  setText('sum-beats', String(msg.fetalBeats.length));
  setText('sum-method', (METHOD_NAMES[msg.method] ?? msg.method) + sourcesText(msg));
  setText('sum-engine', engineText(msg));
  const facts = settingsFacts(msg);
  setText('sum-leads', facts.leads);
  setText('sum-reference', facts.reference);
  setText('sum-settings', facts.settings);
  setText('sum-software', facts.software);
  setText('sum-time', `${fmt(msg.elapsedMs / 1000, 1)} s in this browser`);
  showReliability(rel);
  const warnings = $('warnings');
  warnings.replaceChildren(...quality.warnings.map((w) => { const li = document.createElement('li'); li.textContent = w; return li; }));
  $('warnings-title').hidden = !quality.warnings.length;
  const truth = state.truth;
  $('truth').hidden = !truth;
  $('export-truth').hidden = !truth;
  if (truth) {
    const err = fhrKnown ? `error ${fmt(fhr.meanBpm - truth.fetalBpm)} bpm` : 'no reliable FHR found';
    setText('truth-fhr', `${fmt(truth.fetalBpm)} bpm mean beat-to-beat (nominal ${fmt(truth.nominalFetalBpm)}; found ${fmt(fhr.meanBpm)}, ${err})`);
    setText('truth-mhr', `${fmt(truth.maternalBpm)} bpm mean beat-to-beat (nominal ${fmt(truth.nominalMaternalBpm)})`);
    setText('truth-beats', String(truth.fetalPeaks.length));
    setText('truth-f1', msg.truthScore ? fmt(msg.truthScore.f1, 3) : '—');
  }
  if (msg.reference !== undefined) state.reference = msg.reference;
  showReferenceScore();
  $('summary-panel').hidden = false;
  $('report-panel').hidden = false;
  if (!$('rf-date').value) $('rf-date').value = new Date().toISOString().slice(0, 10);
  for (const id of ['fig-fecg', 'fig-hr', 'fig-quality']) $(id).hidden = false;
  $('fig-ctg').hidden = !msg.ctg;
  if (msg.ctg) renderCtgFeatures($('ctg-features').querySelector('tbody'), msg.ctg);  // web/ctg.js
  resetExplainViews(msg);
  setStatus(fhrKnown ? `Done: ${msg.fetalBeats.length} fetal beats, mean FHR ${fmt(fhr.meanBpm)} bpm${rel.state === 'partly' ? ' (reliable windows only)' : ''}.`
    : `Done: ${msg.fetalBeats.length} fetal beats; no reliable fetal heart rate (see the red box).`);
  $('progress').value = 1;
  drawCharts();
  renderSections();
  cacheExtras();
}

const SOURCE_NAMES = { fhnet: 'FHNet', 'ts-ica': 'TS-ICA', ts: 'TS', ica: 'ICA' };

// Which candidate extraction each window's beats come from (the pipeline's fusion stage picks
// the most trustworthy per window): said whenever it is not the method asked for alone, so that
// TS-ICA's beats are never passed off as FHNet's.
function sourcesText(msg) {
  const wins = msg.quality.windows.filter((w) => typeof w.source === 'string' && w.source);
  if (!wins.length || wins.every((w) => w.source === msg.method)) return '';
  const counts = new Map();
  for (const w of wins) counts.set(w.source, (counts.get(w.source) ?? 0) + 1);
  // "ts:2": template subtraction on the second analysed lead alone; "ica-ts:2": the second ICA
  // component after template subtraction (pipeline.cpp's candidate pool).
  const nameOf = (src) => {
    const one = /^ts:(\d+)$/.exec(src);
    if (one) return `TS on ${msg.leadNames[Number(one[1]) - 1] ?? `lead ${one[1]}`} alone`;
    const component = /^ica-ts:(\d+)$/.exec(src);
    if (component) return `ICA component ${component[1]} after TS`;
    return SOURCE_NAMES[src] ?? src;
  };
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([src, n]) => `${nameOf(src)} in ${n} of ${wins.length} windows`);
  return `; beats taken, per 10-s window, from the most trustworthy candidate: ${parts.join(', ')}`;
}

function engineText(msg) {
  if (!msg.engine) return 'none: a classical method runs in the WebAssembly module (no neural network)';
  return `${ENGINE_NAMES[msg.engine] ?? msg.engine}` +
    (msg.network ? `, ${msg.network.threads} thread${msg.network.threads > 1 ? 's' : ''}, ${fmt(msg.network.ms / msg.network.windows, 1)} ms per window` : '');
}

// The leads, reference, settings and versions of the result on screen, in words (page and report).
function settingsFacts(msg) {
  const o = state.analysisOptions ?? {};
  const names = state.info ? state.info.leadNames : [];
  const name = (i) => names[i] || `lead ${i + 1}`;
  const leads = (o.abdominal ?? []).map(name).join(', ') || msg.leadNames.join(', ');
  let reference = 'none (no direct fetal lead used)';
  if (o.reference >= 0) {
    reference = `${name(o.reference)} (${o.reference === state.referenceGuessed ? 'chosen automatically from the lead names: a direct fetal lead, kept out of the abdominal leads analysed' : 'chosen by the user'})`;
  }
  const settings = [
    `power line: ${msg.powerlineHz > 0 ? `${fmt(msg.powerlineHz, 0)} Hz notch` : 'no notch'}${(o.powerlineHz ?? -1) === -1 ? ' (detected from the recording)' : ' (chosen by the user)'}`,
    `sampling rate ${fmt(msg.fsHz, 0)} Hz`,
    msg.streamed ? 'read in chunks (long recording)' : null,
    msg.reliability && msg.reliability.known ? `reliability from the pipeline's per-window checks` : null,
  ].filter(Boolean).join('; ');
  const m = state.model;
  const software = [`FHNet-Web ${state.version || '(version unknown)'}`,
    msg.method === 'fhnet' && m && m.weightsSha256 ? `model ${m.name ?? 'fhnet'} (${m.trained ? 'trained' : 'untrained'}), weights sha256 ${m.weightsSha256}` : null].filter(Boolean).join('; ');
  return { leads, reference, settings, software };
}

// The unmistakable part: a coloured box above the numbers saying whether to trust them, why not,
// and what to try. Its colour follows the state: red (not reliable), amber (partly), grey (unknown).
function showReliability(rel) {
  const banner = $('reliability-banner');
  banner.className = `banner banner-${rel.state}`;
  banner.hidden = rel.state === 'reliable';
  banner.setAttribute('role', rel.state === 'unreliable' ? 'alert' : 'status');
  setText('reliability-title', rel.headline);
  $('reliability-reasons').replaceChildren(...rel.reasons.map((r) => {
    const li = document.createElement('li');
    li.textContent = `${r.text} (${r.count} window${r.count > 1 ? 's' : ''})`;
    return li;
  }));
  $('reliability-try-title').hidden = !rel.advice.length;
  setText('reliability-try-title', rel.state === 'unknown' ? 'What to do:' : 'What to try:');
  $('reliability-try').replaceChildren(...rel.advice.map((a) => { const li = document.createElement('li'); li.textContent = a; return li; }));
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
  const notFhnet = 'Available with FHNet: choose the method "FHNet" and analyse again.';
  $('fig-leads').hidden = false;
  $('fig-saliency').hidden = false;
  const shares = leadShares(ex);
  $('chart-leads').hidden = !shares;
  setText('leads-note', !fhnet ? notFhnet
    : !shares ? 'Lead contributions come from the attention of our engine; this analysis ran the network elsewhere (choose our engine).'
      : shares.kind === 'attention' ? 'The weight FHNet gave each lead when it found the baby\'s beats, per window: it learned to weigh the leads by how clearly they show the fetal heart (on simulated recordings the weights rank the leads as their fetal signal-to-noise ratio does). Click a window, or focus the plot and press Enter, to see which moments mattered in it.'
        : 'Measured by leaving each lead out in turn (occlusion): how much FHNet\'s output changed without it. Click a window to see which moments mattered in it.');
  const fhnetWindows = msg.quality.windows.filter((w) => w.source === 'fhnet').length;
  if (fhnet && shares && msg.quality.windows.some((w) => w.source) && fhnetWindows < msg.quality.windows.length) {
    $('leads-note').textContent += ` Note: FHNet's own beats were used in ${fhnetWindows} of ${msg.quality.windows.length} windows (see Method above): this shows how FHNet looked at the leads, not how every beat was found.`;
  }
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
  setText('saliency-note', `Pink: where hiding ${fmt(1000 * msg.segment / msg.fsHz, 0)} ms of every lead changed FHNet's output most (1 = the window's average). Green lines: the fetal beats found.`);
  if (state.windowView) state.windowView.destroy();
  const spec = saliencySpec(msg, stacked({ y: msg.leads }), names, LEAD_COLORS, SALIENCY_COLOR);
  const [w0, w1] = [msg.startS, msg.startS + msg.window / msg.fsHz];
  const beatsS = Array.from(res.fetalBeats, (b) => b / res.fsHz).filter((t) => t >= w0 && t <= w1);
  spec.opts.plugins = [...(spec.opts.plugins ?? []), beatMarks(beatsS, FETAL_BEAT_COLOR)];
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

// The report form's fields (kept in this page only).
function reportFields() {
  const v = (id) => $(id).value.trim();
  return { patientId: v('rf-patient'), gestationalAge: v('rf-ga'), date: v('rf-date'), operator: v('rf-operator'), notes: v('rf-notes') };
}

// [label, value] of a <dl> as the page shows it.
function dlFacts(dl) {
  return Array.from(dl.querySelectorAll('dt'), (dt) => [dt.textContent, dt.nextElementSibling ? dt.nextElementSibling.textContent : '']);
}

// The 10-s stretch the report shows at a readable scale: the one starting at the most trusted
// window (highest confidence, else highest SQI), so the excerpt shows the ECG the result rests on.
function excerptRange() {
  const res = state.result, dur = state.info.durationS;
  const span = Math.min(10, dur);
  const wins = res.quality.windows;
  let best = null;
  for (const w of wins) {
    const score = (w.reliable === false ? -10 : 0) + (Number.isFinite(w.confidence) ? w.confidence : 0) + w.sqi;
    if (!best || score > best.score) best = { score, startS: w.startS };
  }
  const a = Math.max(0, Math.min(best ? best.startS : 0, dur - span));
  return [a, a + span];
}

const HOW = {
  'chart-raw': 'Each lead as recorded, scaled to its own row; faint red lines mark the mother\'s heartbeats.',
  'chart-fecg': 'The mother\'s ECG removed: green lines mark the fetal beats found, black ticks on top the reference beats when given, grey shading the windows the analysis did not trust. Each lead is scaled to its own row; 1 s between grid lines.',
  'chart-hr': 'Green: the baby\'s heart rate, drawn only where reliable (grey shading where not). Red: the mother\'s. A normal fetal rate is about 110-160 bpm; a green line following the red suggests the mother\'s heart was counted.',
  'chart-quality': 'Signal quality per window: 1 is a clean fetal ECG, 0 none; black overall, colours per lead; grey shading marks windows not trusted.',
  'chart-leads': 'The weight FHNet gave each lead per window when finding the baby\'s beats; equal bands mean the leads were used alike.',
};

// The report as blocks (web/report.js), assembled from what the page shows plus the report form:
// identity, the reliability verdict, results, reference scores, warnings in full, method and
// settings, then the plots (a 10-s excerpt at a readable scale and the whole-recording views),
// then any registered sections (CTG, averaged beat).
// ctgPages: false leaves out the CTG's true-scale pages (printing adds them itself, at true scale).
async function reportBlocks({ ctgPages = true } = {}) {
  const res = state.result, info = state.info, fields = reportFields();
  const rel = res.reliability;
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const blocks = [
    { kind: 'title', text: 'Fetal ECG analysis report' },
    { kind: 'subtitle', text: `Recording "${info.name}", analysed ${stamp} UTC in the browser with FHNet-Web ${state.version}. Not a medical device: a result to be reviewed by a clinician.` },
    { kind: 'heading', text: 'Patient and recording' },
    { kind: 'fields', rows: [
      ['Patient ID', fields.patientId || '(not given)'], ['Gestational age', fields.gestationalAge || '(not given)'],
      ['Date of recording', fields.date || '(not given)'], ['Operator', fields.operator || '(not given)'],
      ...dlFacts($('recording-info')),
    ] },
    { kind: 'banner', tone: { reliable: 'ok', partly: 'warn', unreliable: 'bad', unknown: 'unknown' }[rel.state], title: rel.headline,
      lines: [...rel.reasons.map((r) => `${r.text} (${r.count} window${r.count > 1 ? 's' : ''})`), ...rel.advice] },
    { kind: 'heading', text: 'Results' },
    { kind: 'fields', rows: dlFacts($('summary')).filter(([l]) => l !== 'Method') },
  ];
  if (!$('truth').hidden) blocks.push({ kind: 'heading', text: 'Simulation truth (demo)' }, { kind: 'fields', rows: dlFacts($('truth').querySelector('dl')) });
  if (!$('reference-result').hidden) {
    blocks.push({ kind: 'heading', text: `Against the reference beats (${state.reference.name})` }, { kind: 'fields', rows: dlFacts($('reference-result').querySelector('dl')) });
  }
  const warnings = res.quality.warnings;
  blocks.push({ kind: 'heading', text: 'Warnings from the analysis' },
    warnings.length ? { kind: 'list', items: warnings, tone: 'warn' } : { kind: 'paragraph', text: 'None.' });
  blocks.push({ kind: 'heading', text: 'Method, settings and versions' }, { kind: 'fields', rows: [
    ...dlFacts($('summary')).filter(([l]) => l === 'Method'),
    ...dlFacts($('summary-settings')).filter(([l]) => l !== 'Time taken'),
    ...(res.method === 'fhnet' || res.requestedMethod === 'fhnet' ? [['Model', $('model-status').textContent]] : []),
  ] });
  if (fields.notes) blocks.push({ kind: 'heading', text: 'Notes' }, { kind: 'paragraph', text: fields.notes });

  const specs = chartSpecs({ forReport: true });
  const byId = Object.fromEntries(specs.map((sp) => [sp.id, sp]));
  const caption = (id) => $(byId[id].fig).querySelector('figcaption').textContent;
  const [a, b] = excerptRange();
  const excerpt = (sp) => ({ ...sp, opts: { ...sp.opts, axes: [{ label: 'time (s)', incrs: [1, 2, 5, 10] }, sp.opts.axes[1]] } });
  const whole = (id) => `${caption(id)}, whole recording`;
  const images = [
    ['chart-fecg', [a, b], () => `Fetal ECG, ${fmt(a, 1)}-${fmt(b, 1)} s (10-s excerpt)`, 170, excerpt],
    ['chart-raw', [a, b], () => `Raw leads, the same ${fmt(b - a, 0)} s`, 150, excerpt],
    ['chart-hr', [0, info.durationS], () => whole('chart-hr'), 150],
    ['chart-quality', [0, info.durationS], () => whole('chart-quality'), 110],
    ['chart-leads', [0, info.durationS], () => whole('chart-leads'), 110],
  ];
  blocks.push({ kind: 'heading', text: 'Plots' });
  for (const [id, xRange, cap, heightPt, adapt] of images) {
    if (!byId[id]) continue;  // e.g. no lead contributions without FHNet
    const sp = adapt ? adapt(byId[id]) : byId[id];
    blocks.push({ kind: 'image', ...await chartImage({ opts: sp.opts, data: sp.data, xRange }, heightPt), caption: cap(), how: HOW[id] });
  }
  if (res.ctg) {
    // The CTG (web/ctg.js): its FIGO 2015 features as text, then its strips at true scale, one
    // page each, at the paper speed chosen on the page.
    const speed = Number($('ctg-speed').value);
    blocks.push({ kind: 'heading', text: 'CTG (FIGO 2015 features)' }, { kind: 'fields', rows: ctgFeatureRows(res.ctg) });
    if (ctgPages) {
      blocks.push({ kind: 'paragraph', tone: 'muted', text: `The CTG strips follow, one page each, at ${speed} cm/min and 20 bpm/cm: print at actual size (100 %) for true scale.` });
      const pages = renderCtgPages({ title: info.name, ctg: res.ctg, speedCmPerMin: speed, footer: reportMeta().footer });
      for (const canvas of pages) blocks.push(await pageBlock(canvas, CTG_PAGE_MM.width, CTG_PAGE_MM.height));
    }
  }
  for (const section of registeredSections()) {
    if (typeof section.report === 'function') blocks.push(...await section.report(sectionContext()));
  }
  return blocks;
}

function reportMeta() {
  const fields = reportFields();
  return {
    title: `FHNet-Web report: ${state.info.name}`,
    author: fields.operator || undefined,
    footer: `FHNet-Web ${state.version} - ${state.info.name}${fields.patientId ? ` - patient ${fields.patientId}` : ''} - analysed locally, nothing left this computer - not a medical device.`,
  };
}

async function makePdf() { return renderPdf(await reportBlocks(), reportMeta()); }

async function saveReportPdf() {
  if (!state.result || state.busy) return;
  try {
    const name = reportFileName(state.info.name, '_report.pdf');
    download(name, 'application/pdf', await makePdf());
    setStatus(`Exported ${name}.`);
  } catch (error) {
    showProblem({ ...plainError({ where: 'report', message: error.message }), title: 'The PDF report could not be made.' });
  }
}

async function saveReportPng() {
  if (!state.result || state.busy) return;
  try {
    const name = reportFileName(state.info.name, '_report.png');
    download(name, 'image/png', await canvasToPng(await renderPngCanvas(await reportBlocks(), reportMeta())));
    setStatus(`Exported ${name}.`);
  } catch (error) {
    showProblem({ ...plainError({ where: 'report', message: error.message }), title: 'The PNG report could not be made.' });
  }
}

// Prints the report pages alone (print CSS hides the page while body has .printing-report). The
// picture is dropped after printing, so that a later Ctrl+P prints the page's own print view.
async function printReport() {
  if (!state.result || state.busy) return;
  try {
    // One picture per A4 page, each on a sheet of its own (style.css @media print).
    const canvas = await renderPngCanvas(await reportBlocks({ ctgPages: false }), reportMeta());
    const { width: pw, height: ph } = REPORT_SIZE_PX;
    const imgs = [];
    for (let top = 0; top < canvas.height; top += ph) {
      const sheet = document.createElement('canvas');
      sheet.width = pw;
      sheet.height = ph;
      sheet.getContext('2d').drawImage(canvas, 0, top, pw, ph, 0, 0, pw, ph);
      const img = top === 0 ? $('print-report-img') : Object.assign(document.createElement('img'), { className: 'print-page', alt: `FHNet-Web report, page ${top / ph + 1}` });
      if (img.src) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(await canvasToPng(sheet));
      if (top > 0) $('print-report').append(img);
      imgs.push(img);
    }
    await Promise.all(imgs.map((i) => i.decode()));
    if (state.result.ctg) await showCtgPages($('print-report'), renderCtgPages({ title: state.info.name, ctg: state.result.ctg,
      speedCmPerMin: Number($('ctg-speed').value), footer: 'FHNet-Web, analysed in this browser. Not a medical device.' }));
    document.body.classList.add('printing-report');
    window.print();
  } catch (error) {
    showProblem({ ...plainError({ where: 'report', message: error.message }), title: 'The report could not be printed.' });
  }
}

// --------------------------------------------------------------------------------- share package

function workerPackage() {
  return new Promise((resolve, reject) => {
    state.onPackage = (msg) => (msg ? resolve(msg) : reject(new Error('package: the analysis worker could not export the result')));
    request({ type: 'package' });
  });
}

const meanOf = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

// One ZIP for a telemedicine service: the PDF report, every export of the result and an HL7 FHIR
// R4 Bundle whose DiagnosticReport carries the same PDF. Made here; the user carries it.
async function saveSharePackage() {
  if (!state.result || state.busy) return;
  try {
    setStatus('Making the share package…');
    const res = state.result;
    const pdf = await makePdf();
    const { files, missing } = await workerPackage();
    const fields = reportFields();
    const shown = reliableFhr(res.fhr);
    const fetalRr = shown.bpm.filter((v) => v !== null).map((v) => 60000 / v);
    const maternalRr = Array.from(res.mhr.bpm).filter(Number.isFinite).map((v) => 60000 / v);
    const bundle = fhirBundle({
      fields, pdfBase64: toBase64(pdf), uuid: () => crypto.randomUUID(),
      result: {
        recordName: state.info.name, method: res.method, engine: res.engine ? ENGINE_NAMES[res.engine] : null,
        fhr: res.fhr, mhr: res.mhr, fetalRrMs: meanOf(fetalRr), maternalRrMs: meanOf(maternalRr), reliability: res.reliability,
      },
      software: { name: 'FHNet-Web', version: state.version, modelSha256: res.method === 'fhnet' ? state.model?.weightsSha256 : '', modelName: state.model?.name },
      extraObservations: [...ctgObservations(res.ctg),
        ...registeredSections().flatMap((sct) => (typeof sct.fhir === 'function' ? sct.fhir(sectionContext()) : []))],
    });
    const base = reportFileName(state.info.name, '');
    const enc = new TextEncoder();
    const entries = {
      [`${base}_report.pdf`]: pdf,
      [`${base}_fhir_bundle.json`]: enc.encode(JSON.stringify(bundle, null, 1)),
    };
    for (const f of files) entries[f.name] = typeof f.data === 'string' ? enc.encode(f.data) : new Uint8Array(f.data);
    entries['README.txt'] = enc.encode([
      `FHNet-Web share package for recording "${state.info.name}" (FHNet-Web ${state.version}), made ${new Date().toISOString()}.`,
      '',
      `${base}_report.pdf          the report (also inside the FHIR Bundle as the DiagnosticReport's presentedForm)`,
      `${base}_fhir_bundle.json    HL7 FHIR R4 Bundle (collection): DiagnosticReport, Observations, Device${fields.patientId ? ', Patient' : ''}`,
      'NAME.json                   the analysis summary (per-window quality and reliability, settings)',
      'NAME.fqrs / NAME.mqrs       fetal / maternal beats as WFDB annotations (read with rdann or wfdb-python)',
      'NAME_fetal_beats.csv        fetal beats: sample, time_s',
      'NAME_fhr.csv                fetal heart rate, beat by beat',
      'NAME_fecg.csv               the extracted fetal ECG per lead',
      ...missing.map((m) => `Not included: ${m}`),
      '',
      'The page uploaded nothing; this file holds patient data if you typed any: handle it as such.',
    ].join('\n'));
    const { zipSync } = await import('./vendor/fflate/browser.js');  // loaded on first use, as pdf-lib
    const zip = zipSync(entries, { level: 6, mtime: new Date() });
    const name = reportFileName(state.info.name, '_package.zip');
    download(name, 'application/zip', zip);
    setStatus(`Exported ${name}.`);
  } catch (error) {
    setStatus('Something went wrong.');
    showProblem({ ...plainError({ where: 'package', message: error.message }), title: 'The share package could not be made.' });
  }
}

// ------------------------------------------------------------------------------- reference beats

async function openReference(file) {
  if (!file || !state.info || state.busy) return;
  state.pendingReference = file.name;
  setText('reference-status', `Reading ${file.name}…`);
  const bytes = await file.arrayBuffer();
  request({ type: 'reference', name: file.name, bytes }, [bytes]);
}

function onReference(ref) {
  state.reference = ref;
  $('reference-clear').hidden = !ref;
  setText('reference-status', ref ? `${ref.name}: ${ref.beats.length} reference beats (read ${ref.read})` +
    (ref.outside ? `; ${ref.outside} beats after the recording's end left out` : '') + (ref.score ? '.' : '; analyse to compare.') : '');
  if (ref) setStatus(`Loaded ${ref.beats.length} reference beats from ${ref.name}.`);
  showReferenceScore();
  if (state.info) drawCharts();
}

function showReferenceScore() {
  const ref = state.reference;
  const shown = Boolean(ref && ref.score && state.result);
  $('reference-result').hidden = !shown;
  $('fecg-ref-how').hidden = !ref;
  if (!shown) return;
  const s = ref.score;
  setText('ref-name', ref.name);
  setText('ref-se', `${fmt(s.sensitivity, 3)} (${s.truePositives} of ${s.truePositives + s.falseNegatives} reference beats found)`);
  setText('ref-ppv', `${fmt(s.ppv, 3)} (${s.falsePositives} found beats with no reference beat)`);
  setText('ref-f1', fmt(s.f1, 3));
  setText('ref-fhr', ref.hr && ref.hr.maeBpm !== null ? `${fmt(ref.hr.maeBpm, 2)} bpm over ${ref.hr.n} reference intervals` : 'not measurable (no reference interval covered by the found beats)');
  setText('ref-beats', `${ref.beats.length} reference, ${state.result.fetalBeats.length} found`);
}

// ------------------------------------------------------------------------ registered sections

function sectionContext() {
  return {
    result: state.result, info: state.info, truth: state.truth, reference: state.reference, reliability: state.result?.reliability,
    fields: reportFields(), colors: LEAD_COLORS, chartImage: (spec, xRange, heightPt) => chartImage({ ...spec, xRange }, heightPt),
  };
}

// Each registered section (web/sections.js) gets a figure of its own in the plots panel.
function renderSections() {
  const host = $('extra-sections');
  host.replaceChildren();
  for (const section of registeredSections()) {
    if (typeof section.render !== 'function') continue;
    const fig = document.createElement('figure');
    fig.className = 'plot';
    fig.id = `fig-${section.id}`;
    const cap = document.createElement('figcaption');
    cap.textContent = section.title ?? section.id;
    fig.append(cap);
    if (section.how) { const p = document.createElement('p'); p.className = 'how'; p.textContent = section.how; fig.append(p); }
    const box = document.createElement('div');
    box.className = 'chart';
    box.id = `chart-${section.id}`;
    fig.append(box);
    host.append(fig);
    try { section.render(sectionContext(), box); } catch (error) { console.warn(`section ${section.id}: ${error.message}`); }
  }
}

function afterPrint() {
  const img = $('print-report-img');
  if (!document.body.classList.contains('printing-report')) return;
  document.body.classList.remove('printing-report');
  clearCtgPages($('print-report'));
  if (img.src) URL.revokeObjectURL(img.src);
  img.removeAttribute('src');
  for (const extra of document.querySelectorAll('#print-report .print-page')) { URL.revokeObjectURL(extra.src); extra.remove(); }
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

// A uPlot plugin shading spans of time (seconds) behind the traces: the windows the analysis did
// not trust.
function shadeSpans(spans, fill = UNRELIABLE_FILL) {
  return {
    hooks: {
      drawClear: (u) => {
        if (!spans.length) return;
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.fillStyle = fill;
        for (const [a, b] of spans) {
          if (b < u.scales.x.min || a > u.scales.x.max) continue;
          const x0 = u.valToPos(Math.max(a, u.scales.x.min), 'x', true), x1 = u.valToPos(Math.min(b, u.scales.x.max), 'x', true);
          ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
        }
        ctx.restore();
      },
    },
  };
}

// Reference beats as short black ticks along the top of a plot (they stay apart from the found
// beats' full-height green lines, so both can be compared).
function referenceTicks(timesS) {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u;
        const { top } = u.bbox;
        ctx.save();
        ctx.strokeStyle = REFERENCE_COLOR;
        ctx.lineWidth = 2 * Math.max(1, devicePixelRatio);
        ctx.beginPath();
        for (const t of timesS) {
          if (t < u.scales.x.min || t > u.scales.x.max) continue;
          const px = Math.round(u.valToPos(t, 'x', true)) + 0.5;
          ctx.moveTo(px, top);
          ctx.lineTo(px, top + 14 * Math.max(1, devicePixelRatio));
        }
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

// The main plots as uPlot specs, shared by the page (drawCharts) and the report (report.js draws
// them again at its own size): [{id: chart element, fig: its figure, height: px, opts: uPlot
// options less width and interaction, data}]. forReport: no selected-window highlight.
function chartSpecs({ forReport = false } = {}) {
  const info = state.info;
  if (!info) return [];
  const raw = state.rawPlot;
  const res = state.result;
  const names = info.leadNames;
  const specs = [];
  const small = !forReport && window.innerWidth < 600;
  const rowPx = small ? 40 : 60;

  const rawSeries = [{ label: 'time (s)' }, ...names.map((n, k) => ({ label: n || `lead ${k + 1}`, stroke: LEAD_COLORS[k % LEAD_COLORS.length], width: 1 }))];
  const plugins = [];
  if (res) plugins.push(beatMarks(Array.from(res.maternalBeats, (b) => b / res.fsHz), 'rgba(220, 38, 38, 0.35)'));
  specs.push({ id: 'chart-raw', fig: 'fig-raw', height: Math.min(420, 90 + rowPx * names.length), opts: {
    series: rawSeries, plugins,
    axes: [{ label: 'time (s)' }, { label: 'leads (scaled)', values: () => [] }],
  }, data: [raw.x, ...stacked(raw)] });

  if (res) {
    const spans = unreliableSpans(res);
    const ref = state.reference;
    const fecgNames = res.leadNames;
    const fecgPlugins = [shadeSpans(spans), beatMarks(Array.from(res.fetalBeats, (b) => b / res.fsHz), FETAL_BEAT_COLOR)];
    if (ref) fecgPlugins.push(referenceTicks(Array.from(ref.beats, (b) => b / ref.fsHz)));
    if (!forReport) fecgPlugins.push(spanMark(selectedSpan));
    specs.push({ id: 'chart-fecg', fig: 'fig-fecg', height: Math.min(420, 90 + rowPx * fecgNames.length), opts: {
      series: [{ label: 'time (s)' }, ...fecgNames.map((n, k) => ({ label: `${n} fECG`, stroke: LEAD_COLORS[k % LEAD_COLORS.length], width: 1 }))],
      plugins: fecgPlugins,
      axes: [{ label: 'time (s)' }, { label: 'leads (scaled)', values: () => [] }],
    }, data: [res.plot.x, ...stacked(res.plot)] });

    // The FHR only where the core trusts it: null elsewhere, so the lines break there.
    const shown = reliableFhr(res.fhr);
    const tables = [
      [shown.timeS, shown.bpm, shown.bpmSmooth],
      [Array.from(res.mhr.timeS), Array.from(res.mhr.bpmSmooth)],
    ];
    const hrSeries = [
      { label: 'time (s)' },
      { label: 'FHR beat-to-beat', stroke: 'rgba(21, 128, 61, 0.5)', width: 0, points: { show: true, size: 3 } },
      { label: shown.known ? 'FHR smoothed (reliable only)' : 'FHR smoothed (reliability unknown)', stroke: '#15803d', width: 2 },
      { label: 'MHR smoothed', stroke: '#dc2626', width: 2, spanGaps: true },
    ];
    if (state.truth) {
      // The true beat-to-beat FHR, 60 / RR of the simulated beats, at the later beat of each pair.
      const p = state.truth.fetalPeaks, fs = info.fsHz;
      tables.push([p.slice(1).map((b) => b / fs), p.slice(1).map((b, i) => (60 * fs) / (b - p[i]))]);
      hrSeries.push({ label: 'true FHR', stroke: '#111', width: 1, dash: [6, 4], spanGaps: true });
    }
    if (ref && ref.fhr && ref.fhr.timeS.length > 1) {
      tables.push([ref.fhr.timeS, ref.fhr.bpm]);
      hrSeries.push({ label: 'reference FHR', stroke: REFERENCE_COLOR, width: 1, dash: [2, 3], spanGaps: true });
    }
    specs.push({ id: 'chart-hr', fig: 'fig-hr', height: small ? 200 : 260, opts: {
      series: hrSeries, axes: [{ label: 'time (s)' }, { label: 'bpm' }], plugins: [shadeSpans(spans)],
      scales: { x: { time: false }, y: { range: (u, lo, hi) => [Math.min(40, lo ?? 40), Math.max(200, hi ?? 200)] } },
    }, data: uPlot.join(tables, tables.map((t, i) => t.slice(1).map(() => (i === 0 ? 1 : 0)))) });  // 1: keep the FHR's nulls as gaps

    const wins = res.quality.windows;
    const qx = [...wins.map((w) => w.startS), wins.length ? wins[wins.length - 1].endS : 0];
    const stepEnd = (vals) => [...vals, vals.length ? vals[vals.length - 1] : null];
    const qData = [qx, stepEnd(wins.map((w) => w.sqi)), ...res.leadNames.map((_, k) => stepEnd(wins.map((w) => w.perLead[k])))];
    const stepped = uPlot.paths.stepped({ align: 1 });
    specs.push({ id: 'chart-quality', fig: 'fig-quality', height: small ? 170 : 200, opts: {
      series: [{ label: 'time (s)' }, { label: 'window SQI', stroke: '#111', width: 2, paths: stepped },
        ...res.leadNames.map((n, k) => ({ label: `${n}`, stroke: LEAD_COLORS[k % LEAD_COLORS.length], width: 1, paths: stepped }))],
      axes: [{ label: 'time (s)' }, { label: 'SQI' }], plugins: [shadeSpans(spans)],
      scales: { x: { time: false }, y: { range: [0, 1] } },
    }, data: qData });

    if (res.ctg) specs.push(ctgSpec(res.ctg, Number($('ctg-speed').value)));  // web/ctg.js

    const contributions = res.explanation && contributionsSpec(res.explanation, res.leadNames, LEAD_COLORS, forReport ? [] : [spanMark(selectedSpan)]);
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

// The CTG's paper speed: redraw its grid and show the span that fits the chart at true scale.
function onCtgSpeed() {
  if (!state.result || !state.result.ctg) return;
  const [a] = currentRange();
  drawCharts();
  const ctgChart = state.charts.find((c) => c.root.parentElement.id === 'chart-ctg');
  if (ctgChart) setRange(a, a + trueScaleSpanS(ctgChart.bbox.width / (devicePixelRatio || 1), Number($('ctg-speed').value)));
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
  $('report-pdf').addEventListener('click', saveReportPdf);
  $('package-zip').addEventListener('click', saveSharePackage);
  $('report-form').addEventListener('submit', (e) => e.preventDefault());
  $('reference-input').addEventListener('change', (e) => { openReference(e.target.files[0]); e.target.value = ''; });
  $('reference-clear').addEventListener('click', () => { if (!state.busy) request({ type: 'clear-reference' }); });
  $('window-prev').addEventListener('click', () => stepWindow(-1));
  $('window-next').addEventListener('click', () => stepWindow(1));
  $('window-center').addEventListener('click', () => { const [a, b] = currentRange(); explainAt((a + b) / 2); });
  $('report-print').addEventListener('click', printReport);
  $('ctg-speed').addEventListener('change', onCtgSpeed);
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

// On a phone the page is long: the "how to read" notes and the settings start folded (one tap
// opens each); on a larger screen they start open.
if (window.matchMedia('(max-width: 600px)').matches) {
  for (const d of document.querySelectorAll('details.how, #settings-details, #report-fields, #ctg-features-details')) d.open = false;
}

wire();
updateControls();
startWorker();
