#!/usr/bin/env bash
# Compiles the gateway, the worker and the CLI into dist/ (webpack bundles; node_modules stay external).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "build: gateway, worker, cli, verify…"
for app in gateway worker cli verify; do
  npx --no-install nest build "$app" >/tmp/doppel-build-$app.log 2>&1 || { cat /tmp/doppel-build-$app.log >&2; echo "build: $app failed (log above)" >&2; exit 1; }
done
echo "build: done"
