# A throwaway PostgreSQL cluster for the tests and benchmarks: Debian's `postgresql` package
# (installed if missing), `initdb` in a temporary directory, started on 127.0.0.1 on a free
# port, stopped and removed by `pg_test_stop` (callers trap it, so a failing test stops it
# too). PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user.
# Sourced by scripts/test and bench/server.
#
# After `pg_test_start`, PALABRE_TEST_POSTGRES is a superuser URL (with a password, since the
# cluster asks for one, as a real one would) and PG_TEST_PORT its port.

_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { printf '%s\n' "$dir"; return 0; }
  done
  return 1
}

ensure_postgres() {
  if ! _pg_bin >/dev/null; then
    printf '    %s\n' "installing Debian's postgresql"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    # The package would create and start a cluster of its own; only its binaries are wanted.
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/palabre.conf >/dev/null
    $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql >/dev/null
  fi
}

_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_test_start [EXTRA_SERVER_OPTIONS...]: tests pass durability-off options (fsync=off),
# benchmarks none, so that their figures include what a real server pays for a commit.
pg_test_start() {
  ensure_postgres
  local bin password
  bin=$(_pg_bin)
  PG_TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/palabre-pg.XXXXXX")
  chmod 755 "$PG_TEST_DIR"
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  printf '%s\n' "$password" > "$PG_TEST_DIR/pwfile"
  [ "$(id -u)" = 0 ] && chown -R postgres "$PG_TEST_DIR"
  _pg_as_owner "$bin/initdb" -D "$PG_TEST_DIR/data" -U postgres --pwfile="$PG_TEST_DIR/pwfile" \
    -A scram-sha-256 --encoding=UTF8 --locale=C --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { cat "$PG_TEST_DIR/initdb.log"; return 1; }
  PG_TEST_PORT=$(_free_port)
  local options="-c listen_addresses=127.0.0.1 -c port=$PG_TEST_PORT -c unix_socket_directories=$PG_TEST_DIR -c max_connections=300"
  local extra
  for extra in "$@"; do options="$options -c $extra"; done
  _pg_as_owner "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -o "$options" -w start >/dev/null \
    || { cat "$PG_TEST_DIR/server.log"; return 1; }
  PG_TEST_BIN=$bin
  export PALABRE_TEST_POSTGRES="postgres://postgres:$password@127.0.0.1:$PG_TEST_PORT/postgres"
  export PG_TEST_PORT PG_TEST_DIR PG_TEST_BIN
}

pg_test_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  if [ -f "$PG_TEST_DIR/data/postmaster.pid" ]; then
    _pg_as_owner "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TEST_DIR"
  unset PG_TEST_DIR PALABRE_TEST_POSTGRES
}
