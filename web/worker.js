// The analysis Web Worker: loads the WebAssembly module (/wasm/fecg.js, typed in fecg.d.ts), opens
// recordings, runs the pipeline and answers exports, so that the page's thread only draws.
//
// Messages in (from app.js):
//   {type: 'open', files: [{name, file: File} or {name, bytes: ArrayBuffer}], csv: {fsHz, units}?}
//   {type: 'demo', options: {seconds, seed, leads, fsHz}}     simulate (truth included)
//   {type: 'analyze', options: {method, abdominal, reference, powerlineHz, engine?, ortThreads?}}
//   {type: 'network', options: {abdominal, reference, powerlineHz, engine, ortThreads?}}
//       FHNet alone on the recording's windows: its raw outputs (comparing engines, benchmarks)
//   {type: 'export', kind: 'fqrs'|'beats-csv'|'fhr-csv'|'ctg-csv'|'fecg-csv'|'json'|'truth-csv'}
//   {type: 'explain-window', index}     method 'fhnet': lead contributions and saliency of window i
//   {type: 'reference', name, bytes}    reference beats beside the recording: a WFDB annotation file
//       (.fqrs/.qrs/.atr) or a CSV of beat times; scored against the result now and after each analysis
//   {type: 'clear-reference'}
//   {type: 'package'}                   every export at once, for the share package (ZIP)
// Messages out: {type: 'ready'|'opened'|'progress'|'result'|'network'|'window-explained'|'exported'|'error', ...}.
// Cancel: the page terminates this worker and starts a fresh one (a running WASM call cannot see
// messages), then opens the same files again; nothing here needs cleaning up.
// Long recordings (long_recordings.js): files are read with File.slice; an EDF or WFDB record
// longer than the whole-analysis budget stays open as a RecordingStream and is analysed in
// chunks (analyzeStream), with the plots decimated chunk by chunk; files over budget that cannot
// be streamed are refused with a message.
//
// FHNet runs on one of two engines (options.engine): 'fecg', our C++ engine inside the module, or
// 'ort', ONNX Runtime Web (WASM backend) on models/fhnet.onnx. ORT runs in two phases through the
// same pipeline: the module captures the windows, ORT runs the network on them, the module plays
// its outputs back (fecg.d.ts captureFhnetWindows / engineOutputs). Every model file is checked
// against the sha256 and size in its card (models/fhnet.json) before use, and refused otherwise.
// ORT's files are fetched only when that engine is first chosen.

import { parseBeatCsv, referenceFhr, rescaleAnnotationBeats } from './reference_beats.js';
import {
  checkWholeBudget, chunkSeconds, PlotDecimator, readWhole, shouldStream, streamOverview, streamSource,
} from './long_recordings.js';

const PLOT_MAX_POINTS = 120000;  // per lead sent for plotting: uPlot stays fluid well past this
const MODEL_DIR = './models/';   // scripts/serve.mjs serves models/ here
const ORT_DIR = './vendor/ort/'; // ... and onnxruntime-web's WASM backend here
// Windows per ONNX Runtime call: as our pipeline batches (pipeline/fhnet_stage.h FhnetStageParams),
// enough for ORT's kernels to amortise a call, small enough to report progress often.
const ORT_BATCH = 8;

let fecg = null;         // the module
let recording = null;    // Recording handle of the open file
let stream = null;       // RecordingStream handle instead, for a long EDF/WFDB recording
let recordName = '';
let truth = null;        // demo: {fetalPeaks, maternalPeaks, fetalBpm, maternalBpm}
let result = null;       // Result handle of the last analysis
let resultFetalBeats = null;
let resultFsHz = 0;
let card = null;         // the model card (parsed), its text, and the model status for the page
let cardText = '';
let modelInfo = { available: false, message: 'the model card has not been read' };
let ourModel = null;     // FhnetModel, loaded (and checked) on first use
let ortSession = null;   // ONNX Runtime Web session, created on first use
let ort = null;          // the onnxruntime-web module
let reference = null;    // reference beats: {name, beats (samples of the open recording), read}

function post(message, transfer = []) { self.postMessage(message, transfer); }

function fail(where, error) {
  post({ type: 'error', where, message: (error && error.message) ? error.message : String(error) });
}

// Min/max decimation: keeps every peak visible (QRS complexes do not vanish when zoomed out).
// Returns {x: Float64Array seconds, y: Float32Array[] per lead}.
function plotSeries(leads, fsHz) {
  const n = leads.length ? leads[0].length : 0;
  if (n <= PLOT_MAX_POINTS) {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = i / fsHz;
    return { x, y: leads };
  }
  const buckets = Math.floor(PLOT_MAX_POINTS / 2);
  const step = n / buckets;
  const x = new Float64Array(2 * buckets);
  const y = leads.map(() => new Float32Array(2 * buckets));
  for (let b = 0; b < buckets; b++) {
    const i0 = Math.floor(b * step);
    const i1 = Math.min(n, Math.floor((b + 1) * step));
    x[2 * b] = i0 / fsHz;
    x[2 * b + 1] = (i0 + i1 - 1) / 2 / fsHz;
    leads.forEach((lead, k) => {
      let lo = Infinity, hi = -Infinity, iLo = i0, iHi = i0;
      for (let i = i0; i < i1; i++) {
        const v = lead[i];
        if (v < lo) { lo = v; iLo = i; }
        if (v > hi) { hi = v; iHi = i; }
      }
      // In time order, so the trace goes through the extremes as the signal did.
      y[k][2 * b] = iLo <= iHi ? lo : hi;
      y[k][2 * b + 1] = iLo <= iHi ? hi : lo;
    });
  }
  return { x, y };
}

function releaseResult() {
  if (result) { result.delete(); result = null; }
  resultFetalBeats = null;
}

function releaseRecording() {
  releaseResult();
  if (recording) { recording.delete(); recording = null; }
  if (stream) { stream.delete(); stream = null; }
  truth = null;
}

// Swaps in a newly opened recording (a Recording or a RecordingStream); a file that fails to
// open leaves the previous one usable.
function replaceRecording(opened, name, asStream = false) {
  releaseRecording();
  reference = null;
  if (asStream) stream = opened;
  else recording = opened;
  recordName = name;
}

function describeOpened(name) {
  const open = stream || recording;
  let plot;
  if (stream) {
    plot = streamOverview(stream, PLOT_MAX_POINTS, chunkSeconds(stream));
  } else {
    const leads = [];
    for (let i = 0; i < recording.nLeads; i++) leads.push(recording.lead(i));
    plot = plotSeries(leads, recording.fsHz);
  }
  let roles;
  try { roles = open.guessRoles(); } catch { roles = { abdominal: Array.from({ length: open.nLeads }, (_, i) => i), reference: -1 }; }
  const message = {
    type: 'opened',
    info: {
      name, fsHz: open.fsHz, nLeads: open.nLeads, nSamples: open.nSamples,
      durationS: open.durationS, leadNames: open.leadNames(), units: open.units(),
      roles: { abdominal: Array.from(roles.abdominal), reference: roles.reference },
      streamed: Boolean(stream), chunkS: stream ? chunkSeconds(stream) : 0,
    },
    plot,
    truth,
  };
  post(message, [plot.x.buffer, ...plot.y.map((a) => a.buffer)]);
}

// Opens an EDF file or WFDB record as a stream when it is long (returns true), or says why it
// cannot be streamed (returns the reason: the file is then read whole, within budget).
function openLong(files, header, text) {
  let opened;
  try {
    if (header) {
      const sources = new Map(files.filter((f) => f !== header).map((f) => [f.name, streamSource(f)]));
      opened = fecg.openWfdbStream(text, sources);
    } else {
      opened = fecg.openRecordingStream(files[0].name, streamSource(files[0]));
    }
  } catch (error) {
    return error.message;
  }
  let long;
  try {
    long = shouldStream(opened);
  } catch (error) {
    opened.delete();
    throw error;
  }
  if (!long) { opened.delete(); return ''; }
  replaceRecording(opened, (header || files[0]).name.replace(/\.(hea|edf)$/i, ''), true);
  return true;
}

function openFiles(files, csv) {
  if (!files.length) throw new Error('open: no file given');
  const lower = (s) => s.toLowerCase();
  const header = files.find((f) => lower(f.name).endsWith('.hea'));
  const headerText = header ? new TextDecoder('latin1').decode(readWhole(header)) : '';
  const rangeable = header || (files.length === 1 && lower(files[0].name).endsWith('.edf'));
  const why = rangeable ? openLong(files, header, headerText) : 'it cannot be read in pieces';
  if (why === true) return (header || files[0]).name;
  if (why !== '') for (const f of files) if (f !== header) checkWholeBudget(f, why);
  const byName = new Map(files.filter((f) => f !== header).map((f) => [f.name, readWhole(f)]));
  if (header) {
    // A WFDB record: the header text names its signal files, which must be among the files given.
    replaceRecording(fecg.openWfdb(headerText, byName), header.name.replace(/\.hea$/i, ''));
    return header.name;
  }
  if (files.some((f) => lower(f.name).endsWith('.dat'))) {
    throw new Error(`open: ${files.map((f) => f.name).join(', ')}: a WFDB .dat file needs its .hea header; choose both together`);
  }
  if (files.length > 1) {
    throw new Error(`open: ${files.length} files given; open one EDF or CSV file, or one WFDB record (.hea + .dat)`);
  }
  const f = files[0];
  const options = {};
  if (csv && Number.isFinite(csv.fsHz)) options.fsHz = csv.fsHz;
  if (csv && csv.units) options.units = csv.units;
  replaceRecording(fecg.openRecording(byName.get(f.name), f.name, options), f.name.replace(/\.[^.]*$/, ''));
  return f.name;
}

function simulateDemo(options) {
  releaseRecording();
  reference = null;
  const sim = fecg.simulate(options);
  recording = sim.recording;
  recordName = 'demo';
  const fetalPeaks = Array.from(sim.fetalPeaks), maternalPeaks = Array.from(sim.maternalPeaks);
  const fsHz = recording.fsHz;
  // The simulator's fetalBpm is the rhythm's nominal rate; heart-rate variability moves the
  // realised rate off it, so the truth to compare with is the mean of 60 / RR of the true beats
  // (the same statistic as the pipeline's beat-to-beat mean).
  truth = {
    fetalPeaks, maternalPeaks, nominalFetalBpm: sim.fetalBpm, nominalMaternalBpm: sim.maternalBpm,
    fetalBpm: meanBeatToBeatBpm(fetalPeaks, fsHz), maternalBpm: meanBeatToBeatBpm(maternalPeaks, fsHz),
  };
}

function meanBeatToBeatBpm(beats, fsHz) {
  let sum = 0;
  for (let i = 1; i < beats.length; i++) sum += (60 * fsHz) / (beats[i] - beats[i - 1]);
  return beats.length > 1 ? sum / (beats.length - 1) : NaN;
}

// The heart-rate series as the page needs it. `reliable` (1/0 per value) and `message` exist once
// the core reports reliability (fecg.d.ts); an older module leaves them undefined, which the page
// reads as "reliability unknown", never as "reliable". meanBpm/minBpm/maxBpm may be null.
function heartRate(hr) {
  return {
    timeS: hr.timeS, bpm: hr.bpm, bpmSmooth: hr.bpmSmooth, meanBpm: hr.meanBpm ?? null, minBpm: hr.minBpm ?? null, maxBpm: hr.maxBpm ?? null,
    reliable: hr.reliable, message: hr.message ?? '',
  };
}

// Per-window quality with the core's reliability verdicts, when it gives them.
function qualityMessage(quality) {
  return {
    sqi: quality.sqi, perLead: quality.perLead, warnings: quality.warnings,
    windows: quality.windows.map((w) => ({
      startS: w.startS, endS: w.endS, sqi: w.sqi, perLead: w.perLead,
      reliable: w.reliable, confidence: w.confidence, whyUnreliable: w.whyUnreliable, source: w.source, fecgSource: w.fecgSource, beatsTracked: w.beatsTracked,
    })),
  };
}

// ---------------------------------------------------------------------------- reference beats

function readReference(name, bytes) {
  const open = stream || recording;
  if (!open) throw new Error('reference: open a recording first, then its reference beats');
  const fsHz = open.fsHz;
  const lower = name.toLowerCase();
  let beats, read;
  if (/\.(csv|txt|tsv)$/.test(lower)) {
    ({ beats, read } = parseBeatCsv(new TextDecoder('utf-8').decode(bytes), fsHz));
  } else {
    const ann = fecg.parseAnnotations(bytes);
    beats = rescaleAnnotationBeats(ann.beats, ann.timeResolutionHz, fsHz);
    read = `a WFDB annotation file, ${ann.annotations.length} annotations of which ${beats.length} beats`;
  }
  if (!beats.length) throw new Error(`reference: ${name} holds no beat annotations`);
  const outside = beats.filter((b) => b >= open.nSamples).length;
  if (outside === beats.length) {
    throw new Error(`reference: every beat of ${name} lies after the recording's end (${open.durationS.toFixed(1)} s): is it the reference of another recording?`);
  }
  reference = { name, beats: beats.filter((b) => b < open.nSamples), read, outside };
}

// The open result scored against the reference beats (eval/metrics.h: ±50 ms one-to-one matching;
// heart-rate MAE at the reference's RR midpoints), or null without either.
function referenceMessage() {
  if (!reference) return null;
  const fsHz = (stream || recording).fsHz;
  const out = { name: reference.name, read: reference.read, outside: reference.outside, beats: reference.beats, fsHz, fhr: referenceFhr(reference.beats, fsHz) };
  if (result && resultFetalBeats) {
    out.score = fecg.scoreBeats(reference.beats, Array.from(resultFetalBeats), resultFsHz, 0.05);
    out.hr = typeof fecg.scoreHeartRate === 'function' ? fecg.scoreHeartRate(reference.beats, Array.from(resultFetalBeats), resultFsHz) : null;
  }
  return out;
}

// ------------------------------------------------------------------------------------- the model

async function fetchBytes(path) {
  let response;
  try {
    response = await fetch(path);
  } catch (error) {
    throw new Error(`model: could not fetch ${path}: ${error && error.message ? error.message : error}`);
  }
  if (!response.ok) throw new Error(`model: could not fetch ${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// The card's record of a model file ({path, sha256, bytes}) against the bytes received: a file that
// differs is refused before any engine sees it (the C++ loader checks the weights again).
function checkModelFile(bytes, entry, what) {
  const sha = fecg.sha256Hex(bytes);
  if (sha !== entry.sha256 || bytes.length !== entry.bytes) {
    throw new Error(`model: ${MODEL_DIR.slice(2)}${entry.path} (${what}) does not match the model card ` +
      `(models/fhnet.json): sha256 ${sha} and ${bytes.length} bytes, the card says ${entry.sha256} and ${entry.bytes} bytes. ` +
      'The file is damaged or was altered; FHNet was not run.');
  }
}

// Reads the card at start-up (a few kB) so that the page can say whether FHNet is trained.
async function readCard() {
  try {
    const response = await fetch(`${MODEL_DIR}fhnet.json`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    cardText = await response.text();
    card = JSON.parse(cardText);
    const recipe = String(card.training?.recipe ?? '');
    modelInfo = {
      available: true, recipe, trained: false, defaultMethod: 'ts-ica', parameters: card.parameters ?? null,
      window: card.window_samples, weightsSha256: card.files?.weights?.sha256 ?? '', ...cardSummary(card),
    };
  } catch (error) {
    card = null;
    modelInfo = { available: false, message: `model: could not read models/fhnet.json: ${error && error.message ? error.message : error}` };
  }
}

// What the card says about the model in figures a reader can weigh: training data and the
// held-out scores (the page words them; web/app.js modelLine). Missing entries stay null.
function cardSummary(c) {
  const train = c.training?.data?.train ?? c.training?.init?.data?.train ?? null;
  const real = c.metrics?.evaluation?.real ?? null;
  return {
    name: c.name ?? 'fhnet', description: c.description ?? '', samplingRateHz: c.sampling_rate_hz ?? null,
    trainRecords: train?.records ?? null, trainWindows: train?.windows ?? null,
    realRecordings: Array.isArray(c.training?.data?.real?.recordings) ? c.training.data.real.recordings.length : null,
    heldOut: real ? { source: real.source ?? '', network: real.network ?? null } : null,
  };
}

function requireCard() {
  if (!card) throw new Error(modelInfo.message ?? 'model: no model card');
  return card;
}

async function loadOurModel() {
  if (ourModel) return ourModel;
  const entry = requireCard().files.weights;
  const bytes = await fetchBytes(`${MODEL_DIR}${entry.path}`);
  checkModelFile(bytes, entry, 'weights');
  ourModel = fecg.loadFhnet(cardText, bytes);
  return ourModel;
}

// ONNX Runtime Web: its WASM backend from our own origin (no CDN), threads as asked (1, or 2 when
// the page is cross-origin isolated: SharedArrayBuffer); they are fixed once ORT has started.
async function loadOrt(threads) {
  const isolated = self.crossOriginIsolated === true;
  const want = threads ?? (isolated ? 2 : 1);
  if (!(want === 1 || want === 2)) throw new Error(`ort: ortThreads must be 1 or 2, got ${threads}`);
  if (want > 1 && !isolated) throw new Error('ort: 2 threads need a cross-origin isolated page (COOP/COEP headers)');
  if (ortSession) {
    if (ort.env.wasm.numThreads !== want) throw new Error(`ort: already running on ${ort.env.wasm.numThreads} thread(s); reload the page to change`);
    return ortSession;
  }
  const entry = requireCard().files.onnx;
  const bytes = await fetchBytes(`${MODEL_DIR}${entry.path}`);
  checkModelFile(bytes, entry, 'ONNX graph');
  if (!ort) {
    try {
      ort = await import(`${ORT_DIR}ort.wasm.min.mjs`);
    } catch (error) {
      throw new Error(`ort: ONNX Runtime Web (vendor/ort/ort.wasm.min.mjs) could not be loaded: ${error && error.message ? error.message : error}`);
    }
    ort.env.wasm.wasmPaths = new URL(ORT_DIR, self.location.href).href;
    ort.env.wasm.numThreads = want;
    ort.env.wasm.proxy = false;  // already off the page's thread
  }
  ortSession = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const inputs = card.inputs.map((i) => i.name).join(','), outputs = card.outputs.map((o) => o.name).join(',');
  if (ortSession.inputNames.join(',') !== inputs || ortSession.outputNames.join(',') !== outputs) {
    throw new Error(`ort: fhnet.onnx has inputs [${ortSession.inputNames}] and outputs [${ortSession.outputNames}], the card says [${inputs}] and [${outputs}]`);
  }
  return ortSession;
}

// Runs a network on captured windows (fecg.d.ts FhnetWindows), in runs of windows with the same
// lead count, at most `batch` windows per call; returns {fecg, rpeakProb} in the same layouts.
async function runWindows(w, runBatch, batch, onBatch) {
  const fecgOut = new Float32Array(w.x.length);
  const prob = new Float32Array(w.nWindows * w.window);
  let offset = 0;
  for (let i = 0; i < w.nWindows;) {
    const leads = w.leads[i];
    let n = 1;
    while (n < batch && i + n < w.nWindows && w.leads[i + n] === leads) n++;
    const size = n * leads * w.window;
    const out = await runBatch(w.x.subarray(offset, offset + size), n, leads);
    if (out.fecg.length !== size || out.rpeakProb.length !== n * w.window) {
      throw new Error(`network: outputs of ${out.fecg.length} and ${out.rpeakProb.length} values for ${n} windows of ${leads} leads`);
    }
    fecgOut.set(out.fecg, offset);
    prob.set(out.rpeakProb, i * w.window);
    offset += size;
    i += n;
    if (onBatch) onBatch(i / w.nWindows);
  }
  return { fecg: fecgOut, rpeakProb: prob };
}

function ortBatch(session) {
  return async (x, n, leads) => {
    const out = await session.run({ x: new ort.Tensor('float32', x, [n, leads, card.window_samples]) }, ['fecg', 'rpeak_prob']);
    return { fecg: out.fecg.data, rpeakProb: out.rpeak_prob.data };
  };
}

function ourBatch(model) {
  // model.run copies x in and fresh arrays out; the lead attention is dropped here.
  return async (x, n, leads) => model.run(x, n, leads);
}

// -------------------------------------------------------------------------------------- analysis

// The options the module's pipeline takes (the rest choose the engine).
function pipelineOptions(options) {
  const { engine, ortThreads, ...rest } = options;
  return { ...rest, recordName };
}

function progressReporter(from, to) {
  let last = -1;
  return (fraction, stage) => {
    const f = from + (to - from) * fraction;
    // Every report would flood the page; a percent step is plenty for a progress bar.
    if (f - last >= 0.01 || fraction >= 1) { last = f; post({ type: 'progress', fraction: f, stage }); }
    return true;
  };
}

async function runPipeline(options) {
  const base = pipelineOptions(options);
  if (base.method !== 'fhnet') return { result: fecg.analyze(recording, base, progressReporter(0, 1)), engine: 'fecg', network: null };
  const engine = options.engine ?? 'fecg';
  if (engine === 'fecg') {
    post({ type: 'progress', fraction: 0, stage: 'loading the FHNet model' });
    const model = await loadOurModel();
    return { result: fecg.analyze(recording, { ...base, model }, progressReporter(0, 1)), engine, network: null };
  }
  if (engine !== 'ort') throw new Error(`analyze: unknown engine '${engine}' (fecg or ort)`);
  post({ type: 'progress', fraction: 0, stage: 'loading ONNX Runtime Web and the model' });
  const session = await loadOrt(options.ortThreads);
  const { method, ...captureOptions } = base;
  const windows = fecg.captureFhnetWindows(recording, { ...captureOptions, window: card.window_samples }, progressReporter(0, 0.3));
  const t0 = performance.now();
  const outputs = await runWindows(windows, ortBatch(session), ORT_BATCH,
    (f) => post({ type: 'progress', fraction: 0.3 + 0.4 * f, stage: 'FHNet (ONNX Runtime Web)' }));
  const networkMs = performance.now() - t0;
  const result = fecg.analyze(recording, { ...base, engineOutputs: { ...windows, ...outputs } }, progressReporter(0.7, 1));
  return { result, engine, network: { windows: windows.nWindows, ms: networkMs, threads: ort.env.wasm.numThreads } };
}

// A long recording, chunk by chunk: the fECG plot is decimated as the chunks come.
// FHNet runs on our engine only: ONNX Runtime's two phases would need every window of the
// recording at once.
async function analyzeStreamed(options) {
  releaseResult();
  const base = { ...pipelineOptions(options), chunkS: chunkSeconds(stream) };
  if (base.method === 'fhnet') {
    if ((options.engine ?? 'fecg') !== 'fecg') {
      throw new Error('analyze: a long recording is analysed in chunks, where FHNet runs on our engine only; choose it instead of ONNX Runtime Web');
    }
    post({ type: 'progress', fraction: 0, stage: 'loading the FHNet model' });
    base.model = await loadOurModel();
  }
  const t0 = performance.now();
  let fecgPlot = null;
  result = fecg.analyzeStream(stream, base, progressReporter(0, 1), (chunk) => {
    if (!fecgPlot) fecgPlot = new PlotDecimator(chunk.fecg.length, stream.nSamples, stream.fsHz, PLOT_MAX_POINTS);
    fecgPlot.add(chunk.start, chunk.fecg);
    return true;
  });
  const elapsedMs = performance.now() - t0;
  resultFsHz = result.fsHz;
  resultFetalBeats = result.fetalBeats();
  const plot = fecgPlot ? fecgPlot.result() : { x: new Float64Array(0), y: [] };
  const quality = result.quality;
  const message = {
    type: 'result',
    fsHz: result.fsHz, method: result.method, requestedMethod: options.method, leadNames: result.leadNames(),
    powerlineHz: result.powerlineHz,
    engine: result.method === 'fhnet' ? 'fecg' : null, network: null,
    fetalBeats: resultFetalBeats.slice(), maternalBeats: result.maternalBeats(),
    fhr: heartRate(result.fhr), mhr: heartRate(result.mhr), ctg: result.ctg,
    quality: qualityMessage(quality),
    morphology: result.morphology,
    timings: result.timings, elapsedMs, plot, truthScore: null, streamed: true, reference: referenceMessage(),
  };
  post(message, [plot.x.buffer, ...plot.y.map((a) => a.buffer)]);
}

async function analyze(options) {
  if (stream) { await analyzeStreamed(options); return; }
  if (!recording) throw new Error('analyze: open a recording first');
  releaseResult();
  const t0 = performance.now();
  const run = await runPipeline(options);
  result = run.result;
  const elapsedMs = performance.now() - t0;
  resultFsHz = result.fsHz;
  resultFetalBeats = result.fetalBeats();
  const fecgLeads = [];
  for (let i = 0; i < result.nLeads; i++) fecgLeads.push(result.fecg(i));
  const plot = plotSeries(fecgLeads, result.fsHz);
  const quality = result.quality;
  let f1 = null;
  if (truth) f1 = fecg.scoreBeats(truth.fetalPeaks, Array.from(resultFetalBeats), result.fsHz, 0.05);
  const message = {
    type: 'result',
    fsHz: result.fsHz, method: result.method, requestedMethod: options.method, leadNames: result.leadNames(),
    powerlineHz: result.powerlineHz,
    engine: result.method === 'fhnet' ? run.engine : null, network: run.network,
    fetalBeats: resultFetalBeats.slice(), maternalBeats: result.maternalBeats(),
    fhr: heartRate(result.fhr), mhr: heartRate(result.mhr), ctg: result.ctg,
    quality: qualityMessage(quality),
    morphology: result.morphology,
    timings: result.timings, elapsedMs, plot, truthScore: f1, reference: referenceMessage(),
  };
  message.explanation = describeExplanation(result, options);
  post(message, [plot.x.buffer, ...plot.y.map((a) => a.buffer)]);
}

// ------------------------------------------------------------------------------------ explaining

// The per-window lead contributions of a method 'fhnet' analysis (fecg.d.ts Explanation; a few
// numbers per window), or null for the classical methods. Whether single windows can be explained
// here: Result.explainWindow needs the network in this module (our engine), not outputs replayed
// from ONNX Runtime.
function describeExplanation(res, options) {
  if (res.method !== 'fhnet' || typeof res.explanation !== 'function') return null;
  const e = res.explanation();
  if (!e.nWindows) return null;
  return {
    fsHz: e.fsHz, window: e.window, hop: e.hop, nWindows: e.nWindows, nLeads: e.nLeads,
    windowStarts: e.windowStarts, leadAttention: e.leadAttention, leadOcclusion: e.leadOcclusion,
    canExplainWindow: typeof res.explainWindow === 'function' && (options.engine ?? 'fecg') === 'fecg',
  };
}

// Window i explained now (1 + K + 32 runs of the network): its saliency and lead contributions,
// with the preprocessed leads the network saw in it (µV at analysisFsHz) to draw them over.
function explainWindow(index) {
  if (!result) throw new Error('explain: analyse a recording first');
  const w = result.explainWindow(index);
  const end = w.start + w.window;
  const leads = [];
  for (let k = 0; k < result.nLeads; k++) {
    const lead = result.preprocessed(k);
    // The last window may reach past the record's end (the stage pads it): pad the view likewise.
    const out = new Float32Array(w.window).fill(NaN);
    out.set(lead.subarray(w.start, Math.min(end, lead.length)));
    leads.push(out);
  }
  post({
    type: 'window-explained', index, startS: w.startS, fsHz: result.analysisFsHz, window: w.window,
    segment: w.segment, saliency: w.saliency, leadAttention: w.leadAttention, leadOcclusion: w.leadOcclusion, leads,
  }, [w.saliency.buffer, ...leads.map((l) => l.buffer)]);
}

// FHNet alone on the open recording's windows with one engine: the raw network outputs and the
// time the network took (not the pipeline around it).
async function network(options) {
  if (stream) throw new Error('network: the open recording is long and analysed in chunks; FHNet alone runs on recordings of up to 30 min');
  if (!recording) throw new Error('network: open a recording first');
  const engine = options.engine ?? 'fecg';
  const runBatch = engine === 'ort' ? ortBatch(await loadOrt(options.ortThreads))
    : engine === 'fecg' ? ourBatch(await loadOurModel())
      : null;
  if (!runBatch) throw new Error(`network: unknown engine '${engine}' (fecg or ort)`);
  const { method, ...captureOptions } = pipelineOptions(options);
  const windows = fecg.captureFhnetWindows(recording, { ...captureOptions, window: card.window_samples });
  const t0 = performance.now();
  const out = await runWindows(windows, runBatch, engine === 'ort' ? ORT_BATCH : 8);
  const ms = performance.now() - t0;
  post({
    type: 'network', engine, nWindows: windows.nWindows, window: windows.window, leads: windows.leads,
    fecg: out.fecg, rpeakProb: out.rpeakProb, ms, threads: engine === 'ort' ? ort.env.wasm.numThreads : 1,
  }, [out.fecg.buffer, out.rpeakProb.buffer]);
}

function beatsCsv(beats, fsHz) {
  const rows = ['sample,time_s'];
  for (const b of beats) rows.push(`${b},${(b / fsHz).toFixed(4)}`);
  return rows.join('\n') + '\n';
}

function exportKind(kind) {
  if (kind === 'truth-csv') {
    if (!truth) throw new Error('export: no simulation truth (open the demo)');
    return { name: `${recordName}_truth_fetal_beats.csv`, mime: 'text/csv', data: beatsCsv(truth.fetalPeaks, recording.fsHz) };
  }
  if (!result) throw new Error('export: analyse a recording first');
  switch (kind) {
    case 'fqrs': return { name: `${recordName}.fqrs`, mime: 'application/octet-stream', data: result.fqrsBytes() };
    case 'beats-csv': return { name: `${recordName}_fetal_beats.csv`, mime: 'text/csv', data: beatsCsv(resultFetalBeats, resultFsHz) };
    case 'fhr-csv': return { name: `${recordName}_fhr.csv`, mime: 'text/csv', data: result.fhrCsv() };
    case 'ctg-csv': return { name: `${recordName}_ctg.csv`, mime: 'text/csv', data: result.ctgCsv() };
    case 'fecg-csv': return { name: `${recordName}_fecg.csv`, mime: 'text/csv', data: result.fecgCsv() };
    case 'json': return { name: `${recordName}.json`, mime: 'application/json', data: result.summaryJson() };
    default: throw new Error(`export: unknown kind '${kind}'`);
  }
}

// Every export of the result at once (the share package): name → {mime, data}. The fECG CSV of a
// streamed analysis is not kept (it went out chunk by chunk): left out, with the reason.
function packageFiles() {
  if (!result) throw new Error('export: analyse a recording first');
  const files = [];
  const missing = [];
  for (const kind of ['json', 'fqrs', 'beats-csv', 'fhr-csv', 'fecg-csv']) {
    try { files.push(exportKind(kind)); } catch (error) { missing.push(`${kind}: ${error.message}`); }
  }
  files.push({ name: `${recordName}.mqrs`, mime: 'application/octet-stream', data: result.mqrsBytes() });
  return { files, missing };
}

self.onmessage = async (event) => {
  const msg = event.data;
  if (!fecg) { fail(msg.type, new Error('the analysis engine is not loaded')); return; }
  try {
    if (msg.type === 'open') {
      const name = openFiles(msg.files, msg.csv);
      describeOpened(name);
    } else if (msg.type === 'demo') {
      simulateDemo(msg.options);
      describeOpened('demo (simulated)');
    } else if (msg.type === 'analyze') {
      await analyze(msg.options);
    } else if (msg.type === 'network') {
      await network(msg.options);
    } else if (msg.type === 'explain-window') {
      explainWindow(msg.index);
    } else if (msg.type === 'reference') {
      readReference(msg.name, new Uint8Array(msg.bytes));
      post({ type: 'reference', reference: referenceMessage() });
    } else if (msg.type === 'clear-reference') {
      reference = null;
      post({ type: 'reference', reference: null });
    } else if (msg.type === 'package') {
      post({ type: 'package', ...packageFiles() });
    } else if (msg.type === 'export') {
      const out = exportKind(msg.kind);
      post({ type: 'exported', kind: msg.kind, ...out });
    } else {
      throw new Error(`worker: unknown message type '${msg.type}'`);
    }
  } catch (error) {
    fail(msg.type, error);
  }
};

// Loading: the module sits at /wasm/ (scripts/serve.mjs); fecg.wasm is found next to fecg.js.
(async () => {
  try {
    // The card (a few kB) is read while the module compiles: the page settles its default method
    // from it in the same 'ready' message, before the user can touch the menu.
    const cardRead = readCard();
    const mod = await import('./wasm/fecg.js');
    const factory = mod.default ?? mod.createFecgModule;
    fecg = await factory();
    await cardRead;
    if (card) {
      // Trained or not, and so the default method, by the core's rule (one place for it).
      const settled = fecg.defaultMethod(cardText);
      modelInfo.trained = settled.trained;
      modelInfo.defaultMethod = settled.method;
    }
    post({ type: 'ready', version: typeof fecg.version === 'function' ? fecg.version() : '', model: modelInfo });
  } catch (error) {
    post({ type: 'error', where: 'load', message: `the analysis engine (wasm/fecg.js) could not be loaded: ${error && error.message ? error.message : error}` });
  }
})();
