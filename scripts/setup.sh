#!/usr/bin/env bash
# Installs whatever this project needs and is missing, idempotently: Debian packages (toolchains,
# Eigen, doctest, Emscripten, Chromium) and, once package.json exists, the pinned npm packages.
# Called by scripts/run.sh and scripts/test.sh; safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages and a command or file that proves each is installed.
declare -A APT_PACKAGES=(
  [cmake]=/usr/bin/cmake
  [ninja-build]=/usr/bin/ninja
  [g++]=/usr/bin/g++
  [libeigen3-dev]=/usr/include/eigen3/Eigen/Core
  [doctest-dev]=/usr/include/doctest/doctest.h
  [emscripten]=/usr/bin/emcc
  [nodejs]=/usr/bin/node
  [npm]=/usr/bin/npm
  [chromium]=/usr/bin/chromium   # headless browser for tests/browser (driven by playwright-core)
  [poppler-utils]=/usr/bin/pdftotext  # tests/browser/report.test.mjs reads the PDF report's text and word boxes
  [clang-14]=/usr/bin/clang++-14  # the fuzz preset (tests/fuzz, scripts/fuzz.sh) ...
  [libclang-rt-14-dev]=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a  # ... its libFuzzer
  [libfuzzer-14-dev]=/usr/lib/llvm-14/lib/libFuzzer.a
)

missing=()
for pkg in "${!APT_PACKAGES[@]}"; do
  [[ -e "${APT_PACKAGES[$pkg]}" ]] || missing+=("$pkg")
done

# Python side of FHNet (scripts/fhnet: training, export, smoke tests) and the OpenMP BLAS that
# lets torch use both cores; checked with dpkg, as their files move between Debian releases.
for pkg in python3-torch python3-onnx python3-numpy libopenblas0-openmp; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, pinned by package-lock.json (onnxruntime-node must not fetch CUDA files: .npmrc).
if [[ -f package.json ]]; then
  if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "setup: installing npm packages (npm ci)" >&2
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  fi
fi
