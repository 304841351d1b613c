#!/usr/bin/env bash
# Configures and builds one preset: scripts/build.sh native|native-asan|wasm
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-native}"
# Emscripten 3.1.6 from Debian finds its node modules (acorn, ...) only through NODE_PATH.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
jobs="$(nproc)"
if [[ ! -f "build/$preset/build.ninja" ]]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" -j "$jobs"
