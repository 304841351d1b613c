#!/usr/bin/env bash
# Runs every test suite: sets up what is missing, builds native and WASM, runs the doctest suites
# (through ctest), the CLI end-to-end checks (part of the doctest suites), the WASM smoke test, the
# browser tests of the page, the doctest suites again under ASan + UBSan, and the fuzz targets.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "test: setup failed" >&2; exit 1; }

passed=0
failed=0
suite() {
  local name="$1"; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"
  else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}

suite "build native" bash scripts/build.sh native
suite "native tests (ctest)" ctest --test-dir build/native --output-on-failure -j "$(nproc)"
suite "build wasm" bash scripts/build.sh wasm
suite "wasm smoke (node)" node build/wasm/fecg_wasm_smoke.cjs
# The page (web/) in headless Chromium: demo, a real record, exports, errors, privacy, screenshots
# (build/test-artifacts/).
suite "web page (chromium)" node --test tests/browser/
suite "fhnet python smoke" /usr/bin/python3 scripts/fhnet/test_smoke.py
suite "fhnet train smoke" /usr/bin/python3 scripts/fhnet/train.py --smoke --fecg build/native/fecg
suite "fhnet evaluation smoke" /usr/bin/python3 scripts/fhnet/evaluate.py --smoke
suite "fhnet real-data cross-validation smoke" /usr/bin/python3 scripts/fhnet/real_cv.py --smoke --threads 1
suite "wasm API and onnx runtime (node)" node --test tests/node/
# Reliability (README): the doctest suites (and the CLI they drive) again under AddressSanitizer +
# UBSan, less the real-data sweep (FECG_TEST_NO_SHARED_DATA=1), any report failing it (FECG_TEST_ASAN=0 skips it for a quick local
# run); then libFuzzer on the readers and the pipeline, 6 targets × 30 s, failing on any crash,
# hang, leak or broken invariant.
if [[ "${FECG_TEST_ASAN:-1}" != 0 ]]; then
  suite "build native-asan" bash scripts/build.sh native-asan
  suite "native tests under ASan + UBSan" env FECG_TEST_NO_SHARED_DATA=1 \
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build/native-asan --output-on-failure -j "$(nproc)"
fi
suite "fuzz (6 targets x 30 s, side by side)" bash scripts/fuzz.sh --seconds 30

echo "suites: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
