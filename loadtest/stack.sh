#!/usr/bin/env bash
# A Doppel stack for load runs, apart from the shared one on :3000: its own port, database (doppel_load, recreated
# on every start unless LOADTEST_KEEP_DB=1), Redis prefix, and a snapshot of dist/apps so that someone rebuilding
# dist/ mid-run cannot change what is measured. Stops only the processes it started (pids in loadtest/.stack/).
#
#   bash loadtest/stack.sh start     # gateway on :3100 + 2 workers, synthetic backend as in the presets
#   bash loadtest/stack.sh stop
#
# By default it also starts its own PostgreSQL (stock settings plus pg_stat_statements, port 5433) and Redis (port
# 6380), so the CPU the harness attributes to them is this stack's alone (the machine's shared servers also serve
# test suites and other people) and `loadtest/stack.sh pg-stats` can show where PostgreSQL's time goes.
# LOADTEST_SHARED_SERVICES=1 uses the shared servers instead (DATABASE_URL's server, REDIS_URL).
#
# Settings (env): LOADTEST_PORT (3100), LOADTEST_WORKERS (2), WORKER_CONCURRENCY (the runtime's default unless set),
# SYNTHETIC_TTFT_MS (150), SYNTHETIC_TOKENS_PER_SECOND (50), STREAM_CHUNK_INTERVAL_MS (40),
# LOADTEST_PG_PORT (5433), LOADTEST_REDIS_PORT (6380), LOADTEST_PG_DIR (/tmp/doppel-loadtest-pg),
# LOADTEST_NODE_FLAGS (extra node flags for the gateway and workers, e.g. --trace-gc; their logs are in $STACK/logs),
# LOADTEST_SOCKETS=unix (the gateway and workers reach the private PostgreSQL and Redis over Unix sockets instead of
# loopback TCP; `scripts/up.sh` uses TCP, as does this stack by default),
# LOADTEST_PG_TRACK_PLANNING=1 (the private PostgreSQL also times planning: a prepared statement planned on most
# calls shows in `pg-stats` and in the harness's per-statement figures),
# LOADTEST_PROFILE=1 (V8 CPU profiles of the gateway and workers, written to loadtest/.stack/profiles on stop;
# summarise them with `node loadtest/profile-summary.mjs loadtest/.stack/profiles/*.cpuprofile`).
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=loadtest/.stack
PORT=${LOADTEST_PORT:-3100}
WORKERS=${LOADTEST_WORKERS:-2}
DB_NAME=doppel_load
PRIVATE=$([ "${LOADTEST_SHARED_SERVICES:-0}" = 1 ] && echo 0 || echo 1)
PG_PORT=${LOADTEST_PG_PORT:-5433}
REDIS_PORT=${LOADTEST_REDIS_PORT:-6380}
PG_DIR=${LOADTEST_PG_DIR:-/tmp/doppel-loadtest-pg}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
SOCKETS=${LOADTEST_SOCKETS:-tcp}
REDIS_SOCKET="$PWD/$STACK/redis.sock"
if [ "$PRIVATE" = 1 ] && [ "$SOCKETS" = unix ]; then
  ADMIN_URL="postgres://postgres@localhost:${PG_PORT}/postgres?host=${PG_DIR}"
  export DATABASE_URL="postgres://postgres@localhost:${PG_PORT}/${DB_NAME}?host=${PG_DIR}"
  export REDIS_URL="unix://${REDIS_SOCKET}"
elif [ "$PRIVATE" = 1 ]; then
  ADMIN_URL="postgres://postgres@127.0.0.1:${PG_PORT}/postgres"
  export DATABASE_URL="postgres://postgres@127.0.0.1:${PG_PORT}/${DB_NAME}"
  export REDIS_URL="redis://127.0.0.1:${REDIS_PORT}"
else
  ADMIN_URL=${LOADTEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB_NAME}"
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
fi
export REDIS_PREFIX=doppelload
export GATEWAY_HOST=127.0.0.1 GATEWAY_PORT=$PORT LOG_LEVEL=${LOG_LEVEL:-warn} SEED_DEMO=false
export MIGRATIONS_DIR="$PWD/migrations"
[ -n "${WORKER_CONCURRENCY:-}" ] && export WORKER_CONCURRENCY
export SYNTHETIC_TTFT_MS=${SYNTHETIC_TTFT_MS:-150}
export SYNTHETIC_TOKENS_PER_SECOND=${SYNTHETIC_TOKENS_PER_SECOND:-50}
# Load runs measure the runtime, not a chat model: the synthetic backend. Everything else is the runtime's default, as
# scripts/up.sh runs it; the embedder too (doppel-embed-small: 0.7 ms of worker CPU a turn more than hashing-384,
# loadtest/README.md, nineteenth round). EMBEDDING_MODEL=hashing-384 in the environment still takes the cheap one.
export CHAT_MODELS=${CHAT_MODELS:-synthetic}
[ -n "${EMBEDDING_MODEL:-}" ] && export EMBEDDING_MODEL
export DEFAULT_CHAT_MODEL=${DEFAULT_CHAT_MODEL:-synthetic}
export STREAM_CHUNK_INTERVAL_MS=${STREAM_CHUNK_INTERVAL_MS:-40}

# redis-cli takes a socket path with -s, not a unix:// URL.
redis_cli_target() {
  case "$REDIS_URL" in unix://*) echo "-s ${REDIS_URL#unix://}" ;; *) echo "-u $REDIS_URL" ;; esac
}
redis_cli() { redis-cli $(redis_cli_target) "$@"; }

# PostgreSQL refuses to run as root: as root, its commands run as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_private_services() {
  [ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql; run scripts/provision.sh, or set LOADTEST_SHARED_SERVICES=1" >&2; exit 1; }
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    echo "load stack: initialising a private PostgreSQL in $PG_DIR…"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $PG_PORT"
      echo "unix_socket_directories = '$PG_DIR'"
      echo "cluster_name = 'doppelload'"
      echo "shared_preload_libraries = 'pg_stat_statements'"
      echo "pg_stat_statements.track = all"
    } | as_pg tee -a "$PG_DIR/postgresql.conf" >/dev/null
  fi
  local pg_options=""
  # Planning time per statement in `pg-stats` and the harness's --pg-stats (it costs a little, so only on request).
  [ "${LOADTEST_PG_TRACK_PLANNING:-0}" = 1 ] && pg_options="-c pg_stat_statements.track_planning=on"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -o "$pg_options" -w start >/dev/null
  head -n 1 "$PG_DIR/postmaster.pid" >"$STACK/postgres.main"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --unixsocket "$REDIS_SOCKET" --unixsocketperm 700 --save '' --appendonly no --daemonize yes \
    --pidfile "$PWD/$STACK/redis.pidfile" --logfile "$PWD/$STACK/logs/redis.log"
  for _ in $(seq 1 40); do [ -s "$STACK/redis.pidfile" ] && break; sleep 0.1; done
  cat "$STACK/redis.pidfile" >"$STACK/redis.main"
}

stop_private_services() {
  if [ -f "$PG_DIR/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null && echo "stopped private PostgreSQL"; fi
  if [ -f "$STACK/redis.main" ]; then
    kill "$(cat "$STACK/redis.main")" 2>/dev/null && echo "stopped private Redis" || true
    rm -f "$STACK/redis.main" "$STACK/redis.pidfile"
  fi
  rm -f "$STACK/postgres.main"
}

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
  stop_private_services
}

start() {
  stop
  mkdir -p "$STACK/logs"
  [ "$PRIVATE" = 1 ] && start_private_services
  [ -f dist/apps/gateway/main.js ] && [ -f dist/apps/worker/main.js ] || { echo "dist/ is missing: npm run build first" >&2; exit 1; }
  rm -rf "$STACK/dist" && mkdir -p "$STACK/dist/apps" && cp -r dist/apps/gateway dist/apps/worker dist/apps/cli "$STACK/dist/apps/"
  git rev-parse --short HEAD > "$STACK/commit" 2>/dev/null || echo unknown > "$STACK/commit"
  if [ "${LOADTEST_KEEP_DB:-0}" != 1 ]; then
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)" >/dev/null
  fi
  node "$STACK/dist/apps/cli/main.js" migrate >"$STACK/logs/migrate.log" 2>&1
  node "$STACK/dist/apps/cli/main.js" models sync >>"$STACK/logs/migrate.log" 2>&1
  # An operator key for the harness's --admission (the gateway's admission state once a second); a file, never a flag.
  (umask 077; node "$STACK/dist/apps/cli/main.js" accounts create "load stack operator" --operator | sed -n 's/^API key[^:]*: //p' >"$STACK/operator-key")
  [ -s "$STACK/operator-key" ] || { echo "could not create the load stack's operator key; see $STACK/logs/" >&2; exit 1; }
  if [ "$PRIVATE" = 1 ]; then
    psql "$DATABASE_URL" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null
  fi
  # Only this stack's Redis keys: queues and streams left by an earlier run would skew the next.
  redis_cli --scan --pattern "${REDIS_PREFIX}*" | xargs -r -n 500 redis-cli $(redis_cli_target) del >/dev/null
  profile=()
  [ "${LOADTEST_PROFILE:-0}" = 1 ] && profile=(--cpu-prof --cpu-prof-dir "$STACK/profiles")
  # Flags node refuses in NODE_OPTIONS (--trace-gc, say) reach the gateway and workers this way.
  read -r -a extra_flags <<<"${LOADTEST_NODE_FLAGS:-}"
  profile+=("${extra_flags[@]}")
  nohup node "${profile[@]}" "$STACK/dist/apps/gateway/main.js" >"$STACK/logs/gateway.log" 2>&1 &
  echo $! >"$STACK/gateway.pid"
  for i in $(seq 1 "$WORKERS"); do
    key=$(node -e 'console.log("0x"+require("crypto").randomBytes(32).toString("hex"))')
    WORKER_ID="load-worker-$i" NODE_PRIVATE_KEY=$key nohup node "${profile[@]}" "$STACK/dist/apps/worker/main.js" >"$STACK/logs/worker-$i.log" 2>&1 &
    echo $! >"$STACK/worker-$i.pid"
  done
  url="http://127.0.0.1:${PORT}"
  for _ in $(seq 1 120); do
    body=$(curl -fsS "$url/health/ready" 2>/dev/null || true)
    if echo "$body" | grep -q '"status":"ready"' && [ "$(echo "$body" | grep -o '"nodeId"' | wc -l)" -ge "$WORKERS" ]; then
      {
        echo "--watch gateway=$(cat "$STACK/gateway.pid")"
        for i in $(seq 1 "$WORKERS"); do echo "--watch worker-$i=$(cat "$STACK/worker-$i.pid")"; done
        if [ "$PRIVATE" = 1 ]; then
          echo "--watch postgres=tree:$(cat "$STACK/postgres.main")"
          echo "--watch redis=$(cat "$STACK/redis.main")"
        else
          echo "--watch postgres=comm:postgres"
          echo "--watch redis=comm:redis-server"
        fi
        # Redis's commands and PostgreSQL's commits, WAL flushes and statements per ok turn, in the run's summary.
        echo "--redis-stats $REDIS_URL"
        echo "--pg-stats $DATABASE_URL"
        echo "--admission $url/operator/admission --operator-key-file $PWD/$STACK/operator-key"
      } >"$STACK/watch-flags"
      echo "stack ready at $url (commit $(cat "$STACK/commit"), WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-default}, $([ "$PRIVATE" = 1 ] && echo "private PostgreSQL :$PG_PORT, Redis :$REDIS_PORT over $SOCKETS" || echo "shared PostgreSQL and Redis"), ttft ${SYNTHETIC_TTFT_MS} ms, ${SYNTHETIC_TOKENS_PER_SECOND} tokens/s)"
      echo "watch flags: $(tr '\n' ' ' <"$STACK/watch-flags")"
      return 0
    fi
    sleep 0.5
  done
  echo "the load stack did not become ready in 60 s; see $STACK/logs/" >&2
  tail -n 20 "$STACK"/logs/*.log >&2
  exit 1
}

# The statements that cost PostgreSQL the most since the last start (private server only).
pg_stats() {
  psql "$DATABASE_URL" -P pager=off -c "SELECT calls, round(total_exec_time::numeric, 0) AS total_ms,
      round((total_exec_time / greatest(calls, 1))::numeric, 3) AS mean_ms, rows, plans, round(total_plan_time::numeric, 0) AS plan_ms,
      left(regexp_replace(query, '\s+', ' ', 'g'), 150) AS query
    FROM pg_stat_statements JOIN pg_database d ON d.oid = dbid WHERE d.datname = '$DB_NAME'
    ORDER BY total_exec_time DESC LIMIT ${1:-25}"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  pg-stats) pg_stats "${2:-25}" ;;
  *) echo "usage: $0 start|stop|pg-stats [N]" >&2; exit 2 ;;
esac
