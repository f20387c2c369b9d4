#!/usr/bin/env bash
# Stops the gateway and workers that scripts/up.sh started (graceful SIGTERM, then SIGKILL after 10 s).
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=${1:-}
for pidfile in .run/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    [ "$quiet" = --quiet ] || echo "stopped $(basename "$pidfile" .pid)"
  fi
  rm -f "$pidfile"
done
