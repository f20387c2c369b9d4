#!/usr/bin/env bash
# Doppel past one machine, tested on one machine (issue 19): builds a Redis Cluster (3 primaries + 3 replicas),
# four "hosts" as network namespaces (two gateways, two workers) and HAProxy in front of the gateways, then
#   1. runs the chaos suite and the chat-turn suite with their processes on the Redis Cluster;
#   2. runs the failure scenarios under bounded load (test/cluster/scenarios.ts): a gateway host dies, a rolling
#      restart of every gateway, a worker host dies, a Redis primary dies; checks that no accepted turn is lost
#      silently and no stream has a gap or repeat, and that PostgreSQL agrees;
# and tears everything down, also when a step fails or the script is interrupted (INT/TERM). Needs root (ip netns),
# PostgreSQL on 127.0.0.1:5432 and a build (npm run build). HAProxy, socat and redis-server (and iproute2, curl) are
# installed from Debian's packages when missing. CI runs it after npm test (.ci/run).
#   bash test/cluster/run.sh                       everything (~2.5 min on the 2-core machine)
#   CLUSTER_CLIENTS=12 bash test/cluster/run.sh     a lighter load
#   CLUSTER_SKIP_SUITES=1 bash test/cluster/run.sh  only the scenarios
# The summary is written to test-results/cluster/summary.json.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" = 0 ] || { echo "cluster test: needs root (ip netns, veth, a bridge)" >&2; exit 1; }
[ -f dist/apps/gateway/main.js ] && [ -f dist/apps/worker/main.js ] || { echo "cluster test: npm run build first" >&2; exit 1; }
missing=()
for tool in haproxy:haproxy socat:socat redis-server:redis-server redis-cli:redis-tools ip:iproute2 curl:curl psql:postgresql-client; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cluster test: installing ${missing[*]} from the distribution's packages…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export CLUSTER_STATE=${CLUSTER_STATE:-/tmp/doppel-cluster-test}
trap 'bash test/cluster/topology.sh down; echo "cluster test: torn down"' EXIT
# Long steps run in the background and are waited for, so a signal is handled at once: the step is stopped, then the
# EXIT trap tears the topology down.
step=
on_signal() {
  [ -n "$step" ] && kill -TERM "$step" 2>/dev/null
  exit 143
}
trap on_signal INT TERM
run_step() {
  "$@" &
  step=$!
  wait "$step"
  step=
}

echo "cluster test: building the topology (Redis Cluster, 4 namespaces, HAProxy)…"
started=$SECONDS
bash test/cluster/topology.sh up
echo "cluster test: up in $((SECONDS - started)) s"
bash test/cluster/topology.sh lb-state

if [ "${CLUSTER_SKIP_SUITES:-0}" != 1 ]; then
  echo "cluster test: the chaos and chat-turn suites on the Redis Cluster…"
  TEST_REDIS_CLUSTER_NODES=$(bash test/cluster/topology.sh redis nodes) TEST_DATABASE_NAME=${TEST_DATABASE_NAME:-doppel_test_cluster} \
    run_step npx vitest run test/chaos.e2e-spec.ts test/chat-turn.e2e-spec.ts
fi

echo "cluster test: failure scenarios under load…"
mkdir -p test-results/cluster
CLUSTER_OUT=test-results/cluster/summary.json run_step npx vite-node --config vitest.config.ts test/cluster/scenarios.ts
echo "cluster test: passed"
