// Result views that other modules add to the page and to the report, without editing app.js's
// layout: the CTG trace (web/ctg.js) and the averaged beat (web/morphology.js) register here, and
// app.js imports them for their side effect. A section gets a <figure> in the plots panel (in
// `order` among the others) and may add blocks to the PDF/PNG report (web/report.js block kinds).
//
//   // web/ctg.js
//   import { registerSection } from './sections.js';
//   registerSection({
//     id: 'ctg', title: 'CTG strip (FHR at 1 cm/min)', order: 30,
//     how: 'How to read this: …',                                   // shown under the title
//     render(ctx, container) { … draw into container (a <div>) … },  // after every result
//     async report(ctx) { return [{ kind: 'image', ...await ctx.chartImage(spec, xRange, 140), caption, how }]; },
//     fhir(ctx) { return [ /* extra Observations, see fhir.js extraObservations */ ]; },
//   });
//
// ctx (given by app.js): {result, info, truth, reference, reliability, fields, chartImage(spec,
// xRange, heightPt), colors}. `order`: the page's own views are 10 (raw), 20 (fECG), 30 (heart
// rate), 40 (quality), 50 (lead contributions), 60 (saliency); the report's images follow the
// same order.

const sections = [];

export function registerSection(section) {
  if (!section || typeof section.id !== 'string' || !section.id) throw new Error('sections: a section needs an id');
  if (sections.some((s) => s.id === section.id)) throw new Error(`sections: '${section.id}' is registered twice`);
  sections.push({ order: 100, ...section });
  sections.sort((a, b) => a.order - b.order);
}

export function registeredSections() { return sections.slice(); }
