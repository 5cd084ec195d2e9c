# Starts a throwaway PostgreSQL cluster for tests and benchmarks; sourced by other scripts.
# Sets DKLIK_TEST_PG_URL and registers a trap that stops the cluster and removes its folder.
# The cluster runs as the `postgres` user (initdb refuses root), on a free loopback port.

pg_bin_dir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_postgres_installed() {
  if ! pg_bin_dir >/dev/null; then
    echo "== PostgreSQL server missing: installing it (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_bin_dir >/dev/null || { echo "PostgreSQL server could not be installed" >&2; return 1; }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_throwaway_pg() {
  ensure_postgres_installed || return 1
  local bin; bin=$(pg_bin_dir)
  PG_TMP=$(mktemp -d /tmp/dklik-pg.XXXXXX)
  chown postgres:postgres "$PG_TMP"
  chmod 700 "$PG_TMP"
  PG_PORT=$(free_port)
  runuser -u postgres -- "$bin/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w \
    -o "-p $PG_PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$PG_TMP/server.log" >&2; return 1; }
  export DKLIK_TEST_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  trap stop_throwaway_pg EXIT
  echo "== Throwaway PostgreSQL on 127.0.0.1:$PG_PORT"
}

stop_throwaway_pg() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
    runuser -u postgres -- "$(pg_bin_dir)/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
