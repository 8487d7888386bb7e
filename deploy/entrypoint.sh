#!/bin/sh
# Entry point of the replyguard image: `replyguard <command> [args]`, e.g. serve (the default), migrate, purge, train.
# PGPASSWORD_FILE (not a REPLYGUARD_* name, which the service would refuse as unknown): a mounted secret file whose
# content becomes PGPASSWORD, which the PostgreSQL driver uses when REPLYGUARD_DATABASE_URL carries no password.
set -eu
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
fi
exec replyguard "$@"
