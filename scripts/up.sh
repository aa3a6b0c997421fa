#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed, then `hecate up`: real Caddy and nginx,
# the authentik and Hetzner sandboxes and demo apps on loopback, the embedded store; the starter
# state applied once and proven with traffic. --detach returns once it is up (`hecate down` stops
# it), --once stops after the checks, no flag runs until Ctrl-C. `bash scripts/up.sh --help` for more.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# The built CLI starts in a fraction of the time tsx needs; built again only when a source is newer.
if ! node --input-type=module -e 'const m = await import("./bin/start.js"); process.exit(m.fresh("cli/main") ? 0 : 1)'; then
  echo "up: building the CLI (tsc into dist/)" >&2
  # Built aside, then swapped in whole: a CLI starting meanwhile never sees half a build.
  tmp=$(mktemp -d .dist-XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  npx tsc -p tsconfig.build.json --outDir "$tmp"
  rm -rf dist && mv "$tmp" dist
  trap - EXIT
fi
exec node bin/hecate.js up "$@"
