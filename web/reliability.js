// How far a result can be trusted, in the page's words, from the pipeline's own per-window verdicts
// (src/detect/quality.h QualityWindow: reliable, confidence, why_unreliable, source; fecg.d.ts
// result.quality.windows[i] and result.fhr.reliable). Nothing here judges a signal: it only reads
// what the core decided, and says "unknown" when a result carries no verdict (an older module),
// never "reliable" by default. Pure (no DOM): tests import it directly.
//
//   const r = assessReliability(result);   // {state: 'reliable'|'partly'|'unreliable'|'unknown', ...}
//   const shown = reliableFhr(result.fhr);  // bpm and bpmSmooth with null where not reliable

// What to try when a result is not (fully) reliable, in the order a user can act on them.
export const WHAT_TO_TRY = [
  'Try another set of abdominal leads: leave out a lead with low signal quality in the quality plot.',
  'Try another method: TS-ICA if FHNet was used, FHNet if TS-ICA was.',
  'Try a longer recording, or a cleaner stretch with the mother still and the electrodes re-attached.',
];

function windowsOf(result) {
  return (result && result.quality && Array.isArray(result.quality.windows)) ? result.quality.windows : [];
}

// {state, known, nWindows, nReliable, reliableS, totalS, reasons: [{text, count}], sources: [{name, count}],
//  meanConfidence (reliable windows, or null), headline, advice}
export function assessReliability(result) {
  const wins = windowsOf(result);
  const known = wins.length > 0 && wins.every((w) => typeof w.reliable === 'boolean');
  const totalS = wins.reduce((s, w) => s + Math.max(0, w.endS - w.startS), 0);
  if (!known) {
    return {
      state: 'unknown', known: false, nWindows: wins.length, nReliable: null, reliableS: null, totalS, reasons: [], sources: [],
      meanConfidence: null,
      headline: 'Reliability unknown: this analysis did not report which stretches of the recording can be trusted.',
      advice: ['Treat the heart rates below as unverified: compare them with another method or with reference beats.'],
    };
  }
  const reliable = wins.filter((w) => w.reliable);
  const reliableS = reliable.reduce((s, w) => s + Math.max(0, w.endS - w.startS), 0);
  const counts = new Map();
  for (const w of wins) {
    if (w.reliable) continue;
    // Grouped by their words: a window's own figures in brackets ("low confidence (0.06): …")
    // would make every window's reason different.
    const why = String(w.whyUnreliable || 'no reason given').replace(/\s*\([^)]*\d[^)]*\)/g, '').trim();
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const reasons = [...counts].map(([text, count]) => ({ text, count })).sort((a, b) => b.count - a.count);
  const srcCounts = new Map();
  for (const w of reliable) if (w.source) srcCounts.set(w.source, (srcCounts.get(w.source) ?? 0) + 1);
  const sources = [...srcCounts].map(([name, count]) => ({ name, count }));
  const conf = reliable.map((w) => w.confidence).filter(Number.isFinite);
  const meanConfidence = conf.length ? conf.reduce((a, b) => a + b, 0) / conf.length : null;
  const fhrNull = result.fhr && result.fhr.meanBpm === null;
  const pct = totalS > 0 ? Math.round((100 * reliableS) / totalS) : 0;
  let state, headline;
  if (!reliable.length || fhrNull) {
    state = 'unreliable';
    headline = `Not reliable: no stretch of this recording gave a fetal heart rate that can be trusted (0 of ${wins.length} windows).`;
  } else if (reliable.length < wins.length) {
    state = 'partly';
    headline = `Reliable in ${reliable.length} of ${wins.length} windows (${pct} % of the time): the fetal heart rate is shown and averaged only there.`;
  } else {
    state = 'reliable';
    headline = `Reliable in all ${wins.length} windows.`;
  }
  return {
    state, known, nWindows: wins.length, nReliable: reliable.length, reliableS, totalS, reasons, sources, meanConfidence, headline,
    advice: state === 'reliable' ? [] : WHAT_TO_TRY.map((a) => (a.startsWith('Try another method') ? otherMethod(result) : a)),
  };
}

// The other method worth trying, named for the one that gave this result.
function otherMethod(result) {
  const used = result && result.method;
  if (used === 'fhnet') return 'Try another method: TS-ICA (choose it under Method and analyse again).';
  if (used === 'ts-ica') return 'Try another method: FHNet (choose it under Method and analyse again).';
  if (used) return 'Try another method: TS-ICA or FHNet (choose it under Method and analyse again).';
  return WHAT_TO_TRY[1];
}

// The beat-to-beat and smoothed FHR with null where the core marked a value not reliable, so that
// a plot draws gaps there (uPlot leaves null out). `known` is false when the series carries no
// flags (every value is then returned, and the page says reliability is unknown).
export function reliableFhr(fhr) {
  const n = fhr && fhr.bpm ? fhr.bpm.length : 0;
  const flags = fhr && fhr.reliable && fhr.reliable.length === n ? fhr.reliable : null;
  const keep = (arr) => Array.from(arr ?? [], (v, i) => (flags && !flags[i]) || !Number.isFinite(v) ? null : v);
  return { timeS: Array.from(fhr?.timeS ?? []), bpm: keep(fhr?.bpm), bpmSmooth: keep(fhr?.bpmSmooth), known: Boolean(flags) };
}

// Spans [startS, endS) of the windows the core did not trust (for shading plots), merged when adjacent.
export function unreliableSpans(result) {
  const spans = [];
  for (const w of windowsOf(result)) {
    if (w.reliable !== false) continue;
    const last = spans[spans.length - 1];
    if (last && w.startS <= last[1]) last[1] = Math.max(last[1], w.endS);
    else spans.push([w.startS, w.endS]);
  }
  return spans;
}
