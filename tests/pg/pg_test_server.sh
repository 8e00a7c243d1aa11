#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL server for the tests.
#   pg_test_server.sh start STATE_DIR   -> initdb into STATE_DIR/data, listen on a free port on
#                                          127.0.0.1, write the connection URL to STATE_DIR/url
#   pg_test_server.sh stop STATE_DIR    -> stop it and delete STATE_DIR
# PostgreSQL refuses to run as root, so as root the server runs as the 'postgres' user.
set -euo pipefail
cmd=$1
state=$2
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found (install 'postgresql')" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if [ -f "$state/url" ] && as_owner "$PGBIN/pg_ctl" -D "$(cat "$state/datadir")" status >/dev/null 2>&1; then
      echo "already running: $(cat "$state/url")"; exit 0
    fi
    rm -rf "$state"; mkdir -p "$state"
    # The cluster lives in /tmp so that the postgres user can reach it wherever the checkout is.
    run=$(mktemp -d /tmp/certseal-pg.XXXXXX)
    chmod 0755 "$run"
    if [ "$(id -u)" = 0 ]; then chown postgres "$run"; fi
    echo "$run" > "$state/datadir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "$PGBIN/initdb" -D "$run/data" -U certseal --auth=trust -E UTF8 --locale=C.UTF-8 >"$run/initdb.log" 2>&1 \
      || { cat "$run/initdb.log" >&2; exit 1; }
    as_owner "$PGBIN/pg_ctl" -D "$run/data" -l "$run/server.log" -w -t 60 \
      -o "-p $port -k $run -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
      || { cat "$run/server.log" >&2; exit 1; }
    as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U certseal certseal_test
    echo "postgresql://certseal@127.0.0.1:$port/certseal_test" > "$state/url"
    chmod 0644 "$state/url"
    echo "started: $(cat "$state/url")"
    ;;
  stop)
    if [ -f "$state/datadir" ]; then
      run=$(cat "$state/datadir")
      as_owner "$PGBIN/pg_ctl" -D "$run/data" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$run"
    fi
    rm -rf "$state"
    echo stopped
    ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
