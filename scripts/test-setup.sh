#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages, once. Called by `npm test`;
# fails loudly rather than letting a test skip.
set -euo pipefail
need=()
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || need+=(libmaxmind-db-writer-perl)
# Headless Chromium for the tracker's browser tests (test/browser), driven by playwright-core.
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-setup: missing Debian packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "test-setup: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
