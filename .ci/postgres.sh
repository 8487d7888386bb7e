#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback in a temp dir and print its asyncpg URL on stdout.
# Usage: eval "$(.ci/postgres.sh start)"  ->  sets PG_TMPDIR and REPLYGUARD_TEST_DATABASE_URL
#        .ci/postgres.sh stop "$PG_TMPDIR"
# initdb refuses to run as root, so as root the cluster runs as the unprivileged user `nobody`.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local candidate
  candidate=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$candidate" ]; then
    echo "postgres.sh: $name not found; installing Debian's postgresql package" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    candidate=$(ls -d /usr/lib/postgresql/*/bin/"$name" | sort -V | tail -n 1)
  fi
  echo "$candidate"
}

as_db_user() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
    dir=$(mktemp -d /tmp/replyguard-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_db_user "$initdb" -D "$dir/data" -U replyguard --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_db_user "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" \
      start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    createdb=$(find_bin createdb)
    as_db_user "$createdb" -h 127.0.0.1 -p "$port" -U replyguard replyguard_test >&2
    echo "export PG_TMPDIR=$dir"
    echo "export REPLYGUARD_TEST_DATABASE_URL=postgresql+asyncpg://replyguard@127.0.0.1:$port/replyguard_test"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    pg_ctl=$(find_bin pg_ctl)
    as_db_user "$pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
