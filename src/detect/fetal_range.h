// The physiological fetal heart-rate range, one place for every stage that needs it: detection
// rate priors and refractory periods (detect/qrs.h), ICA component choice (extract/ts_ica.cpp),
// quality (detect/quality.cpp), heart-rate outlier rules (pipeline PipelineParams::fetal_hr) and
// the plots of the page. 50 bpm: sustained fetal bradycardia reaches 50-60 bpm (FIGO 2015
// "bradycardia < 100 bpm"; terminal bradycardia lower) and must be shown, not dropped; 240 bpm:
// supraventricular tachycardia reaches 220-240 bpm (Jaeggi & Nii, Semin Fetal Neonatal Med
// 2005). A window whose rate lies outside is not fetal or not reliable, never clamped into it.
#pragma once

namespace fecg {

inline constexpr double kFetalMinBpm = 50.0;
inline constexpr double kFetalMaxBpm = 240.0;
inline constexpr double kFetalMinRr_s = 60.0 / kFetalMaxBpm;  // 0.25 s
inline constexpr double kFetalMaxRr_s = 60.0 / kFetalMinBpm;  // 1.2 s

}  // namespace fecg
