#!/usr/bin/env bash
# Runs the analyzer on a built-in demo: simulates a 60 s, 4-lead abdominal recording with known
# truth, extracts the fetal ECG with the CLI and scores the fetal beats against the truth.
# Usage: scripts/run.sh [--method ts|ica|ts-ica] [--seconds S] [--seed N]
set -euo pipefail
cd "$(dirname "$0")/.."
method="ts-ica"; seconds=60; seed=2026
while [[ $# -gt 0 ]]; do
  case "$1" in
    --method) method="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "run: unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
bash scripts/build.sh native >/dev/null
demo="build/demo"
mkdir -p "$demo/out"
build/native/fecg synth --seconds "$seconds" --seed "$seed" --leads 4 --out "$demo/demo"
build/native/fecg info "$demo/demo"
build/native/fecg extract "$demo/demo" --method "$method" --out "$demo/out"
echo "--- summary ($demo/out/demo.json)"
cat "$demo/out/demo.json"
echo
echo "--- fetal beats against the simulated truth"
build/native/fecg eval --ref "$demo/demo.fqrs" --test "$demo/out/demo.fqrs"
