#!/usr/bin/env bash
# README command two: the whole test suite (unit + end-to-end against real PostgreSQL + pgvector and Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
npx --no-install tsc -p tsconfig.json --noEmit
bash scripts/build.sh
mkdir -p test-results
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
node -e '
  const r = require("./test-results/vitest.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null || true
exit $status
