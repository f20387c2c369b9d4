#!/usr/bin/env bash
# README command one: from a fresh clone to a running Doppel (services, migrations, demo persona, one gateway
# and two workers), then prints where to go. Safe to run again: it restarts Doppel's processes.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n[%s] %s\n' "$1" "$2"; }
step 1/6 "provisioning (Node dependencies, PostgreSQL + pgvector, Redis)"
bash scripts/provision.sh
step 2/6 "building"
bash scripts/build.sh
step 3/6 "migrating the database and registering models"
node dist/apps/cli/main.js migrate
node dist/apps/cli/main.js models sync
step 4/6 "seeding the demo persona and the model hub catalogue"
node dist/apps/cli/main.js seed
if [ -d ../shared/fixtures/model-hub/cards ]; then
  node dist/apps/cli/main.js models hub import ../shared/fixtures/model-hub/cards
else
  echo "model hub: no seed catalogue at ../shared/fixtures/model-hub/cards; the hub starts empty"
fi

step 5/6 "starting one gateway and two workers (logs in .run/)"
bash scripts/down.sh --quiet
mkdir -p .run
# Each worker keeps its signing key in an encrypted keystore under .run/keys; the password is made once, here.
if [ -z "${NODE_KEYSTORE_PASSWORD:-}" ]; then
  [ -s .run/keystore-password ] || (umask 077; node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))' > .run/keystore-password)
  export NODE_KEYSTORE_PASSWORD=$(cat .run/keystore-password)
fi
start() {
  local name=$1; shift
  nohup env "$@" >".run/$name.log" 2>&1 &
  echo $! >".run/$name.pid"
}
# The gateway's Oblivious HTTP key (development: made once here, mode 0600, never printed); its public hash goes to
# .run/ohttp.json, where `npm run chat -- --via-relay …` finds the pin.
if [ -z "${OHTTP_KEYS:-}" ]; then
  [ -s .run/ohttp-keys ] || (umask 077; node dist/apps/cli/main.js ohttp keygen --id 1 | node -pe 'JSON.parse(require("fs").readFileSync(0)).key' > .run/ohttp-keys)
  export OHTTP_KEYS=$(cat .run/ohttp-keys)
fi
relay_port=${RELAY_PORT:-3200}
relay_url="http://127.0.0.1:${relay_port}/"
node dist/apps/cli/main.js ohttp pins | node -e '
  const pins = require("fs").readFileSync(0, "utf8").trim().split("\n").map((line) => line.split("\t")[1]);
  console.log(JSON.stringify({ relays: [process.argv[1]], pins }, null, 2));' "$relay_url" > .run/ohttp.json
start gateway node dist/apps/gateway/main.js
start worker-1 WORKER_ID="${HOSTNAME:-local}-worker-1" node dist/apps/worker/main.js
start worker-2 WORKER_ID="${HOSTNAME:-local}-worker-2" node dist/apps/worker/main.js
start ohttp-relay RELAY_GATEWAY_URL="http://127.0.0.1:${GATEWAY_PORT:-3000}/ohttp" RELAY_PORT="$relay_port" node dist/apps/ohttp-relay/main.js

port=${GATEWAY_PORT:-3000}
url="http://127.0.0.1:${port}"
step 6/6 "waiting for ${url}/health/ready to report two workers"
for i in $(seq 1 120); do
  body=$(curl -fsS "$url/health/ready" 2>/dev/null || true)
  if echo "$body" | grep -q '"status":"ready"' && [ "$(echo "$body" | grep -o '"nodeId"' | wc -l)" -ge 2 ]; then
    cat <<DONE

Doppel is running.
  web app:      $url/   sign in with the demo API key, printed by:
                  node -p "require('./.run/demo.json').apiKey"
                the demo account is a consumer, creator and operator:
                  $url/#/ (personas, chat)   $url/#/studio   $url/#/ops
  API + docs:   $url/docs
  readiness:    $url/health/ready
  chat (CLI):   npm run chat -- "Hello Ada"        (or plain \`npm run chat\` for a conversation)
  private chat: npm run chat -- --via-relay $relay_url "Hello Ada"   (Oblivious HTTP; docs/privacy.md)
  logs:         .run/gateway.log .run/worker-1.log .run/worker-2.log .run/ohttp-relay.log
  stop:         npm run down
DONE
    exit 0
  fi
  for name in gateway worker-1 worker-2 ohttp-relay; do
    if ! kill -0 "$(cat ".run/$name.pid")" 2>/dev/null; then
      echo "$name exited; its log says:" >&2; tail -n 20 ".run/$name.log" >&2; exit 1
    fi
  done
  sleep 0.5
done
echo "Doppel did not become ready in 60 s; see .run/*.log" >&2
exit 1
