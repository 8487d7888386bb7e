#!/usr/bin/env bash
# Start a throwaway Redis server on loopback in a temp dir and print its URL on stdout.
# Usage: eval "$(.ci/redis.sh start)"  ->  sets REDIS_TMPDIR and REPLYGUARD_TEST_REDIS_URL
#        .ci/redis.sh stop "$REDIS_TMPDIR"
set -euo pipefail

redis_server() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis.sh: redis-server not found; installing Debian's redis-server package" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
  fi
  command -v redis-server
}

case "${1:-}" in
  start)
    server=$(redis_server)
    dir=$(mktemp -d /tmp/replyguard-redis.XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$server" --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
    for _ in $(seq 50); do
      if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null; then
        echo "export REDIS_TMPDIR=$dir"
        echo "export REPLYGUARD_TEST_REDIS_URL=redis://127.0.0.1:$port/0"
        exit 0
      fi
      sleep 0.1
    done
    cat "$dir/redis.log" >&2
    exit 1
    ;;
  stop)
    dir=${2:?usage: redis.sh stop DIR}
    if [ -f "$dir/redis.pid" ]; then
      pid=$(cat "$dir/redis.pid")
      kill "$pid" 2>/dev/null || true
      # Redis writes its last log lines while it exits: removing the folder before then raced with them
      # ("Directory not empty") and failed a green run in its clean-up.
      for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    rm -rf "$dir" || { sleep 1; rm -rf "$dir"; }
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
