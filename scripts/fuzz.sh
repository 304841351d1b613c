#!/usr/bin/env bash
# Fuzzes the readers and the pipeline with libFuzzer (targets in tests/fuzz, built by the `fuzz`
# preset: clang-14, ASan + UBSan):
#
#   scripts/fuzz.sh                      # every target for 60 s (the test command uses --seconds 30)
#   scripts/fuzz.sh --seconds 20 edf csv # some targets
#   scripts/fuzz.sh --campaign           # every target for 300 s (README, Reliability), --seconds wins
#   FECG_FUZZ_JOBS=1 scripts/fuzz.sh --runs 10000000 edf   # a fixed number of executions per target
#   scripts/fuzz.sh --max-len 32768 edf  # inputs of at most 32 KB (libFuzzer's -max_len; default: the
#                                        # largest corpus input, 100 KB for EDF, 4x slower per run)
#   scripts/fuzz.sh --replay             # only run tests/fuzz/regressions/<target>/* once each
#
# Seeds are generated, never committed: small records written by the core (`fecg synth` as WFDB,
# EDF and CSV), the golden files of tests/data, and, when ../shared/data is present, real records
# cropped to a few seconds. The corpus grows in build/fuzz/corpus/<target>/ across runs; inputs
# that crash, leak, time out (-timeout) or allocate too much (-rss_limit_mb) are written to
# build/fuzz/artifacts/<target>/. After fixing the reader, copy such an input to
# tests/fuzz/regressions/<target>/ (tests/unit/test_fuzz_regressions.cpp replays it in every
# native test run). Prints per target: executions, coverage (libFuzzer's cov = edges, ft =
# features) and crashes; exits non-zero when any target found one.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=""
runs=""
max_len=""
campaign=0
replay=0
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --campaign) campaign=1; shift ;;
    --runs) runs="$2"; shift 2 ;;
    --max-len) max_len="$2"; shift 2 ;;
    --replay) replay=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ -n "$seconds" ]] || seconds=$((campaign ? 300 : 60))
# --runs: stop each target after that many executions instead of after a time (no time limit).
limit=(-max_total_time="$seconds")
[[ -n "$runs" ]] && limit=(-runs="$runs")
[[ -n "$max_len" ]] && limit+=(-max_len="$max_len")
((${#targets[@]})) || targets=(edf wfdb_header wfdb_signal wfdb_annotations csv pipeline)

# Per input: 10 s before it counts as a hang (the pipeline target caps its inputs to stay far
# below), 2 GB of memory (a reader must refuse a header that asks for more).
LIBFUZZER_OPTIONS=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
FUZZ=build/fuzz
SHARED="${FECG_SHARED_DATA_DIR:-../shared/data}"

bash scripts/build.sh fuzz >/dev/null || { echo "fuzz: building the fuzz preset failed" >&2; exit 1; }

# ----------------------------------------------------------------------------------- replay only
if ((replay)); then
  failed=0
  for t in "${targets[@]}"; do
    files=(tests/fuzz/regressions/"$t"/*)
    [[ -e "${files[0]}" ]] || { echo "fuzz replay: $t: no regression inputs"; continue; }
    if "$FUZZ/fuzz_$t" "${files[@]}" >"$FUZZ/replay_$t.log" 2>&1; then
      echo "fuzz replay: $t: ${#files[@]} inputs ok"
    else
      echo "fuzz replay: $t: FAILED (see $FUZZ/replay_$t.log)"; failed=1
    fi
  done
  exit "$failed"
fi

# ---------------------------------------------------------------------------------------- seeds
FECG="${FECG_CLI:-build/native/fecg}"
if [[ ! -x "$FECG" ]]; then
  bash scripts/build.sh native >/dev/null || { echo "fuzz: building the native CLI (for seeds) failed" >&2; exit 1; }
fi
SEEDS="$FUZZ/seeds"
rm -rf "$SEEDS"
for t in edf wfdb_header wfdb_signal wfdb_annotations csv pipeline; do mkdir -p "$SEEDS/$t"; done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Simulated records: short, few leads, several rates (so that every rate path is a seed).
synth() {  # name seconds leads rate format
  "$FECG" synth --seconds "$2" --leads "$3" --rate "$4" --seed 11 --nstdb none --format "$5" \
    --out "$tmp/$1" >/dev/null
}
synth s_edf 2 2 250 edf && synth p_edf 8 4 500 edf
synth s_csv 1 2 250 csv && synth p_csv 6 2 250 csv
synth s_wfdb 2 3 360 wfdb && synth p_wfdb 8 3 250 wfdb
# A WFDB record as one input: header, a 0 byte, signal bytes (tests/fuzz/fuzz_targets.h).
join_record() { cat "$1.hea"; printf '\0'; cat "$1.dat"; }
cp "$tmp/s_edf.edf" "$SEEDS/edf/synth.edf"
cp "$tmp/p_edf.edf" "$SEEDS/pipeline/synth.edf"
cp "$tmp/s_csv.csv" "$SEEDS/csv/synth.csv"
cp "$tmp/p_csv.csv" "$SEEDS/pipeline/synth.csv"
cp "$tmp/s_wfdb.hea" "$SEEDS/wfdb_header/synth.hea"
join_record "$tmp/s_wfdb" >"$SEEDS/wfdb_signal/synth.rec"
join_record "$tmp/p_wfdb" >"$SEEDS/pipeline/synth.rec"
cp "$tmp/s_wfdb.fqrs" "$SEEDS/wfdb_annotations/synth.fqrs"
cp "$tmp/p_wfdb.mqrs" "$SEEDS/wfdb_annotations/synth.mqrs"
# Hand-written CSV variants: no header, ';' with decimal commas, quotes, a comment line, CRLF.
printf '1,2\n3,4\n5,6\n' >"$SEEDS/csv/noheader.csv"
printf 'time;"lead ;1";b\n0;1,5;2\n0,004;3;4\n0,008;5;6\n' >"$SEEDS/csv/semicolon.csv"
printf '# comment\r\nt\ta\r\n0\t1e3\r\n0.001\t-2\r\n' >"$SEEDS/csv/tab.csv"

# The golden files: every WFDB signal format, and annotations with NOTE, SKIP, SUB, CHN, NUM, AUX.
for hea in tests/data/fmt*.hea; do
  name="$(basename "$hea" .hea)"
  cp "$hea" "$SEEDS/wfdb_header/$name.hea"
  join_record "tests/data/$name" >"$SEEDS/wfdb_signal/$name.rec"
done
cp tests/data/golden.atr "$SEEDS/wfdb_annotations/"

# Real records cropped to a few seconds (EDF+ with annotations, WFDB format 16) and their beats.
if [[ -d "$SHARED" ]]; then
  /usr/bin/python3 - "$SHARED" "$SEEDS" <<'EOF' || echo "fuzz: cropping real seeds failed; going on without them" >&2
import os, struct, sys
shared, seeds = sys.argv[1], sys.argv[2]

def crop_edf(src, dst, n_records):
    b = open(src, 'rb').read()
    ns = int(b[252:256])
    spr = [int(b[256 + ns * 216 + 8 * i:256 + ns * 216 + 8 * i + 8]) for i in range(ns)]
    header = 256 + 256 * ns
    out = bytearray(b[:header + n_records * 2 * sum(spr)])
    out[236:244] = str(n_records).ljust(8).encode()
    open(dst, 'wb').write(out)

def crop_wfdb(record, n_samples):
    """Header text with n_samples and recomputed checksums + the cropped format-16 data."""
    lines = open(record + '.hea').read().splitlines()
    rec = lines[0].split()
    ns = int(rec[1])
    data = open(record + '.dat', 'rb').read()[:2 * ns * n_samples]
    values = struct.unpack('<%dh' % (ns * n_samples), data)
    rec[3] = str(n_samples)
    out = [' '.join(rec)]
    for i, line in enumerate(lines[1:1 + ns]):
        f = line.split()
        if len(f) > 6:
            f[5] = str(values[i])
            f[6] = str(struct.unpack('<h', struct.pack('<H', sum(values[i::ns]) & 0xFFFF))[0])
        out.append(' '.join(f))
    return ('\n'.join(out) + '\n').encode(), data

adf = os.path.join(shared, 'adfecgdb')
if os.path.exists(os.path.join(adf, 'r01.edf')):
    crop_edf(os.path.join(adf, 'r01.edf'), os.path.join(seeds, 'edf', 'r01_2s.edf'), 2)
    crop_edf(os.path.join(adf, 'r01.edf'), os.path.join(seeds, 'pipeline', 'r01_8s.edf'), 8)
    open(os.path.join(seeds, 'wfdb_annotations', 'r01.edf.qrs'), 'wb').write(open(os.path.join(adf, 'r01.edf.qrs'), 'rb').read())
ch = os.path.join(shared, 'challenge2013')
for name, n in (('a01', 2000), ('a02', 1000)):
    if os.path.exists(os.path.join(ch, name + '.hea')):
        hea, dat = crop_wfdb(os.path.join(ch, name), n)
        open(os.path.join(seeds, 'wfdb_header', name + '.hea'), 'wb').write(open(os.path.join(ch, name + '.hea'), 'rb').read())
        open(os.path.join(seeds, 'wfdb_signal', name + '.rec'), 'wb').write(hea + b'\0' + dat)
        open(os.path.join(seeds, 'wfdb_annotations', name + '.fqrs'), 'wb').write(open(os.path.join(ch, name + '.fqrs'), 'rb').read())
if os.path.exists(os.path.join(ch, 'a01.hea')):
    hea, dat = crop_wfdb(os.path.join(ch, 'a01'), 8000)
    open(os.path.join(seeds, 'pipeline', 'a01_8s.rec'), 'wb').write(hea + b'\0' + dat)
nst = os.path.join(shared, 'nstdb', 'bw.hea')
if os.path.exists(nst):
    open(os.path.join(seeds, 'wfdb_header', 'bw.hea'), 'wb').write(open(nst, 'rb').read())
EOF
fi

# ----------------------------------------------------------------------------------------- runs
if [[ -n "$runs" ]]; then per="$runs executions"; else per="$seconds s"; fi
echo "fuzz: ${#targets[@]} target(s) × $per (seeds in $SEEDS, corpus in $FUZZ/corpus)"
printf '%-18s %12s %8s %8s %8s\n' target executions cov ft crashes
# Targets run side by side, one per core (FECG_FUZZ_JOBS to change it): the same seconds per
# target in half the wall time on this 2-core machine. Results are printed in target order.
jobs="${FECG_FUZZ_JOBS:-$(nproc)}"
run_target() {  # target: runs it, leaves its exit status and artifact counts beside its log
  local t="$1" bin="$FUZZ/fuzz_$1"
  local corpus="$FUZZ/corpus/$t" artifacts="$FUZZ/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  find "$artifacts" -type f | wc -l >"$FUZZ/fuzz_$t.before"
  local regressions=()
  [[ -d "tests/fuzz/regressions/$t" ]] && regressions=("tests/fuzz/regressions/$t")
  "$bin" "${LIBFUZZER_OPTIONS[@]}" "${limit[@]}" -artifact_prefix="$artifacts/" \
    "$corpus" "$SEEDS/$t" "${regressions[@]}" >"$FUZZ/fuzz_$t.log" 2>&1
  echo $? >"$FUZZ/fuzz_$t.rc"
}
failed=0
running=0
for t in "${targets[@]}"; do rm -f "$FUZZ/fuzz_$t.rc" "$FUZZ/fuzz_$t.before"; done
for t in "${targets[@]}"; do
  [[ -x "$FUZZ/fuzz_$t" ]] || { echo "fuzz: no target $t ($FUZZ/fuzz_$t)" >&2; failed=1; continue; }
  run_target "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
done
wait
for t in "${targets[@]}"; do
  [[ -f "$FUZZ/fuzz_$t.rc" ]] || continue
  artifacts="$FUZZ/artifacts/$t" log="$FUZZ/fuzz_$t.log"
  rc=$(cat "$FUZZ/fuzz_$t.rc") before=$(cat "$FUZZ/fuzz_$t.before")
  rm -f "$FUZZ/fuzz_$t.rc" "$FUZZ/fuzz_$t.before"
  after=$(find "$artifacts" -type f | wc -l)
  executed=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  status=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$status" | grep -o '[0-9]*$')
  ft=$(grep -o 'ft: [0-9]*' <<<"$status" | grep -o '[0-9]*$')
  crashes=$((after - before))
  ((rc != 0 && crashes == 0)) && crashes=1   # a crash without an artifact (e.g. in startup)
  printf '%-18s %12s %8s %8s %8s\n' "$t" "${executed:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
  if ((crashes)); then
    failed=1
    echo "fuzz: $t crashed (exit $rc); log $log, inputs in $artifacts/:" >&2
    grep -m3 -E 'ERROR: |runtime error|SUMMARY|uncaught|fuzz invariant' "$log" | sed 's/^/    /' >&2
  fi
done
exit "$failed"
