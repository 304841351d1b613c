#!/usr/bin/env bash
# Runs the analyzer: installs what is missing, builds the native CLI and the WebAssembly module,
# then serves the page (web/) on http://127.0.0.1:8080 and prints the URL; the recording is
# analysed in the browser and never leaves the machine.
# Usage: scripts/run.sh [--port N]                       the page (PORT=N works too)
#        scripts/run.sh --cli [--method fhnet|ts-ica|ts|ica] [--seconds S] [--seed N]
#                                                       the command-line demo: simulates a 60 s,
#                                                       4-lead recording, extracts (by default
#                                                       as fecg extract does: FHNet) and scores it
set -euo pipefail
cd "$(dirname "$0")/.."
mode="web"; port="${PORT:-8080}"; method=""; seconds=60; seed=2026
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cli) mode="cli"; shift ;;
    --port) port="$2"; shift 2 ;;
    --method) method="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run: unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
bash scripts/build.sh native >/dev/null

if [[ "$mode" == "web" ]]; then
  bash scripts/build.sh wasm >/dev/null
  exec node scripts/serve.mjs --port "$port"
fi

demo="build/demo"
mkdir -p "$demo/out"
build/native/fecg synth --seconds "$seconds" --seed "$seed" --leads 4 --out "$demo/demo"
build/native/fecg info "$demo/demo"
build/native/fecg extract "$demo/demo" ${method:+--method "$method"} --out "$demo/out"
echo "--- summary ($demo/out/demo.json)"
cat "$demo/out/demo.json"
echo
echo "--- fetal beats against the simulated truth"
build/native/fecg eval --ref "$demo/demo.fqrs" --test "$demo/out/demo.fqrs"
