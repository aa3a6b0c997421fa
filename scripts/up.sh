#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed, then run the local stack (real Caddy
# and nginx on loopback, embedded store), apply its desired state and prove it with traffic.
# Pass --once to stop after the checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node --import tsx scripts/local-stack.ts "$@"
