// `hecate import SOURCE` for caddy, nginx, eos, npm and traefik: adopt an existing proxy setup as Hecate resources.
// Definitions only: the work is in import-run.ts and src/import/, loaded when a command runs.
import type { CommandDef, Flag } from "../core/define.js";
import { DRY_RUN, MESSAGE } from "./shared-flags.js";

const OUTPUT: Flag[] = [
  { flags: "--out <dir>", description: "write the resources as YAML files (one per kind) and a README of the import into DIR, instead of storing them" },
  { ...MESSAGE, description: "revision message when storing (default: \"import <source>: N resources from FILE\")" },
  { ...DRY_RUN, description: "show the resources and what was mapped, kept verbatim or refused; store and write nothing" },
];
/** Sources whose live objects are in a proxy Hecate does not run: --adopt is there to say so, not to be silently unknown. */
const NO_ADOPT: Flag = { flags: "--adopt", description: "refused: the live objects are in a proxy Hecate does not run (the message says what to do instead)" };
const run = () => import("./import-run.js");

export const importCaddy: CommandDef = {
  name: "caddy",
  summary: "routes from a Caddyfile, a live Caddy or Caddy JSON, through Caddy's own adapter; what has no Hecate field is kept verbatim",
  flags: [
    { flags: "--caddyfile <file>", description: "a Caddyfile, adapted by `caddy adapt` (or by POST /adapt on --admin when given)" },
    { flags: "--admin <url>", description: "a Caddy admin endpoint: its live config (alone), or the adapter for --caddyfile" },
    { flags: "--json <file>", description: "Caddy JSON config (what `caddy adapt` or GET /config/ gives)" },
    { flags: "--adopt", description: "with --admin: store the routes, then replace the imported servers of that Caddy with Hecate's in one load, so the next plan is empty (it is printed)" },
    ...OUTPUT,
  ],
  examples: ["hecate import caddy --caddyfile /etc/caddy/Caddyfile --out imported/", "hecate import caddy --admin http://127.0.0.1:2019 -m \"adopt the live Caddy\"", "hecate import caddy --json caddy.json --dry-run", "hecate import caddy --admin http://127.0.0.1:2019 --adopt"],
  run: async (ctx, args, opts) => (await run()).runImportCaddy(ctx, args, opts),
};

export const importNginx: CommandDef = {
  name: "nginx",
  summary: "streams from nginx stream config: upstream and server blocks of the files in a directory (e.g. conf.d/stream)",
  flags: [
    { flags: "--streams <dir>", description: "directory of nginx stream config files (*.conf), or one file" },
    { flags: "--adopt", description: "store the streams, then move them into Hecate's stream file of the nginx the stored Settings name (the files keep their original as comments) in one checked reload, so the next plan is empty (it is printed)" },
    ...OUTPUT,
  ],
  examples: ["hecate import nginx --streams /etc/nginx/conf.d/stream --out imported/", "hecate import nginx --streams /etc/nginx/conf.d/stream --adopt -m \"adopt the streams\""],
  run: async (ctx, args, opts) => (await run()).runImportNginx(ctx, args, opts),
};

export const importEos: CommandDef = {
  name: "eos",
  summary: "routes, streams and auth policies from the eos hecate apps file (apps: {name: {domain, backend, type, sso, talk}})",
  flags: [
    { flags: "-c, --config <file>", description: "the eos apps YAML (base_domain, apps)" },
    { flags: "--listen <address>", description: "address the apps' streams listen on (default: every address)" },
    { flags: "--adopt", description: "refused: the live objects are the Caddyfile eos rendered; adopt that with import caddy --admin URL --adopt" },
    ...OUTPUT,
  ],
  examples: ["hecate import eos --config config.yaml --out imported/", "hecate import eos -c config.yaml -m \"adopt eos apps\""],
  run: async (ctx, args, opts) => (await run()).runImportEos(ctx, args, opts),
};

export const importNpm: CommandDef = {
  name: "npm",
  summary: "Nginx Proxy Manager's proxy hosts, redirection hosts, streams, access lists and certificates from its sqlite database",
  flags: [{ flags: "--db <file>", description: "NPM's database.sqlite (read only)" }, NO_ADOPT, ...OUTPUT],
  examples: ["hecate import npm --db /data/database.sqlite --out imported/"],
  run: async (ctx, args, opts) => (await run()).runImportNpm(ctx, args, opts),
};

export const importTraefik: CommandDef = {
  name: "traefik",
  summary: "routes from Traefik dynamic config (--file) or service tags of a Consul/Nomad catalog export (--tags: urlprefix- and traefik.http.routers.*)",
  flags: [
    { flags: "--file <file>", description: "Traefik dynamic configuration (YAML or JSON: http.routers, http.services, http.middlewares)" },
    { flags: "--tags <file>", description: "a Consul/Nomad service catalog export (JSON) whose service tags are urlprefix-… or traefik.…" },
    { flags: "--host <host>", description: "the host for rules and tags that name only a path (PathPrefix(`/api`), urlprefix-/api)" },
    NO_ADOPT,
    ...OUTPUT,
  ],
  examples: ["hecate import traefik --file dynamic.yml --out imported/", "hecate import traefik --tags services.json --dry-run"],
  run: async (ctx, args, opts) => (await run()).runImportTraefik(ctx, args, opts),
};

export const IMPORTS: CommandDef[] = [importCaddy, importNginx, importEos, importNpm, importTraefik];

export const exportTraefikTags: CommandDef = {
  name: "traefik-tags",
  args: ["[paths...]"],
  summary: "the Traefik labels and fabio urlprefix- tags each route's Consul/Nomad service would carry (of PATHS, or the head)",
  flags: [],
  examples: ["hecate export traefik-tags", "hecate export traefik-tags config/ -o json"],
  run: async (ctx, args, opts) => (await run()).runExportTraefikTags(ctx, args, opts),
};
