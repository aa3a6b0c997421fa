#!/usr/bin/env bash
# Runs every test: type check, unit and golden tests, and the integration tests that start real
# Caddy and nginx on loopback ports. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npx tsc -p tsconfig.json
# Nothing a test does may land in the real home: point the XDG directories at a temp dir.
xdg=$(mktemp -d -t hecate-test-xdg-XXXXXX)
trap 'rm -rf "$xdg"' EXIT
export XDG_CONFIG_HOME="$xdg/config" XDG_STATE_HOME="$xdg/state" XDG_DATA_HOME="$xdg/data" XDG_CACHE_HOME="$xdg/cache"
# `caddy hash-password` (Caddy's smallstep code) makes $HOME/.step unless STEPPATH points elsewhere.
export STEPPATH="$xdg/step"
mapfile -t files < <(find src test -name '*.test.ts' | sort)
# Compact output: a line per file, failures in full, a closing "N passed, N failed" line
# (test/reporter.mjs). Node's exit status stays: any failing test fails the command.
node --import tsx --test --test-reporter=./test/reporter.mjs --test-concurrency=2 --test-timeout=600000 "${files[@]}"
