// FHNet-Web's public API: read a recording, load the model, analyse, write the results. A library
// user includes this header alone; what it declares is the contract, everything under src/ that
// it does not name is internal and may change.
//
//   #include <fecg/fecg.h>
//
//   fecg::Recording rec = fecg::read_record("r01.edf");          // EDF/EDF+, WFDB or CSV; µV
//   fecg::LeadRoles roles = fecg::guess_lead_roles(rec);         // Abdomen_1..4 in, Direct_1 reference
//   fecg::PipelineParams params;                                 // defaults documented in pipeline.h
//   params.method = fecg::Method::fhnet;                         // the default of `fecg extract`
//   params.fhnet_model = std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model_dir("models"));
//   fecg::PipelineResult out = fecg::run_pipeline(rec, roles, params);
//   // Every 10-s window says whether its fetal rate may be shown; the summary comes from those
//   // that are reliable, and is empty (std::nullopt) when none is:
//   if (out.fhr.mean_bpm) std::printf("FHR %.1f bpm\n", *out.fhr.mean_bpm);
//   else std::printf("%s\n", fecg::kNoReliableFhr);
//   for (const fecg::QualityWindow& w : out.quality.windows)
//     std::printf("%.0f-%.0f s: %s (confidence %.2f)\n", w.start_s, w.end_s,
//                 w.reliable ? "reliable" : w.why_unreliable.c_str(), w.confidence);
//   fecg::ReportContext ctx{.record_name = "r01"};
//   std::string json = fecg::summary_json(out, ctx);            // the CLI's <name>.json
//   fecg::write_wfdb_annotations("r01.fqrs", fecg::beat_annotations(out.fetal_beats));
//
// Errors are fecg::Error (a std::runtime_error whose message names the file or function and what
// was expected); run_pipeline throws fecg::Cancelled when its progress callback returns false.
// No global state: every function is safe to call from several threads on different data (an
// FhnetModel is not re-entrant: one per thread, or clone_for_thread()).
#pragma once

#include "core/error.h"          // fecg::Error
#include "core/recording.h"      // Recording, LeadRoles, guess_lead_roles, select_lead_roles
#include "eval/metrics.h"        // score_beats, score_heart_rate, score_waveform
#include "io/record.h"           // read_record (EDF, WFDB, CSV by extension)
#include "io/wfdb.h"             // annotations: read_wfdb_annotations, write_wfdb_annotations
#include "io/csv.h"              // write_csv
#include "model/fhnet.h"         // FhnetModel
#include "io/model_files.h"   // load_fhnet_model_dir
#include "pipeline/pipeline.h"   // PipelineParams, PipelineResult, run_pipeline
#include "pipeline/report.h"     // summary_json, heart_rate_csv, kNoReliableFhr
#include "pipeline/stream.h"     // run_pipeline_streaming: recordings of any length in bounded memory
