#!/usr/bin/env bash
# A Doppel stack for load runs, apart from the shared one on :3000: its own port, database (doppel_load, recreated
# on every start unless LOADTEST_KEEP_DB=1), Redis prefix, and a snapshot of dist/apps so that someone rebuilding
# dist/ mid-run cannot change what is measured. Stops only the processes it started (pids in loadtest/.stack/).
#
#   bash loadtest/stack.sh start     # gateway on :3100 + 2 workers, synthetic backend as in the presets
#   bash loadtest/stack.sh stop
#
# Settings (env): LOADTEST_PORT (3100), LOADTEST_WORKERS (2), WORKER_CONCURRENCY (64, the runtime's default),
# SYNTHETIC_TTFT_MS (150), SYNTHETIC_TOKENS_PER_SECOND (50), STREAM_CHUNK_INTERVAL_MS (30).
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=loadtest/.stack
PORT=${LOADTEST_PORT:-3100}
WORKERS=${LOADTEST_WORKERS:-2}
DB_NAME=doppel_load
ADMIN_URL=${LOADTEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB_NAME}"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export REDIS_PREFIX=doppelload
export GATEWAY_HOST=127.0.0.1 GATEWAY_PORT=$PORT LOG_LEVEL=${LOG_LEVEL:-warn} SEED_DEMO=false
export MIGRATIONS_DIR="$PWD/migrations"
export WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-64}
export SYNTHETIC_TTFT_MS=${SYNTHETIC_TTFT_MS:-150}
export SYNTHETIC_TOKENS_PER_SECOND=${SYNTHETIC_TOKENS_PER_SECOND:-50}
# Load runs measure the runtime, not a model: the synthetic backend and the hashing embedder.
export CHAT_MODELS=${CHAT_MODELS:-synthetic}
export EMBEDDING_MODEL=${EMBEDDING_MODEL:-hashing-384}
export DEFAULT_CHAT_MODEL=${DEFAULT_CHAT_MODEL:-synthetic}
export STREAM_CHUNK_INTERVAL_MS=${STREAM_CHUNK_INTERVAL_MS:-30}

stop() {
  for pidfile in "$STACK"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
      echo "stopped $(basename "$pidfile" .pid) ($pid)"
    fi
    rm -f "$pidfile"
  done
}

start() {
  stop
  mkdir -p "$STACK/logs"
  [ -f dist/apps/gateway/main.js ] && [ -f dist/apps/worker/main.js ] || { echo "dist/ is missing: npm run build first" >&2; exit 1; }
  rm -rf "$STACK/dist" && mkdir -p "$STACK/dist/apps" && cp -r dist/apps/gateway dist/apps/worker dist/apps/cli "$STACK/dist/apps/"
  git rev-parse --short HEAD > "$STACK/commit" 2>/dev/null || echo unknown > "$STACK/commit"
  if [ "${LOADTEST_KEEP_DB:-0}" != 1 ]; then
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)" >/dev/null
  fi
  node "$STACK/dist/apps/cli/main.js" migrate >"$STACK/logs/migrate.log" 2>&1
  node "$STACK/dist/apps/cli/main.js" models sync >>"$STACK/logs/migrate.log" 2>&1
  # Only this stack's Redis keys: queues and streams left by an earlier run would skew the next.
  redis-cli -u "$REDIS_URL" --scan --pattern "${REDIS_PREFIX}*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null
  nohup node "$STACK/dist/apps/gateway/main.js" >"$STACK/logs/gateway.log" 2>&1 &
  echo $! >"$STACK/gateway.pid"
  for i in $(seq 1 "$WORKERS"); do
    key=$(node -e 'console.log("0x"+require("crypto").randomBytes(32).toString("hex"))')
    WORKER_ID="load-worker-$i" NODE_PRIVATE_KEY=$key nohup node "$STACK/dist/apps/worker/main.js" >"$STACK/logs/worker-$i.log" 2>&1 &
    echo $! >"$STACK/worker-$i.pid"
  done
  url="http://127.0.0.1:${PORT}"
  for _ in $(seq 1 120); do
    body=$(curl -fsS "$url/health/ready" 2>/dev/null || true)
    if echo "$body" | grep -q '"status":"ready"' && [ "$(echo "$body" | grep -o '"nodeId"' | wc -l)" -ge "$WORKERS" ]; then
      {
        echo "--watch gateway=$(cat "$STACK/gateway.pid")"
        for i in $(seq 1 "$WORKERS"); do echo "--watch worker-$i=$(cat "$STACK/worker-$i.pid")"; done
        echo "--watch postgres=comm:postgres"
        echo "--watch redis=comm:redis-server"
      } >"$STACK/watch-flags"
      echo "stack ready at $url (commit $(cat "$STACK/commit"), WORKER_CONCURRENCY=$WORKER_CONCURRENCY, ttft ${SYNTHETIC_TTFT_MS} ms, ${SYNTHETIC_TOKENS_PER_SECOND} tokens/s)"
      echo "watch flags: $(tr '\n' ' ' <"$STACK/watch-flags")"
      return 0
    fi
    sleep 0.5
  done
  echo "the load stack did not become ready in 60 s; see $STACK/logs/" >&2
  tail -n 20 "$STACK"/logs/*.log >&2
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
