#!/usr/bin/env bash
# The multi-host topology of test/cluster/run.sh, on one machine:
#   - a bridge (dplbr0, 10.77.0.1/24) in the root namespace; each "host" is a network namespace with one veth on it
#     and its own address: gateways gw1 10.77.0.11, gw2 10.77.0.12; workers wk1 10.77.0.21, wk2 10.77.0.22.
#     No forwarding or NAT: a namespace reaches the other namespaces and the root namespace's bridge address, nothing else.
#   - a Redis Cluster (3 primaries + 3 replicas, scripts/redis-cluster.sh) bound to the bridge address;
#   - HAProxy in the root namespace: HTTP/WebSocket on 127.0.0.1:$LB_PORT to the gateways, health-checked on
#     /health/ready, and a TCP relay from the bridge to the local PostgreSQL (which listens on 127.0.0.1 only).
# Commands: up | down | start-host NAME | stop-host NAME (SIGTERM, waits) | kill-host NAME (link cut + SIGKILL of
# every process in it) | lb-state | env
# Must run as root (ip netns). Every name it makes starts with dpl; down removes all of them.
set -euo pipefail
cd "$(dirname "$0")/../.."

STATE=${CLUSTER_STATE:-/tmp/doppel-cluster-test}
BRIDGE=dplbr0
SUBNET_HOST=10.77.0.1
LB_PORT=${CLUSTER_LB_PORT:-18480}
GATEWAY_PORT=18481
PG_RELAY_PORT=15433
REDIS_FIRST_PORT=17401
DB_NAME=${CLUSTER_DB_NAME:-doppel_cluster}
PREFIX=doppelcluster
declare -A HOST_IP=([gw1]=10.77.0.11 [gw2]=10.77.0.12 [wk1]=10.77.0.21 [wk2]=10.77.0.22)
declare -A HOST_ROLE=([gw1]=gateway [gw2]=gateway [wk1]=worker [wk2]=worker)
HOSTS=(gw1 gw2 wk1 wk2)

redis_cluster() {
  REDIS_CLUSTER_HOST=$SUBNET_HOST REDIS_CLUSTER_PORT=$REDIS_FIRST_PORT REDIS_CLUSTER_DIR=$STATE/redis \
    REDIS_CLUSTER_NODE_TIMEOUT_MS=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-1500} bash scripts/redis-cluster.sh "$@"
}

app_env() {
  cat <<EOF
DATABASE_URL=postgres://postgres@$SUBNET_HOST:$PG_RELAY_PORT/$DB_NAME
DATABASE_POOL_SIZE=10
REDIS_CLUSTER_NODES=$(redis_cluster nodes)
REDIS_PREFIX=$PREFIX
MIGRATIONS_DIR=$PWD/migrations
LOG_LEVEL=warn
SEED_DEMO=false
CHAT_MODELS=synthetic
EMBEDDING_MODEL=hashing-384
DEFAULT_CHAT_MODEL=synthetic
SYNTHETIC_TTFT_MS=${SYNTHETIC_TTFT_MS:-150}
SYNTHETIC_TOKENS_PER_SECOND=${SYNTHETIC_TOKENS_PER_SECOND:-50}
STREAM_CHUNK_INTERVAL_MS=${STREAM_CHUNK_INTERVAL_MS:-40}
RATE_TURNS_PER_MINUTE=10000
RATE_CONNECTIONS_PER_MINUTE=10000
HEARTBEAT_INTERVAL_MS=500
HEARTBEAT_TTL_MS=2500
TURN_LOCK_MS=${TURN_LOCK_MS:-4000}
TURN_DEADLINE_MS=${TURN_DEADLINE_MS:-30000}
EOF
}

ns() { echo "dpl-$1"; }

make_host() {
  local name=$1 ip=${HOST_IP[$1]}
  ip netns add "$(ns "$name")"
  ip link add "dplv-$name" type veth peer name eth0 netns "$(ns "$name")"
  ip link set "dplv-$name" master "$BRIDGE" up
  ip -n "$(ns "$name")" addr add "$ip/24" dev eth0
  ip -n "$(ns "$name")" link set eth0 up
  ip -n "$(ns "$name")" link set lo up
}

start_host() {
  local name=$1 role=${HOST_ROLE[$1]} ip=${HOST_IP[$1]}
  ip link set "dplv-$name" up
  local extra=()
  if [ "$role" = gateway ]; then
    extra=(GATEWAY_HOST="$ip" GATEWAY_PORT="$GATEWAY_PORT")
  else
    extra=(WORKER_ID="cluster-$name" NODE_PRIVATE_KEY="0x$(openssl rand -hex 32)")
  fi
  # setsid: the host's processes are their own group, so nothing here waits on them.
  ip netns exec "$(ns "$name")" setsid env -i PATH="$PATH" $(app_env | tr '\n' ' ') "${extra[@]}" \
    node "dist/apps/$role/main.js" >>"$STATE/logs/$name.log" 2>&1 < /dev/null &
  if [ "$role" = gateway ]; then
    for _ in $(seq 1 150); do
      curl -fsS "http://$ip:$GATEWAY_PORT/health/ready" 2>/dev/null | grep -q '"status":"ready"' && return 0
      sleep 0.2
    done
    echo "topology: gateway $name did not become ready (see $STATE/logs/$name.log)" >&2
    return 1
  fi
}

host_pids() { ip netns pids "$(ns "$1")" 2>/dev/null || true; }

stop_host() {
  local name=$1 pids
  pids=$(host_pids "$name")
  [ -z "$pids" ] && return 0
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 100); do
    [ -z "$(host_pids "$name")" ] && return 0
    sleep 0.1
  done
  kill -KILL $(host_pids "$name") 2>/dev/null || true
}

# A host that dies: its link goes first (no FIN or RST reaches anyone), then every process in it.
kill_host() {
  local name=$1
  ip link set "dplv-$name" down
  kill -KILL $(host_pids "$name") 2>/dev/null || true
  for _ in $(seq 1 50); do [ -z "$(host_pids "$name")" ] && break; sleep 0.1; done
}

write_haproxy_config() {
  cat > "$STATE/haproxy.cfg" <<EOF
global
  maxconn 4000
  pidfile $STATE/haproxy.pid
  stats socket $STATE/haproxy.sock mode 600 level admin

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # socket.io over WebSocket: an upgraded connection is a tunnel.
  timeout tunnel 1h
  option redispatch
  retries 2

frontend chat
  bind 127.0.0.1:$LB_PORT
  default_backend gateways

backend gateways
  balance leastconn
  option httpchk GET /health/ready
  http-check expect status 200
  # A gateway marked down has its tunnels cut at once, so its clients reconnect to another instead of waiting
  # for socket.io's ping timeout.
  # Checks allow for a busy machine (a slow answer is not a dead gateway); a dead one is down within ~3 s.
  timeout check 1500ms
  default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
  server gw1 ${HOST_IP[gw1]}:$GATEWAY_PORT check
  server gw2 ${HOST_IP[gw2]}:$GATEWAY_PORT check

listen postgres
  mode tcp
  bind $SUBNET_HOST:$PG_RELAY_PORT
  timeout client 1h
  timeout server 1h
  server local 127.0.0.1:5432
EOF
}

up() {
  [ "$(id -u)" = 0 ] || { echo "topology: needs root (ip netns)" >&2; exit 1; }
  down >/dev/null 2>&1 || true
  mkdir -p "$STATE/logs"
  ip link add "$BRIDGE" type bridge
  ip addr add "$SUBNET_HOST/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  for name in "${HOSTS[@]}"; do make_host "$name"; done
  redis_cluster start >/dev/null
  write_haproxy_config
  # setsid and no terminal: a daemon that inherits one is stopped (SIGTTOU/SIGTTIN) when it touches it.
  setsid haproxy -f "$STATE/haproxy.cfg" -D </dev/null >>"$STATE/logs/haproxy.log" 2>&1
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
  env $(app_env | tr '\n' ' ') node dist/apps/cli/main.js migrate >"$STATE/logs/migrate.log" 2>&1
  env $(app_env | tr '\n' ' ') node dist/apps/cli/main.js models sync >>"$STATE/logs/migrate.log" 2>&1
  start_host wk1
  start_host wk2
  start_host gw1
  start_host gw2
  for _ in $(seq 1 50); do
    [ "$(lb_state | grep -c UP)" = 2 ] && return 0
    sleep 0.2
  done
  echo "topology: HAProxy does not see both gateways up" >&2
  lb_state >&2
  return 1
}

lb_state() {
  echo "show stat" | socat stdio "unix-connect:$STATE/haproxy.sock" 2>/dev/null | awk -F, '$1=="gateways" && $2!="BACKEND" {print $2, $18}' \
    || true
}

down() {
  for name in "${HOSTS[@]}"; do
    kill -KILL $(host_pids "$name") 2>/dev/null || true
    ip netns del "$(ns "$name")" 2>/dev/null || true
    ip link del "dplv-$name" 2>/dev/null || true
  done
  [ -f "$STATE/haproxy.pid" ] && kill "$(cat "$STATE/haproxy.pid")" 2>/dev/null || true
  redis_cluster stop || true
  ip link del "$BRIDGE" 2>/dev/null || true
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$STATE/haproxy.pid" "$STATE/haproxy.sock"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  start-host) start_host "$2" ;;
  stop-host) stop_host "$2" ;;
  kill-host) kill_host "$2" ;;
  lb-state) lb_state ;;
  env) app_env ;;
  redis) shift; redis_cluster "$@" ;;
  *) echo "usage: topology.sh up|down|start-host H|stop-host H|kill-host H|lb-state|env|redis ARGS" >&2; exit 2 ;;
esac
