#!/bin/sh
# Entry point of the replyguard image: `replyguard <command> [args]`, e.g. serve (the default), migrate, purge, train.
# `bootstrap-model` runs deploy/bootstrap_model.py instead: make sure the registry has an active model.
# PGPASSWORD_FILE (not a REPLYGUARD_* name, which the service would refuse as unknown): a mounted secret file whose
# content becomes PGPASSWORD, which the PostgreSQL driver uses when REPLYGUARD_DATABASE_URL carries no password.
set -eu
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
fi
if [ "${1:-}" = "bootstrap-model" ]; then
    shift
    exec python "$(dirname "$0")/bootstrap_model.py" "$@"
fi
exec replyguard "$@"
