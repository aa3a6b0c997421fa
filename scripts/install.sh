#!/usr/bin/env bash
# Installs what Hecate and its tests need on a fresh machine: npm packages, and the real Caddy
# and nginx (with the stream module) from Debian. Idempotent; quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v caddy >/dev/null 2>&1 || need_apt+=(caddy)
command -v nginx >/dev/null 2>&1 || need_apt+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || need_apt+=(libnginx-mod-stream)
command -v git >/dev/null 2>&1 || need_apt+=(git)
# Tests also use openssl (a CA for upstream TLS) and ip (a second Caddy node in its own network namespace).
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
# dig: the DNS tests ask the Hetzner sandbox's nameserver with the tool operators use.
command -v dig >/dev/null 2>&1 || need_apt+=(dnsutils)
# chromium: the dashboard test drives Debian's browser with playwright-core (which downloads none).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# etcd: the store conformance and fail-over tests start their own etcd members on loopback ports.
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
# pebble: Let's Encrypt's ACME test server; the certificate tests obtain real certificates from it.
command -v pebble >/dev/null 2>&1 || need_apt+=(pebble)
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "install: apt-get install ${need_apt[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The packages start system services on :80; Hecate's tests use their own loopback ports and
  # never need them, so stop them by their pid files rather than by name.
  for pidf in /run/nginx.pid /run/caddy.pid; do
    [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true
  done
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
