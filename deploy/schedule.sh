#!/bin/sh
# A minimal scheduler for compose's `jobs` profile (Kubernetes uses CronJobs instead):
#   schedule.sh HH:MM DAY <replyguard command and args>
# runs the command at HH:MM UTC every day (DAY '*') or on one weekday only (DAY Mon, Tue, ..., Sun). Times come from
# the clock, not from the container's start, so restarting the container never skips or doubles a run.
set -eu
at="$1"
day="$2"
shift 2
while :; do
    now=$(date -u +%s)
    next=$(date -u -d "today $at" +%s)
    if [ "$next" -le "$now" ]; then
        next=$(date -u -d "tomorrow $at" +%s)
    fi
    sleep $((next - now))
    if [ "$day" = "*" ] || [ "$(date -u +%a)" = "$day" ]; then
        "$(dirname "$0")/entrypoint.sh" "$@" || echo "schedule: replyguard $* failed with status $?" >&2
    fi
done
