// Typed JS API of the FHNet-Web WebAssembly module (build/wasm/fecg.js + fecg.wasm, built by the
// `fecg_wasm` target of the wasm preset from src/wasm/: bindings.cpp declares these names, each
// bound once with its full arity; src/wasm/pre.js gives the optional (`?`) arguments their defaults).
//
//   import createFecgModule from './fecg.js';
//   const fecg = await createFecgModule();              // node 20: createFecgModule({ wasmBinary })
//   const rec = fecg.openRecording(bytes, 'r01.edf');
//   const res = fecg.analyze(rec, { method: 'ts-ica', ...rec.guessRoles() },
//                            (fraction, stage) => !cancelled);
//   plot(res.fecg(0), res.fetalBeats(), res.fhr.timeS, res.fhr.bpmSmooth);
//   res.delete(); rec.delete();
//
// FHNet with another engine (ONNX Runtime Web), through the same pipeline in two phases:
//   const w = fecg.captureFhnetWindows(rec, roles);                 // the network's inputs
//   const out = await session.run({ x: new ort.Tensor('float32', w.x, [w.nWindows, w.leads[0], w.window]) });
//   const res = fecg.analyze(rec, { ...roles, method: 'fhnet',
//                                   engineOutputs: { ...w, fecg: out.fecg.data, rpeakProb: out.rpeak_prob.data } });
//
// Units: signals in microvolts (µV), beats as sample indices at the recording's rate (fsHz),
// times in seconds, rates in beats per minute. Every array returned is a fresh copy owned by JS.
// Recording, Result and FhnetModel are handles to C++ objects in the WASM heap: call delete()
// when done (the heap is limited to 2 GB). Errors are thrown as JS Error objects whose message
// names the function or file and the problem (name "FecgError"; "AbortError" when cancelled via
// onProgress; "RangeError" when out of memory); the module keeps working after any of them.

export interface EmbindHandle {
  /** Frees the C++ object; the handle is unusable afterwards. */
  delete(): void;
}

export interface Annotation {
  sample: number;   // sample index at the recording's rate
  label: string;    // "N" for a beat, free text for EDF+ annotations
}

export interface LeadRoles {
  abdominal: number[];  // 0-based lead indices, in the order to use
  reference: number;    // 0-based index of a reference fetal ECG (e.g. ADFECGDB Direct_1), -1 if none
}

export interface Recording extends EmbindHandle {
  readonly fsHz: number;
  readonly nLeads: number;
  readonly nSamples: number;
  readonly durationS: number;
  leadNames(): string[];
  units(): string[];             // as read from the file ("uV", "mV", ...); samples are in µV
  startTime(): string | null;    // ISO 8601 when the file says
  lead(i: number): Float32Array; // µV, nSamples values
  annotations(): Annotation[];
  guessRoles(): LeadRoles;       // a lead named like Direct*/scalp*/fetal* is the reference
}

export interface OpenOptions {
  fsHz?: number;    // CSV without a time column: required
  units?: string;   // CSV values: "uV" (default), "mV" or "V"
}

export type Method = 'ts' | 'ica' | 'ts-ica' | 'fhnet';

export interface AnalyzeOptions {
  method?: Method;           // default 'ts-ica'
  candidatePool?: boolean;   // default true: per 10-s window, the best of the method's, TS-ICA's and TS's beats
  abdominal?: number[];      // default: guessRoles().abdominal
  reference?: number;        // default: guessRoles().reference; -1 for none
  powerlineHz?: number;      // -1 (default): detect 50/60 Hz; 0: no notch; 50 or 60
  model?: FhnetModel;        // method 'fhnet' with our engine: exactly one of model, engineOutputs
  engineOutputs?: EngineOutputs;  // method 'fhnet' with another engine's outputs (second phase)
  recordName?: string;       // the record name in summaryJson() (default "recording")
  explain?: ExplainOptions;  // method 'fhnet': what Result.explanation() holds (default: attention only)
  gestationalWeeks?: number; // 10..45: intervals compared with Chia et al. 2005's means (never a diagnosis)
}

/** What to explain (src/pipeline/explain.h). In analyze() the defaults are {leadAttention: true,
 *  leadOcclusion: false, saliency: false}: the attention is free, the whole-record occlusion costs
 *  about (K−1)× (leads) and 33× (saliency) the FHNet time. In Result.explainWindow() the defaults
 *  are all true: one window costs 1 + K + 32 runs of the network (a few tens of ms). */
export interface ExplainOptions {
  leadAttention?: boolean;   // lead contributions from the network's attention over the leads (free)
  leadOcclusion?: boolean;   // lead contributions by leaving each lead out (K runs on K−1 leads)
  saliency?: boolean;        // temporal saliency by occluding segments of every lead
  saliencySegment?: number;  // occluded segment, samples at 250 Hz (default 32 = 128 ms)
}

/** Result.explanation(): every FHNet window of the analysis (empty arrays for what was not asked
 *  for; nWindows 0 for the classical methods). Windows are `window` samples at fsHz (250 Hz)
 *  starting at windowStarts[w] (samples at analysisFsHz; seconds = windowStarts[w] / fsHz); they
 *  overlap (hop 512). Lead order: Result.leadNames(). Matrices are row-major Float32Arrays. */
export interface Explanation {
  fsHz: number;                     // 250: the rate of windowStarts and saliency
  window: number;                   // 1024 samples
  hop: number;                      // 512 samples
  segment: number;                  // saliency segment in samples, 0 when no saliency
  nWindows: number;
  nLeads: number;
  windowStarts: Float64Array;       // nWindows, samples at fsHz
  /** nWindows × nLeads, each row >= 0 and summing to 1: each lead's weight in the R-peak head's
   *  attention pooling over the leads (mean over the window's tokens; the shipped model), or, for
   *  a model without it, the share of the graph attention each lead receives (mean over layers,
   *  tokens and receiving leads). Empty for engines without attention (outputs replayed from
   *  ONNX Runtime). */
  leadAttention: Float32Array;
  /** nWindows × nLeads, rows sum to 1: the share of the output change when the lead is left out
   *  (mean of its share of the other leads' fECG change and of the R-peak probability change). */
  leadOcclusion: Float32Array;
  occlusionFecgChange: Float32Array;   // nWindows × nLeads: mean square change of the other leads' fECG (normalised units²)
  occlusionRpeakChange: Float32Array;  // nWindows × nLeads: mean |change| of the R-peak probability
  /** One value per sample at fsHz (length = preprocessed(0).length): the windows' saliency
   *  blended like the fECG; 1 = a sample as important as its window's average, 0 = no effect. */
  saliency: Float32Array;
  saliencyWindow: Int32Array;       // per sample: the window that weighs most in the blend there
}

/** Result.explainWindow(i): window i explained now with the analysis' own engine. */
export interface WindowExplanation {
  index: number;                    // i
  start: number;                    // first sample, at analysisFsHz (250 Hz)
  startS: number;                   // start / analysisFsHz, seconds from the recording's start
  window: number;                   // 1024 samples
  segment: number;                  // saliency segment (samples), 0 without saliency
  leadAttention: Float32Array;      // nLeads, sum 1 (empty when not asked for)
  leadOcclusion: Float32Array;      // nLeads, sum 1
  occlusionFecgChange: Float32Array;   // nLeads
  occlusionRpeakChange: Float32Array;  // nLeads
  /** `window` values, one per sample of the window (plot it over preprocessed(k) from `start`):
   *  >= 0, mean 1; constant within each occluded segment. */
  saliency: Float32Array;
  segmentFecgChange: Float32Array;  // window / segment: mean square fECG change when that segment is occluded
  segmentRpeakChange: Float32Array; // window / segment: mean |change| of the R-peak probability
}

/** Options of captureFhnetWindows: those of analyze that choose the windows (method, if given,
 *  must be 'fhnet'); `window` must equal the model's (its card's window_samples, default 1024). */
export interface CaptureOptions {
  method?: 'fhnet';
  abdominal?: number[];
  reference?: number;
  powerlineHz?: number;
  recordName?: string;
  window?: number;
}

/** The windows the pipeline hands the network, in order, in the ONNX input layout: window i is
 *  leads[i] × window floats at offset window · (leads[0] + … + leads[i-1]) of x, each lead
 *  normalised on its own (the card's "normalisation"). At most 8 leads per window: a recording
 *  with more abdominal leads gives windows for each lead group in turn. */
export interface FhnetWindows {
  x: Float32Array;
  leads: Int32Array;         // per window, 1..8
  window: number;            // samples per window (1024)
  fsHz: number;              // their rate (250 Hz)
  nWindows: number;
}

/** The second phase: the captured windows with the network's outputs for each, in the same
 *  order and layouts (the ONNX outputs fecg and rpeak_prob). analyze() checks that the pipeline
 *  asks for exactly these windows (same count, lead counts and inputs to 1e-5) and throws,
 *  naming the window, when they belong to another recording or other options. */
export interface EngineOutputs extends FhnetWindows {
  fecg: Float32Array;        // same layout as x: the fetal ECG, normalised units
  rpeakProb: Float32Array;   // nWindows × window, probabilities 0..1 (not logits)
}

/** Called between stages: return false to cancel (analyze then throws an AbortError). If it
 *  throws, analyze throws an Error "analyze: onProgress threw: <its message>". */
export type ProgressFn = (fraction: number, stage: string) => boolean | void;

export interface HeartRate {
  timeS: Float64Array;       // time of each beat-to-beat value (the later beat of the pair)
  bpm: Float64Array;         // beat-to-beat rate, 60 / RR
  bpmSmooth: Float64Array;   // outliers interpolated, then smoothed
  isOutlier: Uint8Array;     // 1 where bpm was replaced in bpmSmooth
  // Of bpmSmooth over the non-outlier values (the fetal rate: in reliable windows only); null
  // when there is none. Never clamped.
  meanBpm: number | null; minBpm: number | null; maxBpm: number | null;
}
export interface FetalHeartRate extends HeartRate {
  reliable: Uint8Array;      // 1 where the value lies in a reliable window
  message: string | null;    // "no reliable fetal heart rate" when meanBpm is null
}

/** The FHR read as a cardiotocogram (src/ctg/ctg.h): the 4 Hz series and FIGO 2015 features.
 *  A feature that cannot be measured is null, with its reason in whyMissing[name]. */
export interface CtgSeries {
  rateHz: number;            // 4: sample k is at k / rateHz seconds
  fhrBpm: Float64Array;      // NaN where not reliable (signal loss)
  mhrBpm: Float64Array;      // NaN where there is no maternal beat
  reliable: Uint8Array;      // 1 where fhrBpm is a measurement
  baselineBpm: Float64Array; // the baseline curve; empty when there is no baseline
}
export interface CtgAcceleration { startS: number; endS: number; peakBpm: number; }
export interface CtgDeceleration {
  startS: number; endS: number; nadirBpm: number; depthBpm: number; durationS: number;
  lostBeats: number; prolonged: boolean;   // prolonged: lasting >= 3 min
}
export interface CtgEpisode { startS: number; endS: number; meanBaselineBpm: number; }
export interface CtgAnalysis {
  series: CtgSeries;
  durationS: number;
  baselineMethod: string;              // "mantel_1990"
  baselineBpm: number | null;          // null: shorter than 10 min, or too much signal loss
  variabilityBpm: number | null;       // median 1-min bandwidth outside events
  variabilityBand: 'reduced' | 'normal' | 'increased' | null;
  stvMs: number | null;                // Dawes–Redman short-term variability
  signalLossPct: number;
  accelerations: CtgAcceleration[] | null;   // null without a baseline
  decelerations: CtgDeceleration[] | null;
  tachycardia: CtgEpisode[] | null;    // baseline > 160 bpm for > 10 min
  bradycardia: CtgEpisode[] | null;    // baseline < 110 bpm for > 10 min
  notClassified: string[];             // what a recording without a contraction channel cannot tell
  whyMissing: Partial<Record<'baselineBpm' | 'variabilityBpm' | 'stvMs' | 'accelerations' |
                             'decelerations' | 'tachycardia' | 'bradycardia', string>>;
}

export interface QualityWindow {
  startS: number; endS: number;
  sqi: number;               // 0 (unusable) .. 1 (clean)
  perLead: Float32Array;
  reliable: boolean;         // the window's fetal beats and rate may be shown as the fetal rate
  confidence: number;        // calibrated probability that they are right, 0..1
  whyUnreliable: string;     // in words, empty when reliable
  source: string;            // the candidate extraction they come from: 'fhnet', 'ts-ica', 'ts', 'ts:2' (TS on lead 2 alone), 'ica', 'ica-ts:1' (ICA component 1 after TS)
  fecgSource: string;        // the candidate its fetal ECG comes from: the method's own where it found the same beats
  beatsTracked: boolean;     // its beats were tracked along the rhythm (they agreed with the threshold-picked ones there)
}

export interface Quality {
  sqi: number;               // overall, 0..1
  perLead: Float32Array;     // per abdominal lead over the whole recording
  windows: QualityWindow[];  // consecutive 10 s windows
  warnings: string[];
}

export interface Timings {
  preprocessMs: number; maternalMs: number; extractMs: number; fetalMs: number;
  heartRateMs: number; explainMs: number; outputMs: number; totalMs: number;
}

/** One interval of the averaged fetal beat (src/morph/morphology.h): value and jackknife sd, or
 *  null and why. */
export interface MorphologyInterval {
  key: 'prMs' | 'pMs' | 'qrsMs' | 'qtMs' | 'qtcBazettMs' | 'qtcFridericiaMs' | 'tQrsRatio';
  label: string;             // "PR", "QRS", "QTc (Bazett)", ...
  value: number | null;      // ms (tQrsRatio: a ratio)
  sd: number | null;         // jackknife sd over 5 groups of beats; null when not estimable
  whyMissing: string | null; // in words when value is null
  published: null | {        // with gestationalWeeks, for PR, P, QRS, QT, QTc (Bazett)
    meanMs: number; differenceMs: number | null; source: string;
    outsidePublishedRange: boolean | null;  // null: the source gives no range (whyNoRange)
    whyNoRange: string;
  };
}

/** The averaged fetal beat and its waves (Martínez et al. 2004 wavelet delineator). */
export interface Morphology {
  computed: boolean;         // false: message says why (too few reliable beats, SNR too low, streamed)
  message: string | null;
  lead: string | null;       // the lead measured (highest SNR of the average)
  leadIndex: number;         // its index in leadNames(), -1 if none
  nBeats: number;            // beats averaged
  fsHz: number;              // rate of beatUv (>= 1000)
  rIndex: number;            // sample of the R peak in beatUv (time 0)
  rrMs: number | null;
  snrDb: number | null;
  beatUv: Float32Array[];    // per abdominal lead, µV
  fiducialsMs: Record<'pOn' | 'pPeak' | 'pOff' | 'qrsOn' | 'rPeak' | 'qrsOff' | 'tOn' | 'tPeak' | 'tOff', number | null>;
  intervals: MorphologyInterval[];
  computeMs: number;
}

export interface Result extends EmbindHandle {
  readonly fsHz: number;          // the input rate: beats and fecg() are at this rate
  readonly analysisFsHz: number;  // 250 Hz: preprocessed() and rpeakProb() are at this rate
  readonly nLeads: number;        // abdominal leads used
  readonly method: Method;
  readonly powerlineHz: number;   // notch applied, 0 for none
  readonly fhr: HeartRate;        // these four are rebuilt (copied) on each access
  readonly mhr: HeartRate;
  readonly ctg: CtgAnalysis;      // the CTG of the whole recording (also rebuilt on each access)
  readonly quality: Quality;
  readonly timings: Timings;
  readonly morphology: Morphology;  // rebuilt (copied) on each access
  leadNames(): string[];                 // the abdominal leads, in the order used
  fecg(i: number): Float32Array;         // extracted fetal ECG of abdominal lead i, µV, input rate
  preprocessed(i: number): Float32Array; // filtered input lead i, µV, at analysisFsHz
  fetalBeats(): Int32Array;              // fetal R peaks, samples at fsHz
  maternalBeats(): Int32Array;
  rpeakProb(): Float32Array;             // method 'fhnet': R-peak probability at analysisFsHz; else empty
  summaryJson(): string;                 // the same JSON document as `fecg extract` writes
  fqrsBytes(): Uint8Array;               // fetal beats as a WFDB (MIT) annotation file
  mqrsBytes(): Uint8Array;               // maternal beats likewise
  fhrCsv(): string;                      // time_s,fhr_bpm,fhr_smooth_bpm,outlier
  ctgCsv(): string;                      // time_s,fhr_bpm,mhr_bpm,reliable at 4 Hz (fhr empty where not reliable)
  fecgCsv(): string;                     // time column (s) + one column per lead (µV)
  /** Method 'fhnet': the lead contributions and saliency computed by analyze (see explain). */
  explanation(): Explanation;
  /** Method 'fhnet' with our engine: explains window i (0..nWindows−1) now; options default to
   *  everything (leadAttention, leadOcclusion, saliency). Throws for other methods or engines. */
  explainWindow(i: number, options?: ExplainOptions): WindowExplanation;
  /** time_s,saliency,window rows at 250 Hz, as `fecg extract --explain` writes; throws unless
   *  analyze ran with explain.saliency. */
  saliencyCsv(): string;
}

export interface FhnetModel extends EmbindHandle {
  readonly parameterCount: number;
  readonly weightsSha256: string;
  readonly window: number;        // samples per window at 250 Hz
  /** The network alone on x (batch × leads × window, normalised, row-major; leads 1..8), in the
   *  ONNX layouts: fecg batch × leads × window, rpeakProb batch × window, leadAttention
   *  batch × layers × tokens × leads × leads (row i: the weights lead i gives each lead),
   *  leadWeights batch × tokens × leads (each lead's weight in the R-peak head's pooling; learned
   *  where leadPool, else 1 / leads). */
  run(x: Float32Array, batch: number, leads: number):
    { fecg: Float32Array; rpeakProb: Float32Array; leadAttention: Float32Array; leadWeights: Float32Array;
      leadPool: boolean; layers: number; tokens: number };
}

/** A file read piece by piece: in a Web Worker, `read` can be
 *  (o, n) => new Uint8Array(new FileReaderSync().readAsArrayBuffer(file.slice(o, o + n))),
 *  so that a long recording is never held whole. read must return exactly `length` bytes. */
export interface StreamSource {
  size: number;
  read(offset: number, length: number): Uint8Array;
}

/** A recording opened for ranged reads (openRecordingStream / openWfdbStream): the header was
 *  read and checked, samples are read on demand. Keeps its source; delete() when done. */
export interface RecordingStream extends EmbindHandle {
  readonly fsHz: number;
  readonly nLeads: number;
  readonly nSamples: number;
  readonly durationS: number;
  leadNames(): string[];
  units(): string[];
  startTime(): string | null;
  guessRoles(): LeadRoles;
  /** Samples [start, start + count) of every lead, µV: one Float32Array per lead. */
  read(start: number, count: number): Float32Array[];
}

/** analyze()'s options but engineOutputs (FHNet runs on our engine, from options.model). */
export interface StreamOptions extends Omit<AnalyzeOptions, 'engineOutputs'> {
  chunkS?: number;   // kept part of each chunk, seconds (default 600; 60-s margins either side)
}

/** One chunk's final results (analyzeStream's onChunk), in order, covering the recording. */
export interface StreamChunk {
  index: number; nChunks: number;
  start: number; end: number;        // samples [start, end) of the recording
  fecg: Float32Array[];              // per abdominal lead, µV, end - start values
  fetalBeats: Int32Array;            // beats found in this chunk, samples of the recording
  maternalBeats: Int32Array;
}
/** Return false to cancel (analyzeStream then throws an AbortError). */
export type ChunkFn = (chunk: StreamChunk) => boolean | void;

export interface SimulateOptions {
  seconds?: number;      // default 60
  seed?: number;         // default 1; same seed, same recording
  leads?: number;        // abdominal leads, 1..32, default 4
  fsHz?: number;         // default 1000
  snrFmDb?: number;      // fetal-to-maternal power, default drawn N(-9, 2)
  snrMnDb?: number;      // maternal-to-noise power, default drawn U(0, 12)
  maternalBpm?: number;  // default drawn U(60, 100)
  fetalBpm?: number;     // default drawn U(110, 160); with fhrScenario: the baseline
  /** A scripted fetal heart rate with known events (fecg synth --fhr-scenario). */
  fhrScenario?: 'steady' | 'accelerations' | 'decelerations' | 'bradycardia' | 'tachycardia' | 'mixed';
}

export interface Simulation {
  recording: Recording;          // the mixture, leads "Abdomen_1".."Abdomen_K" (delete() it)
  fetalPeaks: Int32Array;        // true fetal R peaks, samples
  maternalPeaks: Int32Array;
  fetalTruthLeads: Float32Array[];  // true fetal component per lead, µV
  snrFmDb: number; snrMnDb: number; fetalBpm: number; maternalBpm: number;
  fhrTruthJson: string | null;   // with fhrScenario: {"fhr_baseline_bpm", "fhr_events": [...]}
}

export interface BeatScore {
  truePositives: number; falsePositives: number; falseNegatives: number;
  sensitivity: number; ppv: number; f1: number;
}

export interface FecgModule {
  /** EDF/EDF+ (by extension .edf or by content) or CSV (.csv/.txt/.tsv). */
  openRecording(bytes: Uint8Array, fileName: string, options?: OpenOptions): Recording;
  /** A WFDB record: the .hea text and its signal files by name (as the header names them). */
  openWfdb(headerText: string, files: Map<string, Uint8Array> | Record<string, Uint8Array>): Recording;
  analyze(recording: Recording, options?: AnalyzeOptions, onProgress?: ProgressFn): Result;
  /** An EDF file (.edf) for ranged reads: memory stays bounded however long the recording is.
   *  Refused: EDF+D, leads at different rates (openRecording reads those whole). */
  openRecordingStream(fileName: string, source: StreamSource): RecordingStream;
  /** A WFDB record for ranged reads: the header text and a source per signal file (not format 8). */
  openWfdbStream(headerText: string, sources: Map<string, StreamSource> | Record<string, StreamSource>): RecordingStream;
  /** The pipeline in chunks (chunkS long, 60-s margins), as `fecg extract --stream on`: each
   *  chunk's fECG and beats go to onChunk; the Result summarises the whole recording (beats, fhr,
   *  mhr, quality, summaryJson, fqrsBytes, fhrCsv) and keeps no fECG (nLeads 0, fecgCsv throws). */
  analyzeStream(stream: RecordingStream, options?: StreamOptions, onProgress?: ProgressFn, onChunk?: ChunkFn): Result;
  /** FHNet on another engine, first phase: runs the pipeline up to the network and returns the
   *  windows it would run (the rest of that run is discarded). Run the network on them, then
   *  analyze(recording, {...sameOptions, method: 'fhnet', engineOutputs: {...windows, fecg, rpeakProb}}). */
  captureFhnetWindows(recording: Recording, options?: CaptureOptions, onProgress?: ProgressFn): FhnetWindows;
  /** SHA-256 of bytes, 64 lowercase hex digits (checks model files against their card). */
  sha256Hex(bytes: Uint8Array): string;
  simulate(options?: SimulateOptions): Simulation;
  /** The recording as a 16-bit EDF+C file. */
  encodeEdf(recording: Recording): Uint8Array;
  /** A WFDB annotation file (.qrs, .fqrs, .atr): its beats (sample indices) and all annotations. */
  parseAnnotations(bytes: Uint8Array): { beats: Int32Array; annotations: Annotation[]; timeResolutionHz: number };
  /** One-to-one beat matching within ±toleranceS (default 0.05 s), as the CLI scores. */
  scoreBeats(reference: ArrayLike<number>, test: ArrayLike<number>, fsHz: number, toleranceS?: number): BeatScore;
  /** Heart-rate error of test beats against reference beats (eval/metrics.h score_heart_rate):
   *  n comparison instants; maeBpm and mseBpm2 are null when n is 0. */
  scoreHeartRate(reference: ArrayLike<number>, test: ArrayLike<number>, fsHz: number): { n: number; maeBpm: number | null; mseBpm2: number | null };
  // The method run when none is asked for, by the core's rule on a model card (models/fhnet.json
  // text; "" for no model): FHNet when the card says training.trained, else TS-ICA.
  defaultMethod(cardJson: string): { trained: boolean; method: Method };
  /** The model card (models/fhnet.json text) and weights (models/fhnet.safetensors bytes). */
  loadFhnet(cardJson: string, weights: Uint8Array): FhnetModel;
  version(): string;
}

export interface FecgModuleOptions {
  wasmBinary?: ArrayBuffer | Uint8Array;          // required in node (fetch of file paths fails)
  locateFile?: (path: string, prefix: string) => string;
}

export default function createFecgModule(options?: FecgModuleOptions): Promise<FecgModule>;
