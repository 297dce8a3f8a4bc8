#!/bin/sh
# A throw-away PostgreSQL server for tests and benches: private data directory, free loopback port.
#   scripts/pg/test-server.sh start [DIR]   initdb + start; prints the URL (postgres://sms@127.0.0.1:PORT/postgres)
#   scripts/pg/test-server.sh stop DIR      stops it and removes DIR
# Exit 3 when PostgreSQL is not installed (Debian: apt-get install postgresql). initdb refuses to
# run as root, so as root the server runs as the `postgres` user. fsync is off: a test server only.
set -eu
# The newest installed major version unless PG_BIN names one.
BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
BIN=${BIN:-/usr/lib/postgresql/NOT-INSTALLED/bin}
cmd=${1:-}
if [ "$(id -u)" = 0 ]; then RUN="runuser -u postgres --"; else RUN=""; fi

case "$cmd" in
start)
  if [ ! -x "$BIN/initdb" ] || [ ! -x "$BIN/pg_ctl" ]; then
    echo "PostgreSQL is not installed: $BIN/initdb not found (Debian: apt-get install postgresql)" >&2
    exit 3
  fi
  DIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/sms-pg.XXXXXX")}
  mkdir -p "$DIR"
  [ -n "$RUN" ] && chown postgres "$DIR"
  PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  $RUN "$BIN/initdb" -D "$DIR/data" -U sms --auth=trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
  $RUN "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$DIR/server.log" >&2; exit 1; }
  echo "postgres://sms@127.0.0.1:$PORT/postgres"
  ;;
stop)
  DIR=${2:?usage: test-server.sh stop DIR}
  if [ -f "$DIR/data/postmaster.pid" ]; then $RUN "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
  rm -rf "$DIR"
  ;;
*)
  echo "usage: $0 start [DIR] | stop DIR" >&2
  exit 2
  ;;
esac
