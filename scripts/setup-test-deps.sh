#!/usr/bin/env bash
# Installs the Debian packages the test suites need, in one apt-get run and only when one is missing:
# ONNX's conformance models (libonnx-testdata) and Python package (python3-onnx, the reference the cross-checks
# compare against) for the unit and conformance tests; Chromium, ripgrep and native build tools for the
# end-to-end suite in code-server (test/e2e/setup-code-server.sh installs code-server itself).
set -euo pipefail
packages=(libonnx-testdata python3-onnx chromium ripgrep libkrb5-dev g++ make python3)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
