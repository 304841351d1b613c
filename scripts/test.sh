#!/usr/bin/env bash
# Runs every test suite: sets up what is missing, builds native and WASM, runs the doctest suites
# (through ctest; the CLI end-to-end checks are among them), the WASM API checks in node, the
# browser tests of the page, the Python smoke tests, the sanitized suites and the fuzz targets.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "test: setup failed" >&2; exit 1; }

passed=0
failed=0
suite() {
  local name="$1"; shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t0)) s)"
  else failed=$((failed + 1)); echo "=== $name: FAILED ($((SECONDS - t0)) s)"; fi
}

suite "build native" bash scripts/build.sh native
suite "native tests (ctest)" ctest --test-dir build/native --output-on-failure -j "$(nproc)"
suite "build wasm" bash scripts/build.sh wasm
# The page (web/) in headless Chromium: demo, a real record, exports, errors, privacy, screenshots
# (build/test-artifacts/).
suite "web page (chromium)" node --test tests/browser/
suite "fhnet python smoke" /usr/bin/python3 scripts/fhnet/test_smoke.py
suite "reliability scripts" /usr/bin/python3 scripts/reliability/test_reliability.py
suite "fhnet train smoke" /usr/bin/python3 scripts/fhnet/train.py --smoke --fecg build/native/fecg
suite "fhnet evaluation smoke" /usr/bin/python3 scripts/fhnet/evaluate.py --smoke
suite "fhnet real-data cross-validation smoke" /usr/bin/python3 scripts/fhnet/real_cv.py --smoke --threads 1
suite "wasm API and onnx runtime (node)" node --test tests/node/
# The sanitized pass: the `fuzz` preset (clang-14, ASan + UBSan) builds the libFuzzer targets and,
# from the same instrumented libraries, the suites where the sanitizers can catch something (the
# readers, bad input and the CLI on bad files, the pipeline and streaming on small inputs, the FHNet
# engine; CMakeLists.txt), run with any report failing them, less the real-data sweep
# (FECG_TEST_NO_SHARED_DATA=1); then every fuzz target for 30 s, failing on any crash, hang, leak
# or broken invariant. FECG_TEST_ASAN=0 leaves the sanitized suites out for a quick local run.
suite "build sanitized (fuzz preset: fuzz targets, CLI, tests)" bash scripts/build.sh fuzz
if [[ "${FECG_TEST_ASAN:-1}" != 0 ]]; then
  suite "tests under ASan + UBSan" env FECG_TEST_NO_SHARED_DATA=1 \
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build/fuzz --output-on-failure -j "$(nproc)"
fi
suite "fuzz (6 targets x 30 s, side by side)" bash scripts/fuzz.sh --seconds 30

echo "suites: $passed passed, $failed failed, in $((SECONDS / 60)) min $((SECONDS % 60)) s"
[[ $failed -eq 0 ]]
