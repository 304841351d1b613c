#!/usr/bin/env bash
# Reproduces the figures in the README's "How well it works": the classical methods on every real
# record in ../shared/data (ADFECGDB, Challenge 2013 set A), on the fixed simulated test set over
# the SNR grid (statistical and real NSTDB noise), and the speed benchmark of the whole pipeline.
# Prints everything to stdout; takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh native >/dev/null
data="../shared/data"
if [[ -d "$data" ]]; then
  echo "## Real recordings (build/native/eval_classical $data)"
  build/native/eval_classical "$data"
else
  echo "## Real recordings: skipped ($data is absent)"
fi
echo
echo "## Simulated test set, statistical noise (build/native/eval_synthetic --per-band 4)"
build/native/eval_synthetic --per-band 4
if [[ -d "$data/nstdb" ]]; then
  echo
  echo "## Simulated test set, MIT-BIH NSTDB noise (build/native/eval_synthetic --per-band 4 --nstdb $data/nstdb)"
  build/native/eval_synthetic --per-band 4 --nstdb "$data/nstdb"
fi
echo
echo "## Speed (build/native/bench_pipeline)"
build/native/bench_pipeline --repeats 7
