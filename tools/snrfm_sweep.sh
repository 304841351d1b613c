#!/usr/bin/env bash
# Evaluation (not a test): fetal QRS F1 against the fetal-to-maternal ratio. For each SNRfm, N
# simulated 60-s 4-lead recordings (seeds 950001.., never trained on; SNRmn 9 dB, NSTDB noise
# when ../shared/data/nstdb is present) go through `fecg extract` with each method, and their
# fetal beats are scored against the truth (`fecg eval`, ±50 ms). FHNet runs alone (no TS-ICA
# fallback) so that the network itself is measured.
#
#   tools/snrfm_sweep.sh [--snr-fm "-9 -13 -17 -21"] [--records 6] [--methods "fhnet ts-ica"]
set -euo pipefail
cd "$(dirname "$0")/.."

snr_fm="-9 -13 -17 -21"
records=6
methods="fhnet ts-ica"
while (($#)); do
  case "$1" in
    --snr-fm) snr_fm="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    *) echo "snrfm_sweep: unknown option $1" >&2; exit 2 ;;
  esac
done
FECG=build/native/fecg
[[ -x "$FECG" ]] || { echo "snrfm_sweep: build first (scripts/build.sh native)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

printf '%-8s %-8s %s\n' "SNRfm" "method" "mean fetal QRS F1 over $records recordings"
for fm in $snr_fm; do
  for ((k = 1; k <= records; ++k)); do
    "$FECG" synth --seconds 60 --seed $((950000 + k)) --leads 4 --snr-fm "$fm" --snr-mn 9 --out "$tmp/r${fm}_$k" >/dev/null
  done
  for m in $methods; do
    extra=()
    [[ "$m" == fhnet ]] && extra=(--fallback off)
    sum=0
    for ((k = 1; k <= records; ++k)); do
      "$FECG" extract "$tmp/r${fm}_$k.hea" --method "$m" "${extra[@]}" --out "$tmp/out_$m" >/dev/null
      f1=$("$FECG" eval --ref "$tmp/r${fm}_$k.fqrs" --test "$tmp/out_$m/r${fm}_$k.fqrs" |
        /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["f1"])')
      sum=$(/usr/bin/python3 -c "print($sum + $f1)")
    done
    printf '%-8s %-8s %.3f\n' "$fm" "$m" "$(/usr/bin/python3 -c "print($sum / $records)")"
  done
done
