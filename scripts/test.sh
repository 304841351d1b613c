#!/usr/bin/env bash
# Runs every test suite: sets up what is missing, builds native and WASM, runs the doctest suites
# (through ctest), the CLI end-to-end checks (part of the doctest suites), the WASM smoke test and the
# browser tests of the page.
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
suite "wasm API and onnx runtime (node)" node --test tests/node/

echo "suites: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
