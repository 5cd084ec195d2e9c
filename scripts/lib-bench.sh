# Shared by the benchmark scripts (sourced): wrk installed when missing, the release binary
# built, a temporary folder removed at the end with the server still running, a free port.
# bench_setup NAME sets BIN, TMP and SRV (the server's pid, empty when none runs).
bench_setup() {
  command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  # DKLIK_BIN=path: another build (a baseline), used as it is.
  [ -n "${DKLIK_BIN:-}" ] || cargo build --release --bin dklik >/dev/null 2>&1
  BIN=${DKLIK_BIN:-./target/release/dklik}
  TMP=$(mktemp -d "/tmp/dklik-$1.XXXXXX")
  SRV=
  trap 'kill $SRV 2>/dev/null || true; rm -rf "$TMP"' EXIT
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
