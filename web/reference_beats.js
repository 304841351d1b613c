// Reference beats a researcher brings beside a recording: a CSV of beat times, read here; WFDB
// annotation files (.fqrs, .qrs, .atr) are binary and read by the core (fecg.parseAnnotations).
// Pure: no DOM, no module; tests import it directly.
//
//   parseBeatCsv('sample,time_s\n512,0.512\n...', 1000)  → {beats: [512, ...], read: 'the "sample" column'}

const SAMPLE_COLS = ['sample', 'samples', 'sample_index', 'index'];
const TIME_COLS = ['time_s', 'time', 'seconds', 'sec', 't', 'time (s)'];
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

// Beats as sample indices of a recording at fsHz, from CSV text: a column named sample (indices)
// or time_s/time/seconds (s); without a header, one number per row, read as seconds when any has
// a fraction and as sample indices otherwise (our own beats CSV and WFDB's rdann both give both).
// Throws with the line at fault. `read` says which reading was used, for the page to show.
export function parseBeatCsv(text, fsHz) {
  if (!(fsHz > 0)) throw new Error('reference: the recording\'s sampling rate is unknown');
  const lines = String(text).split(/\r?\n/).map((l) => l.trim());
  const rows = [];
  lines.forEach((l, i) => { if (l && !l.startsWith('#')) rows.push({ line: i + 1, fields: l.split(/[,;\t]/).map((f) => f.trim().replace(/^"|"$/g, '')) }); });
  if (!rows.length) throw new Error('reference: the CSV is empty');
  let col = 0, unit = null, start = 0, read;
  const header = rows[0].fields.map((f) => f.toLowerCase());
  if (!header.every((f) => NUMBER.test(f))) {
    start = 1;
    const s = header.findIndex((h) => SAMPLE_COLS.includes(h));
    const t = header.findIndex((h) => TIME_COLS.includes(h));
    if (s >= 0) { col = s; unit = 'sample'; read = `the "${rows[0].fields[s]}" column as sample numbers`; }
    else if (t >= 0) { col = t; unit = 's'; read = `the "${rows[0].fields[t]}" column as seconds`; }
    else throw new Error(`reference: line ${rows[0].line}: no column named sample or time_s (found ${rows[0].fields.join(', ')})`);
  }
  const values = [];
  for (const r of rows.slice(start)) {
    const f = r.fields[col];
    if (f === undefined || !NUMBER.test(f)) throw new Error(`reference: line ${r.line}: expected a number in column ${col + 1}, found '${f ?? ''}'`);
    values.push(Number(f));
  }
  if (!values.length) throw new Error('reference: the CSV has a header but no beats');
  if (!unit) {
    unit = values.some((v) => !Number.isInteger(v)) ? 's' : 'sample';
    read = unit === 's' ? 'one number per row, as seconds (some have fractions)' : `one whole number per row, as sample numbers at ${fsHz} Hz`;
  }
  const beats = values.map((v) => (unit === 's' ? Math.round(v * fsHz) : Math.round(v)));
  if (beats.some((b) => b < 0)) throw new Error('reference: a beat lies before the recording\'s start (negative time)');
  beats.sort((a, b) => a - b);
  return { beats, read };
}

// WFDB annotation samples are counted at the annotation file's time resolution (its header's
// "time resolution" field, else the record's rate): rescaled to the recording's rate when they differ.
export function rescaleAnnotationBeats(beats, timeResolutionHz, fsHz) {
  if (!(timeResolutionHz > 0) || Math.abs(timeResolutionHz - fsHz) < 1e-9) return Array.from(beats);
  return Array.from(beats, (b) => Math.round((b * fsHz) / timeResolutionHz));
}

// The reference's beat-to-beat FHR (60 / RR at the later beat), RR outside 0.25–2 s left out as
// eval/metrics.h does (a missed or doubled annotation), for drawing beside the found FHR.
export function referenceFhr(beats, fsHz) {
  const timeS = [], bpm = [];
  for (let i = 1; i < beats.length; i++) {
    const rr = (beats[i] - beats[i - 1]) / fsHz;
    if (rr < 0.25 || rr > 2) continue;
    timeS.push(beats[i] / fsHz);
    bpm.push(60 / rr);
  }
  return { timeS, bpm };
}
