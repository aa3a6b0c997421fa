#!/usr/bin/env bash
# Runs every test: type check, unit and golden tests, and the integration tests that start real
# Caddy and nginx on loopback ports. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npx tsc -p tsconfig.json
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
