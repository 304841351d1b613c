// The analysis as an HL7 FHIR R4 Bundle (type "collection"), so that a hospital system can ingest
// the share package: a DiagnosticReport (the PDF report as its presentedForm) with Observations
// for the fetal heart rate, the maternal heart rate and the mean beat intervals, the software as a
// Device, the patient and gestational age as the user typed them. LOINC codes where LOINC has one
// (55283-6 fetal heart rate, 8867-4 heart rate, 49051-6 gestational age in weeks, 11524-6 EKG
// study); the beat intervals carry text only (no LOINC code for a mean fetal R-R interval that we
// know of). A value the analysis could not measure reliably is absent with a dataAbsentReason and
// the reason as text, never a number. Pure (no DOM): tests validate its output against the
// official R4 JSON schema (fhir.schema.json).
//
//   const bundle = fhirBundle({ fields, result, software, pdfBase64, issued: new Date(), uuid: () => crypto.randomUUID() });

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const ABSENT = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';  // diagnostic service sections

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const perMin = (v) => ({ value: round(v), unit: 'beats/minute', system: UCUM, code: '/min' });

// "34+2", "34w2d", "34 weeks 2 days", "34.3" → weeks (number), or null when the text is not one.
export function gestationalWeeks(text) {
  const t = String(text ?? '').trim().toLowerCase();
  if (!t) return null;
  let m = t.match(/^(\d{1,2})\s*(?:\+|w|weeks?)\s*(?:(\d)\s*(?:d|days?)?)?$/);
  if (m) return Number(m[1]) + (m[2] ? Number(m[2]) / 7 : 0);
  m = t.match(/^(\d{1,2}(?:\.\d+)?)$/);
  return m ? Number(m[1]) : null;
}

// A FHIR date (YYYY-MM-DD) when the text is one, else null.
function fhirDate(text) {
  const t = String(text ?? '').trim();
  return /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(t) ? t : null;
}

// fields: {patientId, gestationalAge, date, operator, notes} (the report form, all optional text)
// result: {recordName, method, engine, fhr: {meanBpm, minBpm, maxBpm, message}, mhr: {meanBpm},
//          fetalRrMs, maternalRrMs, reliability: {state, headline, nReliable, nWindows, reliableS, totalS}}
// software: {name, version, modelSha256, modelName}
// extraObservations: [{code: CodeableConcept, valueQuantity | valueString | dataAbsentReason, note}]
//   (more results, e.g. from the averaged-beat view, join the report as they are)
export function fhirBundle({ fields = {}, result, software = {}, pdfBase64 = '', issued = new Date(), uuid, extraObservations = [] }) {
  if (typeof uuid !== 'function') throw new Error('fhir: a uuid() function is needed');
  const instant = issued.toISOString();
  const effective = fhirDate(fields.date) ?? instant;
  const entries = [];
  const add = (resource) => {
    const fullUrl = `urn:uuid:${uuid()}`;
    entries.push({ fullUrl, resource });
    return fullUrl;
  };

  let subject = null;
  const patientId = String(fields.patientId ?? '').trim();
  if (patientId) subject = { reference: add({ resourceType: 'Patient', identifier: [{ use: 'usual', value: patientId }] }) };

  const versions = [{ type: { text: 'software' }, value: String(software.version || 'unknown') }];
  if (software.modelSha256) versions.push({ type: { text: `${software.modelName || 'FHNet'} model weights sha256` }, value: software.modelSha256 });
  const device = { reference: add({
    resourceType: 'Device',
    deviceName: [{ name: software.name || 'FHNet-Web', type: 'user-friendly-name' }],
    version: versions,
    note: [{ text: 'Fetal ECG analyzer run in the user\'s browser; not a medical device.' }],
  }) };

  const operator = String(fields.operator ?? '').trim();
  const rel = result.reliability ?? {};
  const relNote = rel.headline ? [{ text: rel.headline }] : [];
  const observation = (code, value, extra = {}) => {
    const obs = {
      resourceType: 'Observation', status: 'preliminary',
      category: [{ coding: [{ system: OBS_CATEGORY, code: 'vital-signs', display: 'Vital Signs' }] }],
      code, effectiveDateTime: effective, issued: instant, device, ...value, ...extra,
    };
    if (subject) obs.subject = subject;
    return obs;
  };
  const absent = (why) => ({ dataAbsentReason: { coding: [{ system: ABSENT, code: 'unknown', display: 'Unknown' }], text: why } });
  const observations = [];

  const fhr = result.fhr ?? {};
  const fhrComponents = [];
  if (Number.isFinite(fhr.minBpm)) fhrComponents.push({ code: { text: 'Minimum fetal heart rate (reliable beats)' }, valueQuantity: perMin(fhr.minBpm) });
  if (Number.isFinite(fhr.maxBpm)) fhrComponents.push({ code: { text: 'Maximum fetal heart rate (reliable beats)' }, valueQuantity: perMin(fhr.maxBpm) });
  if (Number.isFinite(rel.reliableS) && rel.totalS > 0) {
    fhrComponents.push({ code: { text: 'Share of the recording with a reliable fetal heart rate' },
      valueQuantity: { value: round((100 * rel.reliableS) / rel.totalS), unit: '%', system: UCUM, code: '%' } });
  }
  observations.push(observation(
    { coding: [{ system: LOINC, code: '55283-6', display: 'Fetal Heart rate' }], text: 'Fetal heart rate, mean of reliable beat-to-beat values (fetal ECG)' },
    Number.isFinite(fhr.meanBpm) ? { valueQuantity: perMin(fhr.meanBpm) } : absent(fhr.message || rel.headline || 'no reliable fetal heart rate'),
    { ...(fhrComponents.length ? { component: fhrComponents } : {}), ...(relNote.length ? { note: relNote } : {}) },
  ));
  const mhr = result.mhr ?? {};
  observations.push(observation(
    { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }], text: 'Maternal heart rate, mean (abdominal ECG)' },
    Number.isFinite(mhr.meanBpm) ? { valueQuantity: perMin(mhr.meanBpm) } : absent('no maternal heart rate was found'),
  ));
  const ms = (v) => ({ valueQuantity: { value: round(v, 0), unit: 'ms', system: UCUM, code: 'ms' } });
  observations.push(observation({ text: 'Fetal R-R interval, mean over reliable beats' },
    Number.isFinite(result.fetalRrMs) ? ms(result.fetalRrMs) : absent(fhr.message || 'no reliable fetal beats')));
  observations.push(observation({ text: 'Maternal R-R interval, mean' },
    Number.isFinite(result.maternalRrMs) ? ms(result.maternalRrMs) : absent('no maternal beats')));
  const weeks = gestationalWeeks(fields.gestationalAge);
  const gaText = String(fields.gestationalAge ?? '').trim();
  if (gaText) {
    observations.push(observation({ coding: [{ system: LOINC, code: '49051-6', display: 'Gestational age in weeks' }] },
      weeks !== null ? { valueQuantity: { value: round(weeks, 2), unit: 'wk', system: UCUM, code: 'wk' } } : { valueString: gaText },
      { category: [{ coding: [{ system: OBS_CATEGORY, code: 'exam', display: 'Exam' }] }] }));
  }
  for (const extra of extraObservations) observations.push(observation(extra.code, extra.value ?? {}, extra.note ? { note: [{ text: extra.note }] } : {}));
  const refs = observations.map((o) => ({ reference: add(o) }));

  const method = result.engine ? `${result.method} on ${result.engine}` : result.method;
  const conclusion = [
    rel.headline,
    Number.isFinite(fhr.meanBpm) ? `Mean fetal heart rate ${round(fhr.meanBpm)} bpm.` : `Fetal heart rate: ${fhr.message || 'not measured reliably'}.`,
    `Method: ${method}. Recording: ${result.recordName}.`,
  ].filter(Boolean).join(' ');
  const report = {
    resourceType: 'DiagnosticReport', status: 'preliminary',
    category: [{ coding: [{ system: V2_0074, code: 'EC', display: 'Electrocardiac' }] }],
    code: { coding: [{ system: LOINC, code: '11524-6', display: 'EKG study' }], text: 'Fetal ECG from abdominal leads (non-invasive)' },
    effectiveDateTime: effective, issued: instant,
    result: refs, conclusion,
  };
  if (subject) report.subject = subject;
  if (operator) report.performer = [{ display: operator }];
  if (pdfBase64) {
    report.presentedForm = [{ contentType: 'application/pdf', data: pdfBase64, title: `FHNet-Web report: ${result.recordName}`, creation: instant }];
  }
  const notes = String(fields.notes ?? '').trim();
  if (notes) report.conclusion += ` Notes: ${notes}`;
  // The report first: a reader of the bundle meets the summary before its parts.
  const reportUrl = `urn:uuid:${uuid()}`;
  entries.unshift({ fullUrl: reportUrl, resource: report });
  return { resourceType: 'Bundle', type: 'collection', timestamp: instant, entry: entries };
}

// The CTG's FIGO 2015 features (fecg.d.ts CtgAnalysis) as extra Observations for fhirBundle: the
// baseline, variability, short-term variability and signal loss, text-coded (no LOINC code for
// these FIGO features that we know of); a feature the analysis could not give is absent with its
// reason (whyMissing), never a number.
export function ctgObservations(ctg) {
  if (!ctg) return [];
  const absent = (why) => ({ dataAbsentReason: { coding: [{ system: ABSENT, code: 'unknown', display: 'Unknown' }], text: why || 'not measurable' } });
  const q = (v, unit, code, d = 1) => ({ valueQuantity: { value: round(v, d), unit, system: UCUM, code } });
  const why = (name) => ctg.whyMissing?.[name];
  return [
    { code: { text: 'CTG baseline fetal heart rate (FIGO 2015, Mantel 1990)' },
      value: Number.isFinite(ctg.baselineBpm) ? q(ctg.baselineBpm, 'beats/minute', '/min', 0) : absent(why('baselineBpm')) },
    { code: { text: 'CTG variability, median 1-min bandwidth (FIGO 2015)' },
      value: Number.isFinite(ctg.variabilityBpm) ? q(ctg.variabilityBpm, 'beats/minute', '/min') : absent(why('variabilityBpm')),
      note: ctg.variabilityBand ? `variability ${ctg.variabilityBand}` : undefined },
    { code: { text: 'CTG short-term variability (Dawes-Redman)' },
      value: Number.isFinite(ctg.stvMs) ? q(ctg.stvMs, 'ms', 'ms') : absent(why('stvMs')) },
    { code: { text: 'CTG signal loss' },
      value: Number.isFinite(ctg.signalLossPct) ? q(ctg.signalLossPct, '%', '%') : absent('not computed') },
  ];
}

// Base64 of bytes, in chunks (String.fromCharCode on a whole PDF would overflow the call stack).
export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
