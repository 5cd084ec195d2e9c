#!/usr/bin/env bash
# The whole DKLIK test suite, from a fresh clone: installs what is missing (PostgreSQL server,
# Chromium, the browser-test packages), starts a throwaway PostgreSQL, then runs
#   1. every Rust test (unit, contract on SQLite and PostgreSQL, in-process HTTP, CLI),
#   2. the full ROME 4.0 import check when ../shared/rome is there (required under CI),
#   3. the end-to-end and accessibility tests in headless Chromium,
#   4. the API's contract: schemathesis, every check, against a running demo.
# Under CI=true nothing may be missing or skipped: a missing piece fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CI=${CI:-}
source scripts/lib-pg.sh

fail() { echo "ÉCHEC : $*" >&2; exit 1; }

# --- What the tests need -------------------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
  echo "== Chromium missing: installing it (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v chromium >/dev/null 2>&1 || fail "Chromium is required for the browser tests"
command -v node >/dev/null 2>&1 || fail "Node.js is required for the browser tests"
# The ITxPT multicast test runs in a network namespace of its own (unshare, ip).
if ! command -v ip >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
fi
command -v unshare >/dev/null 2>&1 || fail "unshare (util-linux) is required for the multicast test"
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
start_throwaway_pg || fail "the throwaway PostgreSQL did not start"

ROME_DIR=${DKLIK_ROME_DIR:-$ROOT/../shared/rome}
if [ -d "$ROME_DIR" ]; then
  export DKLIK_ROME_DIR=$ROME_DIR
elif [ "$CI" = "true" ]; then
  fail "the ROME 4.0 export is not at $ROME_DIR"
else
  echo "== No ROME export at $ROME_DIR: the full-import check will fail; set DKLIK_ROME_DIR"
fi

FORMATS_DIR=${DKLIK_FORMATS_DIR:-$ROOT/../shared/formats}
if [ -d "$FORMATS_DIR" ]; then
  export DKLIK_FORMATS_DIR=$FORMATS_DIR
elif [ "$CI" = "true" ]; then
  fail "the transit-format samples are not at $FORMATS_DIR"
else
  echo "== No transit samples at $FORMATS_DIR: the real-feed tests will fail; set DKLIK_FORMATS_DIR"
fi

# --- 1 and 2: Rust tests (one build, dev profile) ----------------------------------------------
echo "== Rust tests (SQLite and PostgreSQL)"
cargo nextest run --workspace --no-fail-fast

# --- 3: browser tests --------------------------------------------------------------------------
echo "== Browser tests (headless Chromium, axe-core)"
# The binary the CLI tests ran, from the same build (a separate `cargo build --bin` would
# unify other features and compile much of the tree again).
cargo test --no-run --workspace --quiet 2>/dev/null
[ -x "$ROOT/target/debug/dklik" ] || fail "the dklik binary was not built"
(cd e2e && npm ci --no-audit --no-fund --silent)
DKLIK_BIN="$ROOT/target/debug/dklik" CHROMIUM="$(command -v chromium)" \
  node --test --test-reporter=spec e2e/

# --- 4: the API's published contract ----------------------------------------------------------
echo "== API contract (schemathesis against a running demo)"
bash scripts/api-contract.sh "$ROOT/target/debug/dklik"
