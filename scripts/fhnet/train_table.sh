#!/usr/bin/env bash
# Trains the evaluation table's deep-learning rows at one equal budget, resumably:
#   FHNet, FHNet without graph attention, FHNet single-scale, BiLSTM, transformer.
# Same data, seed, batch, learning-rate schedule and number of steps for every row, so the table
# compares architectures, not training effort. The product model (models/fhnet.*) is trained
# longer by `train.py` with its defaults; see README "FHNet".
#
#   bash scripts/fhnet/train_table.sh [--steps N] [--data DIR] [--runs DIR] [extra train.py args]
# Interrupted? Run the same command again: finished rows are skipped, the current one resumes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
steps=1000
data="$repo/scripts/.cache/data"
runs="$repo/scripts/.cache/runs/table"
extra=()
while (($#)); do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
python=/usr/bin/python3
for model in fhnet fhnet-nograph fhnet-single bilstm transformer; do
  run="$runs/$model"
  if [[ -f "$run/done" ]]; then
    echo "train_table: $model already trained ($run)"
    continue
  fi
  echo "train_table: $model, $steps steps -> $run"
  "$python" "$here/train.py" --model "$model" --steps "$steps" --warmup 100 --eval-every 250 \
    --data "$data" --run-dir "$run" "${extra[@]}"
  # train.py stops early only on its time budget; a row is done when it reached every step.
  if "$python" - "$run/last.pt" "$steps" <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu")
sys.exit(0 if ck["step"] >= int(sys.argv[2]) else 1)
PY
  then touch "$run/done"; else echo "train_table: $model stopped before $steps steps" >&2; exit 1; fi
done
echo "train_table: all rows trained in $runs"
