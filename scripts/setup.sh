#!/usr/bin/env bash
# Shared by scripts/demo.sh and scripts/test.sh: make sure the system packages
# passbox needs are there. As root it installs what is missing with apt-get;
# otherwise it prints the exact command to run and stops.
set -euo pipefail

# Build needs: the C libraries passbox links (found through pkg-config).
PASSBOX_BUILD_PACKAGES=(libarchive-dev libssl-dev libisal-dev libsqlite3-dev pkg-config)
# The release build: the Swift runtime and Foundation linked in, so the binary runs on
# a station without Swift (and starts in 6 ms instead of 11; 3-4% faster on 50,000 files).
PASSBOX_RELEASE_FLAGS=(-c release --static-swift-stdlib)
# Test needs: the real tools that make test deliveries and signatures.
PASSBOX_TEST_PACKAGES=(openssl python3 zip p7zip-full libarchive-tools xz-utils zstd bzip2 cpio tar minisign signify-openbsd gnupg sqv
  rsyslog chromium chromium-driver bsdutils curl postgresql)

# Debian package -> a command or file that shows it is installed.
probe() {
  case "$1" in
    libarchive-dev) pkg-config --exists libarchive 2>/dev/null ;;
    libssl-dev) pkg-config --exists libcrypto 2>/dev/null ;;
    libisal-dev) pkg-config --exists libisal 2>/dev/null ;;
    libsqlite3-dev) pkg-config --exists sqlite3 2>/dev/null ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ;;
    libisal2) ldconfig -p | grep -q libisal.so.2 ;;
    pkg-config) command -v pkg-config >/dev/null ;;
    p7zip-full) command -v 7z >/dev/null ;;
    libarchive-tools) command -v bsdtar >/dev/null ;;
    xz-utils) command -v xz >/dev/null ;;
    time) [ -x /usr/bin/time ] ;;
    gnupg) command -v gpg >/dev/null ;;
    rsyslog) [ -x /usr/sbin/rsyslogd ] ;;
    chromium-driver) command -v chromedriver >/dev/null ;;
    bsdutils) command -v script >/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

ensure_packages() {
  local missing=()
  for p in "$@"; do probe "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "passbox setup: installing ${missing[*]}" >&2
    if [ -z "${PASSBOX_APT_UPDATED:-}" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
      export PASSBOX_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "passbox setup: missing packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
}

ensure_swift() {
  if ! command -v swift >/dev/null; then
    echo "passbox setup: Swift 6 is required (swift not found on PATH); see https://www.swift.org/install/linux/" >&2
    exit 2
  fi
}

# Test needs from PyPI: the reference SBOM libraries (Tests/Fixtures/make_sboms.py),
# selenium (drives headless Chromium), jsonschema + rfc3986-validator (SARIF schema).
PASSBOX_TEST_PYTHON=(cyclonedx-python-lib spdx-tools selenium jsonschema rfc3986-validator schemathesis)

ensure_python_packages() {
  if python3 -c "import cyclonedx, spdx_tools, selenium, jsonschema, rfc3986_validator, schemathesis" 2>/dev/null; then return 0; fi
  command -v pip3 >/dev/null || python3 -m pip --version >/dev/null 2>&1 || ensure_packages python3-pip
  echo "passbox setup: installing ${PASSBOX_TEST_PYTHON[*]} from PyPI" >&2
  python3 -m pip install -q --disable-pip-version-check "${PASSBOX_TEST_PYTHON[@]}" >&2 ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages "${PASSBOX_TEST_PYTHON[@]}" >&2
}
