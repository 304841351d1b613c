// Long recordings in the analysis worker: files read piece by piece (File.slice, never whole),
// the memory budget that decides between analysing a recording whole and streaming it, and the
// min/max plot decimation done chunk by chunk. Used by worker.js only (it needs FileReaderSync,
// which exists in workers).
//
// The budget (README "Long recordings"; figures measured by tests/node/bench_wasm_stream.mjs on
// 4-lead 1 kHz EDF recordings, TS-ICA: the WebAssembly heap reached 295 MB analysing 1 h whole,
// 87 MB streaming 1 h and 87 MB streaming 10 h):
// - analysed whole: up to 30 min of 4 leads at 1 kHz (7.2 million samples, about 150 MB of heap),
//   as the CLI does;
// - longer EDF and WFDB recordings are streamed in chunks of at most 10 min × 4 leads × 1 kHz
//   (2.4 million samples, fewer minutes for more leads or faster rates): the heap stays near
//   90 MB whatever the length, up to 48 h;
// - files that cannot be read by ranges (CSV, EDF with mixed rates, WFDB format 8) must fit the
//   whole-analysis budget: a CSV above 100 MB, other files above 15 MB, are refused.

export const WHOLE_MAX_SAMPLES = 4 * 1000 * 30 * 60;  // leads × samples analysed at once
export const STREAM_CHUNK_SAMPLES = 4 * 1000 * 600;   // leads × samples of one streamed chunk
export const STREAM_MAX_S = 48 * 3600;
export const CSV_MAX_BYTES = 100 * 1024 * 1024;       // ~12 bytes per value: ~2 h of 1 lead… 30 min of 4
export const WHOLE_MAX_BYTES = 15 * 1024 * 1024;      // 16-bit samples: 7.2 million of them

const MB = 1024 * 1024;

// A file given by the page: {name, file: File} (read here in slices) or {name, bytes: ArrayBuffer}.
export function fileSize(f) {
  return f.file ? f.file.size : f.bytes.byteLength;
}

export function readWhole(f) {
  return f.file ? new Uint8Array(new FileReaderSync().readAsArrayBuffer(f.file)) : new Uint8Array(f.bytes);
}

// {size, read(offset, length)} over a File (File.slice + FileReaderSync: only the bytes asked
// for are read) or over bytes already in memory.
export function streamSource(f) {
  if (!f.file) {
    const bytes = new Uint8Array(f.bytes);
    return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
  }
  const reader = new FileReaderSync();
  return {
    size: f.file.size,
    read: (offset, length) => new Uint8Array(reader.readAsArrayBuffer(f.file.slice(offset, offset + length))),
  };
}

// Refuses a file that would have to be read whole but exceeds the budget.
export function checkWholeBudget(f, why) {
  const isCsv = /\.(csv|txt|tsv)$/i.test(f.name);
  const limit = isCsv ? CSV_MAX_BYTES : WHOLE_MAX_BYTES;
  if (fileSize(f) > limit) {
    throw new Error(`open: ${f.name} is ${(fileSize(f) / MB).toFixed(0)} MB; ${why ? `${why}, so it` : 'it'} would be read ` +
      `and analysed whole, and the page analyses at most ${(limit / MB).toFixed(0)} MB of ${isCsv ? 'CSV' : 'such files'} ` +
      '(about 30 min of 4 leads at 1 kHz) to stay within its memory budget. Convert it to EDF (streamed in chunks ' +
      'here), or use the command line: fecg extract streams recordings of any length.');
  }
}

// Decides, for a recording opened as a stream, whether to read it whole (short) or to keep the
// stream (long). Throws when it is too long even to stream.
export function shouldStream(stream) {
  if (stream.durationS > STREAM_MAX_S) {
    throw new Error(`open: the recording lasts ${(stream.durationS / 3600).toFixed(1)} h; the page analyses at most ` +
      `${STREAM_MAX_S / 3600} h (use the command line, fecg extract, for longer ones)`);
  }
  return stream.nLeads * stream.nSamples > WHOLE_MAX_SAMPLES;
}

// Chunk length (s) for a stream: 10 min for 4 leads at 1 kHz, shorter for more leads or faster
// rates, so that a chunk's working memory stays the same; at least 60 s.
export function chunkSeconds(stream) {
  return Math.max(60, Math.min(600, Math.floor(STREAM_CHUNK_SAMPLES / (stream.nLeads * stream.fsHz))));
}

// Min/max decimation of leads × nSamples into `buckets` buckets, fed block by block in order:
// the same picture as worker.js's plotSeries of the whole signal, without holding it.
export class PlotDecimator {
  constructor(nLeads, nSamples, fsHz, maxPoints) {
    this.n = nSamples;
    this.fsHz = fsHz;
    this.buckets = Math.max(1, Math.min(Math.floor(maxPoints / 2), nSamples));
    this.step = nSamples / this.buckets;
    this.lo = Array.from({ length: nLeads }, () => new Float32Array(this.buckets).fill(Infinity));
    this.hi = Array.from({ length: nLeads }, () => new Float32Array(this.buckets).fill(-Infinity));
    this.iLo = Array.from({ length: nLeads }, () => new Float64Array(this.buckets));
    this.iHi = Array.from({ length: nLeads }, () => new Float64Array(this.buckets));
  }

  // leads: one Float32Array per lead, samples [start, start + leads[0].length).
  add(start, leads) {
    leads.forEach((lead, k) => {
      const lo = this.lo[k], hi = this.hi[k], iLo = this.iLo[k], iHi = this.iHi[k];
      for (let j = 0; j < lead.length; j++) {
        const i = start + j;
        const b = Math.min(this.buckets - 1, Math.floor(i / this.step));
        const v = lead[j];
        if (v < lo[b]) { lo[b] = v; iLo[b] = i; }
        if (v > hi[b]) { hi[b] = v; iHi[b] = i; }
      }
    });
  }

  // {x: Float64Array seconds, y: Float32Array[] per lead}, two points per bucket in time order.
  result() {
    const x = new Float64Array(2 * this.buckets);
    for (let b = 0; b < this.buckets; b++) {
      const i0 = Math.floor(b * this.step), i1 = Math.min(this.n, Math.floor((b + 1) * this.step));
      x[2 * b] = i0 / this.fsHz;
      x[2 * b + 1] = (i0 + Math.max(i0, i1 - 1)) / 2 / this.fsHz;
    }
    const y = this.lo.map((lo, k) => {
      const out = new Float32Array(2 * this.buckets);
      const hi = this.hi[k], iLo = this.iLo[k], iHi = this.iHi[k];
      for (let b = 0; b < this.buckets; b++) {
        const l = Number.isFinite(lo[b]) ? lo[b] : 0, h = Number.isFinite(hi[b]) ? hi[b] : 0;
        out[2 * b] = iLo[b] <= iHi[b] ? l : h;
        out[2 * b + 1] = iLo[b] <= iHi[b] ? h : l;
      }
      return out;
    });
    return { x, y };
  }
}

// The raw leads of a stream, decimated for the plot, read in blocks of `chunkS` seconds.
export function streamOverview(stream, maxPoints, chunkS) {
  const d = new PlotDecimator(stream.nLeads, stream.nSamples, stream.fsHz, maxPoints);
  const block = Math.max(1, Math.floor(chunkS * stream.fsHz));
  for (let start = 0; start < stream.nSamples; start += block) {
    d.add(start, stream.read(start, Math.min(block, stream.nSamples - start)));
  }
  return d.result();
}
