// Long recordings and memory limits in the WebAssembly module (web/fecg.d.ts): a request too
// large for the heap is an error, not an abort, and the module keeps working; recordings opened
// for ranged reads (openRecordingStream, openWfdbStream) give the samples of the whole-file
// readers, and analyzeStream gives analyze()'s beats.
// Run: node --test tests/node/   (FECG_WASM_DIR: the folder of fecg.js + fecg.wasm, default build/wasm)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmDir = process.env.FECG_WASM_DIR || join(root, 'build', 'wasm');
const wasmPath = join(wasmDir, 'fecg.wasm');
const missingWasm = existsSync(wasmPath) ? false : `${wasmPath} is missing: build it with scripts/build.sh wasm`;
let fecg = null;
if (!missingWasm) {
  const { default: createFecgModule } = await import(pathToFileURL(join(wasmDir, 'fecg.js')).href);
  fecg = await createFecgModule({ wasmBinary: readFileSync(wasmPath) });
}

// A source over bytes in memory, counting what is read (a browser reads File.slice instead).
function memorySource(bytes) {
  const source = { size: bytes.length, bytesRead: 0 };
  source.read = (offset, length) => {
    source.bytesRead += length;
    return bytes.subarray(offset, offset + length);
  };
  return source;
}

function simulateEdf(seconds, seed) {
  const sim = fecg.simulate({ seconds, seed, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 9 });
  try {
    return { bytes: fecg.encodeEdf(sim.recording), fetalPeaks: sim.fetalPeaks };
  } finally {
    sim.recording.delete();
  }
}

test('a request too large for the heap is a RangeError naming the limit, and the module keeps working',
  { skip: missingWasm }, () => {
    // 300 million beat indices (an array-like of that length): 2.4 GB to allocate, beyond the
    // 2 GB heap, so the allocation itself fails (std::bad_alloc), not a size check.
    assert.throws(() => fecg.scoreBeats({ length: 3e8 }, [1, 2], 1000),
      (e) => e.name === 'RangeError' && /out of memory \(the module is limited to 2 GB\)/.test(e.message));
    // A size check before allocating: 32 leads × 10^6 s at 1 kHz (128 GB) is refused by name.
    assert.throws(() => fecg.simulate({ seconds: 1e6, leads: 32 }), /simulate: recording too large/);
    const sim = fecg.simulate({ seconds: 20, seed: 3, leads: 4 });
    const res = fecg.analyze(sim.recording, { method: 'ts' });
    assert.ok(res.fetalBeats().length > 30, `${res.fetalBeats().length} fetal beats after the out-of-memory error`);
    res.delete();
    sim.recording.delete();
  });

test('openRecordingStream reads the samples openRecording reads, piece by piece', { skip: missingWasm }, () => {
  const { bytes } = simulateEdf(30, 5);
  const whole = fecg.openRecording(bytes, 'sim.edf');
  const source = memorySource(bytes);
  const stream = fecg.openRecordingStream('sim.edf', source);
  try {
    assert.equal(stream.nSamples, whole.nSamples);
    assert.equal(stream.fsHz, whole.fsHz);
    assert.equal(stream.nLeads, whole.nLeads);
    assert.deepEqual(stream.leadNames(), whole.leadNames());
    assert.deepEqual(stream.guessRoles(), whole.guessRoles());
    // Opening read the header and the first data record only.
    assert.ok(source.bytesRead < 20000, `opening read ${source.bytesRead} bytes`);
    const block = stream.read(12345, 4321);
    assert.equal(block.length, 4);
    for (let i = 0; i < 4; i++) assert.deepEqual(block[i], whole.lead(i).subarray(12345, 12345 + 4321));
    assert.throws(() => stream.read(whole.nSamples - 10, 11), /outside the recording/);
    assert.throws(() => fecg.openRecordingStream('sim.csv', source), /only EDF/);
    assert.throws(() => fecg.openRecordingStream('cut.edf', memorySource(bytes.subarray(0, bytes.length - 7))),
      /truncated.*cut\.edf/);
    // A source whose read throws: the error carries its message; the stream stays usable.
    const failing = { size: bytes.length, read: (o, n) => { if (o > 100000) throw new Error('disk gone'); return bytes.subarray(o, o + n); } };
    const fragile = fecg.openRecordingStream('sim.edf', failing);
    assert.throws(() => fragile.read(29000, 10), /read threw: disk gone/);
    assert.equal(fragile.read(0, 10)[0].length, 10);
    fragile.delete();
  } finally {
    stream.delete();
    whole.delete();
  }
});

test('openWfdbStream reads the samples openWfdb reads (format 212, packed)', { skip: missingWasm }, () => {
  const dataDir = join(root, 'tests', 'data');
  const header = readFileSync(join(dataDir, 'fmt212.hea'), 'latin1');
  const dat = new Uint8Array(readFileSync(join(dataDir, 'fmt212.dat')));
  const whole = fecg.openWfdb(header, { 'fmt212.dat': dat });
  const stream = fecg.openWfdbStream(header, new Map([['fmt212.dat', memorySource(dat)]]));
  try {
    assert.equal(stream.nSamples, whole.nSamples);
    for (const [start, count] of [[0, whole.nSamples], [1, 3], [2, 3], [4, 1]]) {
      const block = stream.read(start, count);
      for (let i = 0; i < whole.nLeads; i++) {
        // NaN marks the format's invalid value in both readers.
        assert.deepEqual(Array.from(block[i]), Array.from(whole.lead(i).subarray(start, start + count)));
      }
    }
    assert.throws(() => fecg.openWfdbStream(header, {}), /names the signal file 'fmt212.dat' but it was not given/);
  } finally {
    stream.delete();
    whole.delete();
  }
});

test('analyzeStream finds analyze()\'s beats chunk by chunk, and can be cancelled', { skip: missingWasm }, () => {
  const { bytes, fetalPeaks } = simulateEdf(300, 7);
  const whole = fecg.openRecording(bytes, 'sim.edf');
  const stream = fecg.openRecordingStream('sim.edf', memorySource(bytes));
  const reference = fecg.analyze(whole, { method: 'ts' });
  const chunks = [];
  const fractions = [];
  const res = fecg.analyzeStream(stream, { method: 'ts', chunkS: 100, recordName: 'sim' },
    (f) => { fractions.push(f); return true; },
    (chunk) => { chunks.push({ start: chunk.start, end: chunk.end, leads: chunk.fecg.length, n: chunk.fecg[0].length, beats: chunk.fetalBeats.length }); });
  try {
    assert.deepEqual(chunks.map((c) => [c.start, c.end]), [[0, 100000], [100000, 200000], [200000, 300000]]);
    for (const c of chunks) assert.equal(c.n, c.end - c.start);
    assert.equal(chunks.reduce((s, c) => s + c.beats, 0), res.fetalBeats().length);
    assert.equal(fractions.at(-1), 1);
    // The beats of the whole recording: ICA unmixes each chunk on its own, so a window may take
    // its beats from another candidate of the pool a few ms away; within the scoring tolerance
    // they are the same beats, and they are as right as the whole recording's.
    const same = fecg.scoreBeats(reference.fetalBeats(), res.fetalBeats(), 1000);
    assert.ok(same.f1 >= 0.99, `streamed vs whole fetal beats F1 ${same.f1}`);
    const exact = fecg.scoreBeats(reference.fetalBeats(), res.fetalBeats(), 1000, 0.004);
    assert.ok(exact.f1 >= 0.85, `streamed vs whole fetal beats within 4 ms, F1 ${exact.f1}`);
    const wholeF1 = fecg.scoreBeats(fetalPeaks, reference.fetalBeats(), 1000).f1;
    const streamedF1 = fecg.scoreBeats(fetalPeaks, res.fetalBeats(), 1000).f1;
    assert.ok(streamedF1 >= 0.98 && streamedF1 >= wholeF1 - 0.01, `streamed F1 ${streamedF1}, whole ${wholeF1}`);
    assert.ok(Math.abs(res.fhr.meanBpm - reference.fhr.meanBpm) < 1);
    assert.equal(res.nLeads, 0);
    assert.throws(() => res.fecgCsv(), /streamed analysis keeps no fECG/);
    const summary = JSON.parse(res.summaryJson());
    assert.equal(summary.record, 'sim');
    assert.equal(summary.fetal.n_beats, res.fetalBeats().length);
    assert.ok(res.fqrsBytes().length > 0);

    // Cancel from onChunk: an AbortError; the stream can be analysed again.
    assert.throws(() => fecg.analyzeStream(stream, { method: 'ts', chunkS: 100 }, undefined, () => false),
      (e) => e.name === 'AbortError');
    assert.throws(() => fecg.analyzeStream(stream, { method: 'ts', chunkS: 100 }, undefined, () => { throw new Error('boom'); }),
      /onChunk threw: boom/);
    assert.throws(() => fecg.analyzeStream(stream, { chunkS: 5 }), /chunk length must be at least 30 s/);
    const again = fecg.analyzeStream(stream, { method: 'ts', chunkS: 100 });
    assert.deepEqual(again.fetalBeats(), res.fetalBeats());
    again.delete();
  } finally {
    res.delete();
    reference.delete();
    stream.delete();
    whole.delete();
  }
});
