#!/usr/bin/env bash
# The trigger engine against a brute-force scan and PostGIS ST_DWithin (GiST), in one run, on a
# throwaway PostgreSQL with PostGIS (installed when missing). Prints the figures for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-pg.sh
ensure_postgres_installed
v=$(basename "$(dirname "$(pg_bin_dir)")")
if [ ! -f "/usr/share/postgresql/$v/extension/postgis.control" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$v-postgis-3" >/dev/null
fi
start_throwaway_pg
cargo build --release --bin dklik >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
./target/release/dklik bench engine --postgis "$DKLIK_TEST_PG_URL" "$@"
