#!/usr/bin/env bash
# Peak memory and wall time of `fecg extract` on long recordings (the README's "Long recordings"):
# simulates 4-lead, 1 kHz recordings of each length with `fecg synth` into a temporary directory
# (never into the repository; removed at the end; above 1 h, the simulated hour repeated by
# tools/repeat_record.py), then runs extract on each, streamed (the
# default above 30 min; --stream on here) and, for lengths up to --whole-max-h, read and analysed
# whole (--stream off), under
# /usr/bin/time. A benchmark, not a test: it prints figures and asserts nothing.
#
#   tools/bench_long.sh                      # 1 h and 10 h, EDF, TS-ICA, build/native/fecg
#   tools/bench_long.sh --hours "1 2" --format wfdb --method ts --fecg build/dev/fecg
#
# Needs: /usr/bin/time (Debian package `time`), python3; disk: 29 MB per recorded hour; memory:
# synth holds the simulated hour (about 340 MB).
set -euo pipefail
cd "$(dirname "$0")/.."

fecg=build/native/fecg
hours="1 10"
format=edf
method=ts-ica
whole_max_h=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fecg) fecg="$2"; shift 2 ;;
    --hours) hours="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    --method) method="$2"; shift 2 ;;
    --whole-max-h) whole_max_h="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench_long: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$fecg" ]] || { echo "bench_long: $fecg not built (scripts/build.sh native)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench_long: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d /tmp/fecg_bench_long.XXXXXX)
trap 'rm -rf "$work"' EXIT

case "$format" in
  edf) ext=.edf ;;
  wfdb) ext=.hea ;;
  *) echo "bench_long: --format must be edf or wfdb" >&2; exit 2 ;;
esac

echo "fecg extract --method $method on simulated 4-lead 1 kHz recordings ($format), $(nproc) cores"
printf '%-8s %-10s %-12s %10s %14s %12s\n' hours mode file_MB wall_s peak_RSS_MB fetal_beats
for h in $hours; do
  if awk -v h="$h" 'BEGIN { exit !(h <= 1) }'; then
    seconds=$(awk -v h="$h" 'BEGIN { printf "%d", h * 3600 }')
    "$fecg" synth --seconds "$seconds" --seed 5 --snr-mn 9 --leads 4 --rate 1000 --format "$format" \
      --out "$work/rec" >/dev/null
  else
    # fecg synth holds a recording in memory (up to 1e8 values per matrix, ~7 h of 4 leads): a
    # longer one is the simulated hour repeated (whole hours only).
    [[ "$h" =~ ^[0-9]+$ ]] || { echo "bench_long: hours above 1 must be whole numbers" >&2; exit 2; }
    "$fecg" synth --seconds 3600 --seed 5 --snr-mn 9 --leads 4 --rate 1000 --format "$format" \
      --out "$work/hour" >/dev/null
    python3 tools/repeat_record.py "$work/hour$ext" "$work/rec$ext" "$h"
    rm -f "$work"/hour*
  fi
  size_mb=$(stat -c %s "$work"/rec.edf "$work"/rec.dat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s / 1048576 }' || true)
  modes="on"
  if awk -v h="$h" -v m="$whole_max_h" 'BEGIN { exit !(h <= m) }'; then modes="on off"; fi
  for mode in $modes; do
    rm -rf "$work/out"
    /usr/bin/time -o "$work/time" -f "%e %M" \
      "$fecg" extract "$work/rec$ext" --method "$method" --stream "$mode" --out "$work/out" --quiet
    read -r wall rss_kb <"$work/time"
    beats=$(grep -o '"fetal":{"n_beats":[0-9]*' "$work/out/rec.json" | grep -o '[0-9]*$')
    label=$([[ $mode == on ]] && echo streamed || echo whole)
    printf '%-8s %-10s %-12s %10s %14s %12s\n' "$h" "$label" "$size_mb" "$wall" "$((rss_kb / 1024))" "$beats"
  done
  rm -f "$work"/rec*
done
