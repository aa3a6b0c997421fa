#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed, then `hecate up`: real Caddy and nginx,
# the authentik and Hetzner sandboxes and demo apps on loopback, the embedded store; the starter
# state applied once and proven with traffic. --detach returns once it is up (`hecate down` stops
# it), --once stops after the checks, no flag runs until Ctrl-C. `bash scripts/up.sh --help` for more.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node bin/hecate.js up "$@"
