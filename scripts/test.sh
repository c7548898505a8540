#!/usr/bin/env bash
# Runs every test: installs what is missing (build and test tools), builds,
# runs each libFuzzer target briefly (PASSBOX_FUZZ_SECONDS each, default 45; 0 skips),
# then `swift test` (XCTest and Swift Testing; CLI tests run the built binary).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_swift
ensure_packages "${PASSBOX_BUILD_PACKAGES[@]}" "${PASSBOX_TEST_PACKAGES[@]}"
ensure_python_packages
if [ "${PASSBOX_FUZZ_SECONDS:-45}" != 0 ]; then
  bash Fuzz/run.sh all "${PASSBOX_FUZZ_SECONDS:-45}"
fi
swift build --build-tests 2>&1 | tail -n 5
# A throwaway PostgreSQL on loopback for the inventory tests (stopped on exit).
bash scripts/postgres-test.sh stop >/dev/null 2>&1 || true
bash scripts/postgres-test.sh start >/dev/null
trap 'bash scripts/postgres-test.sh stop' EXIT
PASSBOX_TEST_POSTGRES_URL="$(cat .build-pg/url)" swift test --skip-build 2>&1
