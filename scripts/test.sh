#!/usr/bin/env bash
# Runs every test: installs what is missing (build and test tools), builds, and
# runs `swift test` (XCTest and Swift Testing; CLI tests run the built binary).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_swift
ensure_packages "${PASSBOX_BUILD_PACKAGES[@]}" "${PASSBOX_TEST_PACKAGES[@]}"
swift build --build-tests 2>&1 | tail -n 5
swift test --skip-build 2>&1
