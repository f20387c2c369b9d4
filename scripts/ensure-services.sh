#!/usr/bin/env bash
# Makes sure PostgreSQL (with pgvector) and Redis answer on their URLs. In order of preference: they already run;
# a local install that is stopped gets started; a Docker engine runs them from docker-compose.yml; as root on
# Debian/Ubuntu they are installed from the distribution's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
redis_host=$(node -e 'const u=new URL(process.argv[1]);console.log(u.hostname)' "$REDIS_URL")
redis_port=$(node -e 'const u=new URL(process.argv[1]);console.log(u.port||6379)' "$REDIS_URL")

have() { command -v "$1" >/dev/null 2>&1; }
docker_engine() { have docker && docker info >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  [ -n "${DOPPEL_APT_UPDATED:-}" ] || { apt-get update -qq; export DOPPEL_APT_UPDATED=1; }
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_up() { have psql && psql "$PG_ADMIN_URL" -tAc 'select 1' >/dev/null 2>&1; }
redis_up() {
  if have redis-cli; then redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG
  else node -e '
    const s=require("net").connect(+process.argv[2],process.argv[1]);s.on("connect",()=>s.write("PING\r\n"));
    s.on("data",d=>process.exit(String(d).includes("PONG")?0:1));s.on("error",()=>process.exit(1));' "$redis_host" "$redis_port"
  fi
}
wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do $check && return 0; sleep 0.5; done
  echo "services: $what did not come up; check its log, then run this again." >&2
  exit 1
}

if pg_up; then
  echo "services: PostgreSQL is up"
elif have pg_ctlcluster && ls /etc/postgresql >/dev/null 2>&1; then
  echo "services: starting the local PostgreSQL cluster…"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  wait_for PostgreSQL pg_up
elif docker_engine; then
  echo "services: starting PostgreSQL (pgvector image) with docker compose…"
  docker compose up -d postgres
  wait_for PostgreSQL pg_up
elif is_root && have apt-get; then
  echo "services: installing PostgreSQL from the distribution's packages…"
  apt_install postgresql postgresql-client
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  # Doppel connects over TCP as the postgres role; a fresh cluster wants a password there: use trust on loopback only.
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -1)
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main reload
  wait_for PostgreSQL pg_up
else
  echo "services: PostgreSQL is not reachable at $PG_ADMIN_URL. Start PostgreSQL >= 15 (or set PG_ADMIN_URL), then run this again." >&2
  exit 1
fi

PG_ADMIN_URL=$PG_ADMIN_URL bash scripts/ensure-pgvector.sh

if redis_up; then
  echo "services: Redis is up"
elif have redis-server; then
  echo "services: starting Redis…"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no \
    --dir "$( [ -w /var/lib/redis ] && echo /var/lib/redis || echo /tmp )" \
    --logfile "$( [ -w /var/log/redis ] && echo /var/log/redis/doppel.log || echo /tmp/doppel-redis.log )"
  wait_for Redis redis_up
elif docker_engine; then
  echo "services: starting Redis with docker compose…"
  docker compose up -d redis
  wait_for Redis redis_up
elif is_root && have apt-get; then
  echo "services: installing Redis from the distribution's packages…"
  apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no
  wait_for Redis redis_up
else
  echo "services: Redis is not reachable at $REDIS_URL. Start Redis >= 7 (or set REDIS_URL), then run this again." >&2
  exit 1
fi
