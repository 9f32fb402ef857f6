#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages, once. Called by `npm test`;
# fails loudly rather than letting a test skip.
set -euo pipefail
need=()
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || need+=(libmaxmind-db-writer-perl)
# Headless Chromium for the tracker's browser tests (test/browser), driven by playwright-core.
[ -x /usr/bin/chromium ] || need+=(chromium)
# curl: the README's first steps are run as written (test/docs/readme.test.ts).
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-setup: missing Debian packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "test-setup: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The ClickHouse engine for the ClickHouse backend's tests: chdb (ClickHouse in-process,
# ~550 MB), kept in a cache directory outside the project's dependencies and served over
# ClickHouse's HTTP interface by test/helpers/clickhouse-http.ts. Keep the version equal to
# CHDB_VERSION in test/helpers/clickhouse.ts.
CHDB_VERSION=3.4.0
chdb_dir="${MALLARD_CHDB_DIR:-$HOME/.cache/mallard-metrics/chdb-$CHDB_VERSION}"
if [ ! -f "$chdb_dir/node_modules/chdb/package.json" ] || [ ! -d "$chdb_dir/node_modules/@chdb" ]; then
  echo "test-setup: installing the ClickHouse engine (chdb $CHDB_VERSION) into $chdb_dir" >&2
  mkdir -p "$chdb_dir"
  [ -f "$chdb_dir/package.json" ] || echo '{"private":true}' >"$chdb_dir/package.json"
  npm install --prefix "$chdb_dir" --no-audit --no-fund --loglevel=error "chdb@$CHDB_VERSION" >&2
fi
