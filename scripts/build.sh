#!/usr/bin/env bash
# Compiles the gateway, the worker and the CLI into dist/ (webpack bundles; node_modules stay external), and the
# browser app into dist/web (Vite), which the gateway serves at `/`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "build: gateway, worker, cli, verify, ohttp-relay…"
for app in gateway worker cli verify ohttp-relay; do
  npx --no-install nest build "$app" >/tmp/doppel-build-$app.log 2>&1 || { cat /tmp/doppel-build-$app.log >&2; echo "build: $app failed (log above)" >&2; exit 1; }
done
echo "build: web app…"
{ npx --no-install tsc -p apps/web/tsconfig.json && npx --no-install vite build --config apps/web/vite.config.ts --logLevel warn; } >/tmp/doppel-build-web.log 2>&1 \
  || { cat /tmp/doppel-build-web.log >&2; echo "build: web app failed (log above)" >&2; exit 1; }
echo "build: done"
