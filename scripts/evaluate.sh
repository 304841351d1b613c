#!/usr/bin/env bash
# Writes docs/RESULTS.md: every figure the README's "How well it works" cites, printed by the
# tools themselves, with the command above each, so that the figures cannot drift from the code.
#
#   scripts/evaluate.sh                 # docs/RESULTS.md (about 4 minutes on 2 cores, idle)
#   scripts/evaluate.sh --browser       # also the page's speed in headless Chromium (+2 min)
#   scripts/evaluate.sh --out FILE      # somewhere else (e.g. to compare before a commit)
#
# Real-data sections need ../shared/data (FECG_SHARED_DATA_DIR to change it); without it they say
# "skipped" and the rest is still written. Sections run one after another on an otherwise idle
# machine: speed figures are medians, but this VM's timings wander by about ±10 %.
set -euo pipefail
cd "$(dirname "$0")/.."

out=docs/RESULTS.md
browser=0
while (($#)); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --browser) browser=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "evaluate: unknown option $1" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh >/dev/null
bash scripts/build.sh native >/dev/null
((browser)) && bash scripts/build.sh wasm >/dev/null
data="${FECG_SHARED_DATA_DIR:-../shared/data}"
B=build/native
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tmp_out="$work/RESULTS.md"

# section TITLE NEEDS_DATA_SUBDIR COMMAND...: a heading, the command, its output in a code block
# (the tools print aligned text or markdown tables; markdown ones are kept as tables).
section() {
  local title="$1" needs="$2"; shift 2
  echo "== $title" >&2
  {
    echo "## $title"
    echo
    if [[ -n "$needs" && ! -e "$data/$needs" ]]; then
      echo "Skipped: \`$data/$needs\` is absent."
      echo
      return
    fi
    echo "\`$*\`"
    echo
  } >>"$tmp_out"
  local t0=$SECONDS log="$work/section.log"
  if "$@" >"$log" 2>"$work/section.err"; then :; else
    echo "**Failed** (exit $?): $(tail -3 "$work/section.err")" >>"$tmp_out"
  fi
  if grep -q '^|' "$log"; then
    # Markdown tables stay tables; other lines become a short note above them.
    awk '/^\|/ {print; next} NF {print "    " $0} !NF {print ""}' "$log" >>"$tmp_out"
  else
    { echo '```'; cat "$log"; echo '```'; } >>"$tmp_out"
  fi
  echo >>"$tmp_out"
  echo "($((SECONDS - t0)) s)" >>"$tmp_out"
  echo >>"$tmp_out"
}

{
  echo "# Results"
  echo
  echo "Written by \`scripts/evaluate.sh\`; do not edit by hand. $(date -u +%Y-%m-%d), commit"
  echo "\`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`$(git diff --quiet HEAD -- . ':!docs/RESULTS.md' 2>/dev/null || echo ' (with local changes)'),"
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr);"
  echo "load average at the start $(cut -d' ' -f1-3 /proc/loadavg) (speed figures are only comparable on an idle machine)."
  echo
  echo "Scoring (\`src/eval/metrics.h\`): fetal QRS matched one to one within ±50 ms (Se, PPV, F1);"
  echo "FHR-trace MAE compares 60 / median RR per 5-s block of the detected and the reference beats."
  echo "*Coverage* is the share of 5-s blocks claimed reliable; *confidently wrong* the share of all"
  echo "blocks claimed reliable yet more than 10 bpm off, or with no FHR. The protocol (37 mothers,"
  echo "5 folds by mother, seed 2026, fixed before the results) is in [RELIABILITY.md](RELIABILITY.md)."
  echo "The shipped model was fine-tuned on a01–a25 and ADFECGDB (their figures for FHNet below are"
  echo "in-sample; a26–a50 it never saw, and its own held-out figures are in the model card)."
  echo
} >"$tmp_out"

section "Real recordings: the default against FHNet alone and TS-ICA, per record" "challenge2013" \
  $B/eval_reliability "$data" --model models --windows "$work/windows.csv"
if [[ -s "$work/windows.csv" ]]; then
  section "Per-window confidence: held-out coverage and confidently wrong (5 folds by mother)" "challenge2013" \
    /usr/bin/python3 scripts/reliability/calibrate.py "$work/windows.csv"
fi
section "Real recordings: the classical methods alone, per record" "challenge2013" \
  $B/eval_classical "$data"
section "Simulated test set, statistical noise (R² of the fetal ECG, F1, FHR MAE)" "" \
  $B/eval_synthetic --per-band 6 --methods ts,ica,ts-ica,fhnet,fhnet-pool --model models
section "Simulated test set, MIT-BIH NSTDB noise" "nstdb" \
  $B/eval_synthetic --per-band 6 --methods ts-ica,fhnet,fhnet-pool --model models --nstdb "$data/nstdb"
section "FHNet's lead contributions against each lead's fetal SNR (Spearman ρ)" "" \
  $B/eval_lead_contributions --model models --per-band 10
section "CTG: events and baseline on simulated 20-min recordings" "" \
  $B/eval_ctg --seeds 41-60
section "Morphology: the delineator on the QT Database (cardiologist marks)" "qtdb" \
  $B/eval_qtdb --data "$data/qtdb"
section "Morphology: abdominal fetal ECG against the scalp lead (ADFECGDB)" "adfecgdb" \
  $B/eval_morph adfecgdb
section "Morphology: extracted against the simulated fetal component" "" \
  $B/eval_morph sim --seeds 4
section "Speed: the native pipeline, 5-min 4-lead 1 kHz recording" "" \
  $B/bench_pipeline --repeats 7 --models models --methods ts-ica,fhnet,ts-ica-pool,fhnet-pool
section "Speed: the morphology stage" "" \
  $B/bench_morph
if ((browser)); then
  section "Speed in the browser: the page's worker in headless Chromium, one thread" "" \
    node tests/browser/bench_page.mjs --repeat 3
fi

mkdir -p "$(dirname "$out")"
cp "$tmp_out" "$out"
echo "evaluate: wrote $out" >&2
