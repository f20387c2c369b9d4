#!/usr/bin/env bash
# Everything Doppel needs on this host before it can build, run or test: Node dependencies, PostgreSQL with
# pgvector, Redis. Idempotent and quick when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "provision: Doppel needs Node.js >= 20.19 (found $(node --version 2>/dev/null || echo none)); install it and run again." >&2
  exit 1
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.doppel-installed
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  # `npm install`, not `npm ci`: the lock lacks some other platforms' optional binaries (the registry mirror
  # has no matching versions), which `npm ci` treats as out of sync; install still honours every locked version.
  echo "provision: installing Node dependencies (npm install from package-lock.json)…"
  npm install --no-fund --no-audit --loglevel=error
  echo "$lock_hash" > "$stamp"
else
  echo "provision: Node dependencies are installed"
fi

# The optional zk prover (GPL-3.0: circom2 + snarkjs) is its own package with its own lock; the main package never
# imports it. Installed here so the tests run real proofs; DOPPEL_SKIP_ZK_PROVER=1 leaves it out (level zk then
# answers VERIFICATION_UNAVAILABLE).
prover_dir=apps/zk-prover
prover_hash=$(sha256sum "$prover_dir/package-lock.json" | cut -d' ' -f1)
prover_stamp="$prover_dir/node_modules/.doppel-installed"
if [ "${DOPPEL_SKIP_ZK_PROVER:-0}" = 1 ]; then
  echo "provision: zk prover skipped (DOPPEL_SKIP_ZK_PROVER=1)"
elif [ ! -f "$prover_stamp" ] || [ "$(cat "$prover_stamp")" != "$prover_hash" ]; then
  echo "provision: installing the optional zk prover ($prover_dir, GPL-3.0, its own lock)…"
  (cd "$prover_dir" && npm ci --no-fund --no-audit --loglevel=error)
  echo "$prover_hash" > "$prover_stamp"
else
  echo "provision: zk prover is installed"
fi

bash scripts/ensure-services.sh

# The browser tests drive Debian's Chromium (no browser downloads); as root on Debian/Ubuntu it is installed here.
if [ -x /usr/bin/chromium ]; then
  echo "provision: Chromium is installed (browser tests)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "provision: installing Chromium from the distribution's packages (browser tests)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
  echo "provision: /usr/bin/chromium is missing; the browser tests need it (apt-get install chromium, as root)." >&2
fi
