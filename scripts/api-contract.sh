#!/usr/bin/env bash
# The API contract test: starts a demo on a free port, then runs schemathesis (installed in a
# virtual environment under target/) with every check against /api/v1/openapi.json.
# Usage: bash scripts/api-contract.sh [path to the dklik binary]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${1:-$ROOT/target/debug/dklik}
VENV=$ROOT/target/schemathesis-venv
if ! command -v curl >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi
if [ ! -x "$VENV/bin/st" ]; then
  echo "== Installing schemathesis (pip, in $VENV)"
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV"
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
WORK=$(mktemp -d /tmp/dklik-contract.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
"$BIN" demo --listen "127.0.0.1:$PORT" --db "sqlite://$WORK/demo.db" >"$WORK/demo.out" 2>"$WORK/demo.err" &
DEMO=$!
trap 'kill $DEMO 2>/dev/null || true; wait $DEMO 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 120); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "$BASE/healthz" >/dev/null || { cat "$WORK/demo.err" >&2; echo "the demo did not start" >&2; exit 1; }
DKLIK_FEED_TOKEN=$(sed -n 's/.*Flux de positions jeton \(dk_[0-9a-f]*\).*/\1/p' "$WORK/demo.out" | head -1)
DKLIK_SCREEN_TOKEN=$(sed -n 's/.*Écran *jeton \(dk_[0-9a-f]*\).*/\1/p' "$WORK/demo.out" | head -1)
[ -n "$DKLIK_FEED_TOKEN" ] && [ -n "$DKLIK_SCREEN_TOKEN" ] || { cat "$WORK/demo.out" >&2; echo "no tokens in the demo's output" >&2; exit 1; }
DKLIK_ADMIN_SESSION=$(curl -s -o /dev/null -D - -H "Origin: $BASE" \
  --data 'email=admin%40dklik.demo&mot_de_passe=demo-dklik-2026' "$BASE/connexion" \
  | sed -n 's/^[Ss]et-[Cc]ookie: dklik_session=\([0-9a-f]*\).*/\1/p' | head -1)
[ -n "$DKLIK_ADMIN_SESSION" ] || { echo "the demo's administrator could not sign in" >&2; exit 1; }
export DKLIK_FEED_TOKEN DKLIK_SCREEN_TOKEN DKLIK_ADMIN_SESSION
run_st() {
  "$VENV/bin/st" --config-file "$ROOT/scripts/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
    --workers 2 --seed 20261130 --no-color 2>&1 | tee "$WORK/st.out"
  return "${PIPESTATUS[0]}"
}
# Python 3.11 can crash inside the tool ("AST constructor recursion depth mismatch", while
# hypothesis describes a lambda): that is no finding about the API, so the run is made once
# more; any other failure fails at once.
if ! run_st; then
  if grep -q "AST constructor recursion depth mismatch" "$WORK/st.out" && ! grep -q "FAILURES" "$WORK/st.out"; then
    echo "== schemathesis crashed inside Python (not a finding): running it once more"
    run_st
  else
    exit 1
  fi
fi
