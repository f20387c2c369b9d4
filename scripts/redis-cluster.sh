#!/usr/bin/env bash
# A local Redis Cluster from Debian's redis-server: 3 primaries + 3 replicas on consecutive ports.
#   bash scripts/redis-cluster.sh start   prints REDIS_CLUSTER_NODES=… once every node says cluster_state:ok
#   bash scripts/redis-cluster.sh stop    stops the nodes and removes their folder
#   bash scripts/redis-cluster.sh status
#   bash scripts/redis-cluster.sh lose-writes PORT MS   the primary on PORT dies with writes its replica never got
# Settings (environment): REDIS_CLUSTER_HOST (address to bind and announce, default 127.0.0.1),
# REDIS_CLUSTER_PORT (first port, default 17101), REDIS_CLUSTER_DIR (default /tmp/doppel-redis-cluster-<port>),
# REDIS_CLUSTER_NODE_TIMEOUT_MS (how long a silent primary has before its replica takes over, default 1500).
set -euo pipefail

host=${REDIS_CLUSTER_HOST:-127.0.0.1}
first_port=${REDIS_CLUSTER_PORT:-17101}
dir=${REDIS_CLUSTER_DIR:-/tmp/doppel-redis-cluster-$first_port}
node_timeout=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-1500}
ports=()
for offset in 0 1 2 3 4 5; do ports+=($((first_port + offset))); done

nodes_list() {
  local list=() port
  for port in "${ports[@]}"; do list+=("$host:$port"); done
  (IFS=,; echo "${list[*]}")
}

require_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-cluster: redis-server is missing (apt-get install redis-server)" >&2
    exit 1
  fi
}

start_node() {
  local port=$1 node_dir="$dir/$1"
  mkdir -p "$node_dir"
  cat > "$node_dir/redis.conf" <<EOF
port $port
bind $host
protected-mode no
daemonize yes
dir $node_dir
pidfile $node_dir/redis.pid
logfile $node_dir/redis.log
cluster-enabled yes
cluster-config-file $node_dir/nodes.conf
cluster-node-timeout $node_timeout
cluster-announce-ip $host
cluster-replica-validity-factor 0
cluster-require-full-coverage no
save ""
appendonly no
EOF
  redis-server "$node_dir/redis.conf"
}

wait_ok() {
  local deadline=$((SECONDS + 30)) port all_ok
  while :; do
    all_ok=1
    for port in "${ports[@]}"; do
      redis-cli -h "$host" -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || all_ok=0
    done
    [ "$all_ok" = 1 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      echo "redis-cluster: not every node reached cluster_state:ok within 30 s (logs in $dir/*/redis.log)" >&2
      return 1
    fi
    sleep 0.2
  done
}

start() {
  require_redis
  if [ -d "$dir" ]; then
    echo "redis-cluster: $dir exists; stop the cluster first (bash scripts/redis-cluster.sh stop)" >&2
    exit 1
  fi
  local port
  for port in "${ports[@]}"; do start_node "$port"; done
  for port in "${ports[@]}"; do
    local deadline=$((SECONDS + 10))
    until redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; do
      [ $SECONDS -ge $deadline ] && { echo "redis-cluster: node $port did not start (see $dir/$port/redis.log)" >&2; exit 1; }
      sleep 0.1
    done
  done
  local addresses=()
  for port in "${ports[@]}"; do addresses+=("$host:$port"); done
  # redis-cli waits for the nodes to join with no limit of its own; a join that stalls (a node paused in the handshake)
  # would hang the caller.
  timeout 60 redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 || {
    cat "$dir/create.log" >&2
    exit 1
  }
  wait_ok
  echo "REDIS_CLUSTER_NODES=$(nodes_list)"
}

stop() {
  # Read every pid before signalling: a node that shuts down removes its own pidfile, so a second read can race it.
  local port pid pids=()
  for port in "${ports[@]}"; do
    pid=$(cat "$dir/$port/redis.pid" 2>/dev/null) || continue
    pids+=("$pid")
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

status() {
  local port
  for port in "${ports[@]}"; do
    printf '%s:%s ' "$host" "$port"
    redis-cli -h "$host" -p "$port" role 2>/dev/null | head -1 || echo down
  done
}

# Redis replication is asynchronous: what a primary acknowledged in the instant before it died may never reach the
# replica that takes over. This makes that instant last MS ms, so tests can rely on it: the replica is paused, its
# link to the primary cut, the primary keeps acknowledging writes for MS ms, then it is SIGKILLed and the replica
# resumes (and is promoted after cluster-node-timeout).
lose_writes() {
  local port=$1 ms=$2 replica_port replica_pid
  replica_port=$(redis-cli -h "$host" -p "$port" role | sed -n 4p)
  [ -n "$replica_port" ] || { echo "redis-cluster: $port is not a primary with a replica" >&2; exit 1; }
  replica_pid=$(cat "$dir/$replica_port/redis.pid")
  kill -STOP "$replica_pid"
  redis-cli -h "$host" -p "$port" client kill type replica >/dev/null
  sleep "$(awk "BEGIN { print $ms / 1000 }")"
  kill -KILL "$(cat "$dir/$port/redis.pid")"
  kill -CONT "$replica_pid"
  echo "$replica_port"
}

case "${1:-}" in
  start) start ;;
  lose-writes) lose_writes "$2" "$3" ;;
  stop) stop ;;
  status) status ;;
  nodes) nodes_list ;;
  *) echo "usage: bash scripts/redis-cluster.sh start|stop|status|nodes|lose-writes PORT MS" >&2; exit 2 ;;
esac
