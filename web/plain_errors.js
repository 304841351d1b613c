// Error messages for people: the C++ core and the worker say which function failed and what it
// expected ("openRecording: …", "edf: version field is …"), which an engineer needs and a midwife
// cannot act on. plainError turns one into {title, advice, detail}: what went wrong with which file,
// what to do, and the original message kept whole as the technical detail (the page shows it in a
// <details> element). Pure: no DOM, so tests import it directly.
//
//   plainError({ where: 'open', message: 'edf: version field is …', files: ['x.edf'] })
//   → { title: '"x.edf" is not a readable EDF file.', advice: 'Export the recording again …', detail: 'edf: …' }

const OPEN_FORMATS = 'Open an EDF file (.edf), a WFDB record (its .hea header together with its .dat signal file) or a CSV of samples (.csv).';

// Internal prefixes the core puts first: "openRecording: ", "edf: ", "wfdb header: ", "Result.fecg: ",
// "scoreBeats(reference): ", possibly several ("open: edf: …").
const PREFIX = /^(?:[A-Za-z][\w.]*(?:\s(?:header|signal|annotations?))?(?:\([\w ]*\))?:\s+)+/;

// The message without the internal prefixes and empty "(given: [])" asides, for the one-line title.
export function stripInternal(message) {
  return String(message ?? '').replace(PREFIX, '').replace(/\s*\(given: \[\]\)/g, '').trim();
}

function quoted(files) {
  const names = (files ?? []).filter(Boolean);
  if (!names.length) return 'The file';
  if (names.length === 1) return `"${names[0]}"`;
  return `The files ${names.map((n) => `"${n}"`).join(', ')}`;
}

// Rules in order: the first whose test matches the raw message (and the stage) gives the words.
const RULES = [
  {
    test: (m, where) => where === 'reference' || /^(reference|parseAnnotations|wfdb annotations?):/i.test(m),
    title: (f) => `${quoted(f)} could not be read as reference beats.`,
    advice: 'Give a WFDB annotation file (.fqrs, .qrs or .atr) of this recording, or a CSV with one beat per row (a column "sample" or "time_s").',
  },
  {
    test: (m) => /needs its \.hea header/.test(m),
    title: (f) => `${quoted(f)} is the signal part of a WFDB record: it needs its .hea header.`,
    advice: 'Choose the .hea file and its .dat file together (select both in the file dialog, or drop both at once).',
  },
  {
    test: (m) => /files given; open one/.test(m),
    title: (f) => `${quoted(f)} cannot be opened together.`,
    advice: OPEN_FORMATS,
  },
  {
    test: (m) => /over the|too long|longer than|MB are refused|budget/i.test(m) && !/^edf/i.test(m),
    title: (f) => `${quoted(f)} is too large to analyse in this browser.`,
    advice: 'Convert it to EDF (read in pieces, up to 48 h), or analyse a shorter part of it.',
  },
  {
    test: (m) => /cannot tell the format|expected an \.edf file|unknown (file )?format|not a recording/i.test(m),
    title: (f) => `${quoted(f)} is not a recording this page can read.`,
    advice: OPEN_FORMATS,
  },
  {
    test: (m) => /BDF file/.test(m),
    title: (f) => `${quoted(f)} is a BDF file (24-bit samples); this page reads 16-bit EDF and EDF+ only.`,
    advice: 'Export the recording as EDF or EDF+ from the recorder\'s software, or convert it (for example with EDFbrowser).',
  },
  {
    test: (m) => /\bedf\+?:\s*(version field|header (size|says)|number of (signals|data records)|file is|data record)/i.test(m),
    title: (f) => `${quoted(f)} is not a readable EDF file: its header does not follow the EDF standard.`,
    advice: 'Check that the file is a whole EDF or EDF+ export from the recorder (not renamed from another format and not cut short), then export it again if needed.',
  },
  {
    test: (m) => /\bedf\+?:/i.test(m),
    title: (f, m) => `${quoted(f)} could not be read as EDF: ${stripInternal(m).replace(/\.$/, '')}.`,
    advice: 'Check that the file is a whole EDF or EDF+ export from the recorder (not renamed from another format and not cut short), then export it again if needed.',
  },
  {
    test: (m) => /names the signal file '[^']+'/.test(m),
    title: (f, m) => `${quoted(f)} names the signal file "${m.match(/names the signal file '([^']+)'/)[1]}", which was not given with it.`,
    advice: 'Choose the .hea header together with every signal file it names (select them all in the file dialog, or drop them at once).',
  },
  {
    test: (m) => /wfdb|\.hea\b|\.dat\b/i.test(m),
    title: (f) => `${quoted(f)} could not be read as a WFDB record.`,
    advice: 'Choose the .hea header together with every signal file it names (for example a01.hea and a01.dat), as downloaded from PhysioNet.',
  },
  {
    test: (m) => /csv|column|row \d+|delimiter|number/i.test(m),
    title: (f) => `${quoted(f)} could not be read as a table of samples.`,
    advice: 'A CSV needs one column per lead and one row per sample, numbers only (a first row of lead names is allowed). Check the sampling rate and units you gave.',
  },
  {
    test: (m) => /^(model|ort|network):/.test(m),
    title: () => 'The FHNet model could not be used.',
    advice: 'Choose another method (TS-ICA works without the model), or reload the page to fetch the model again.',
  },
  {
    test: (m, where) => where === 'analyze',
    title: (f, m) => `The analysis stopped before it finished${stripInternal(m) ? `: ${stripInternal(m).replace(/\.$/, '')}` : ''}.`,
    advice: 'Try another set of abdominal leads, another method, or a longer or cleaner recording.',
  },
  {
    test: (m, where) => where === 'load',
    title: () => 'The analysis engine could not be loaded.',
    advice: 'Reload the page. If it keeps failing, this browser may not support WebAssembly modules in workers.',
  },
  {
    test: (m, where) => where === 'export' || where === 'package' || where === 'report',
    title: () => 'The export could not be made.',
    advice: 'Analyse the recording again, then retry the export.',
  },
];

// {where: 'open'|'demo'|'analyze'|'export'|'load'|'reference'|..., message, files: [names]}
export function plainError({ where = '', message = '', files = [] } = {}) {
  const raw = String(message ?? '');
  const rule = RULES.find((r) => r.test(raw, where));
  const reason = stripInternal(raw);
  if (rule) return { title: rule.title(files, raw), advice: rule.advice, detail: raw };
  const what = where === 'open' || where === 'reference' ? `${quoted(files)} could not be opened` : 'Something went wrong';
  return { title: `${what}${reason ? `: ${reason.replace(/\.$/, '')}` : ''}.`, advice: OPEN_FORMATS, detail: raw };
}

// Whether the first bytes of a text file look like a table of numbers (a CSV of samples): at least
// two data rows whose fields are numbers, after at most one header row. Guards the CSV options
// form: a .txt that is prose or binary gets an error, not a form asking for its sampling rate.
export function looksLikeNumericTable(text) {
  if (/\u0000/.test(text)) return false;
  const lines = String(text).split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  // The last line may be cut where the sniffed slice ended.
  const rows = lines.length > 3 ? lines.slice(0, -1) : lines;
  const numeric = (l) => l.split(/[,;\t ]+/).filter(Boolean).every((f) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(f) || /^nan$/i.test(f));
  const data = rows.slice(numeric(rows[0] ?? '') ? 0 : 1);
  return data.length >= 2 && data.slice(0, 50).every(numeric);
}
