#!/usr/bin/env bash
# Benchmark of the public pages against nginx serving a static copy of the same HTML, side by
# side in one run, on loopback. Needs wrk and nginx (installed when missing). Prints wrk's output.
# Usage: bash scripts/bench-web.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONN=${2:-64}
for p in wrk nginx; do
  command -v $p >/dev/null 2>&1 || command -v /usr/sbin/$p >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null; }
done
cargo build --release --bin dklik >/dev/null
TMP=$(mktemp -d /tmp/dklik-bench.XXXXXX)
trap 'kill $DK $NG 2>/dev/null || true; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
P1=$(port); P2=$(port)
./target/release/dklik demo --db "sqlite://$TMP/demo.db" --listen 127.0.0.1:$P1 >/dev/null &
DK=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$P1/healthz >/dev/null && break; sleep 0.2; done
CODE=$(curl -s http://127.0.0.1:$P1/api/v1/offers | python3 -c 'import json,sys; print(json.load(sys.stdin)["offers"][0]["code"])')
mkdir -p "$TMP/www/offres"
curl -s http://127.0.0.1:$P1/offres/$CODE > "$TMP/www/offres/$CODE.html"
curl -s http://127.0.0.1:$P1/offres > "$TMP/www/offres/index.html"
cat > "$TMP/nginx.conf" <<NGINX
user root;
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  server { listen 127.0.0.1:$P2; root $TMP/www; location / { try_files \$uri \$uri.html \$uri/index.html =404; } }
}
NGINX
/usr/sbin/nginx -c "$TMP/nginx.conf" -p "$TMP" &
NG=$!
sleep 0.5
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; wrk -t2 -c$CONN -d${DUR}s --latency"
echo "offer page: $(wc -c < "$TMP/www/offres/$CODE.html") bytes; offers list: $(wc -c < "$TMP/www/offres/index.html") bytes"
for target in "dklik offer page|http://127.0.0.1:$P1/offres/$CODE" "nginx offer page (static copy)|http://127.0.0.1:$P2/offres/$CODE" \
              "dklik offers list|http://127.0.0.1:$P1/offres" "nginx offers list (static copy)|http://127.0.0.1:$P2/offres/"; do
  name=${target%%|*}; url=${target#*|}
  echo "== $name"
  wrk -t2 -c"$CONN" -d"${DUR}s" --latency "$url" | grep -E "Requests/sec|99%|50%|Non-2xx|Socket errors"
done
