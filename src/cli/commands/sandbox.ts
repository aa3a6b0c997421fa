// `hecate sandbox hetzner` and `hecate sandbox authentik`: offline stand-ins for the systems Hecate drives, on loopback,
// for trying a repository without an account (demos, CI). Each runs until interrupted and prints
// the Settings that point Hecate at it.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../../diag.js";
import type { CommandDef, Opts } from "../core/define.js";
import { int } from "../nouns/parse.js";
import { parseDurationMs } from "./shared-flags.js";

function port(opts: Opts, flag: "port" | "dnsPort", name: string): number {
  const n = int(opts[flag], name) ?? 0;
  if (n < 0 || n > 65535) throw new UsageError(`${name} must be a port number (0 picks a free one)`);
  return n;
}

/** A token file: the given path, or a new temporary directory removed when the sandbox stops. */
function tokenFile(opts: Opts, name: string): { path: string; token: string; cleanup(): void } {
  const token = randomBytes(24).toString("base64url");
  const tmp = opts.tokenFile === undefined ? mkdtempSync(join(tmpdir(), "hecate-sandbox-")) : undefined;
  const path = resolve(opts.tokenFile !== undefined ? String(opts.tokenFile) : join(tmp!, name));
  writeFileSync(path, token + "\n", { mode: 0o600 });
  return { path, token, cleanup: () => tmp && rmSync(tmp, { recursive: true, force: true }) };
}

/** Until Ctrl-C, SIGTERM, or the output pipe closing (nobody can use the printed settings then). */
function untilStopped(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = () => done();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    process.stdout.once("error", stop);
  });
}

export const sandboxAuthentik: CommandDef = {
  name: "authentik",
  local: "runs a stand-in on this machine",
  summary: "run an authentik stand-in (API v3 and the embedded outpost with a login page) on loopback until interrupted",
  flags: [
    { flags: "--port <port>", description: "port (default: a free one)" },
    { flags: "--seed <file>", description: "users and groups (YAML: groups: [{name}], users: [{username, password, groups}]); default one user, printed" },
    { flags: "--version <version>", description: "the authentik version to imitate, e.g. 2024.8 (default: the API client's)" },
    { flags: "--token-file <file>", description: "where to write the API token (default: a new temporary file)" },
  ],
  examples: ["hecate sandbox authentik", "hecate sandbox authentik --seed people.yaml --port 9000 --version 2025.10"],
  async run(ctx, _args, opts) {
    const { startAuthentikSandbox, loadSeed } = await import("../../sandbox/authentik/index.js");
    const password = randomBytes(9).toString("base64url");
    const seed = opts.seed !== undefined ? loadSeed(String(opts.seed)) : { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [{ username: "demo", password, groups: ["staff"] }] };
    const tok = tokenFile(opts, "authentik.token");
    const ak = await startAuthentikSandbox({
      token: tok.token,
      port: port(opts, "port", "--port"),
      seed,
      ...(opts.version !== undefined ? { version: String(opts.version) } : {}),
    });
    const outpost = new URL(ak.url).host;
    ctx.out(
      [
        `authentik sandbox: ${ak.url} (API ${ak.apiUrl}, outpost ${outpost})`,
        opts.seed === undefined ? `sign in as: demo / ${password} (group staff)` : `users: ${seed.users.map((u) => u.username).join(", ") || "none"}`,
        `token: in ${tok.path}`,
        "",
        "Point Hecate at it with these Settings:",
        "  spec:",
        `    authentik: {url: "${ak.url}", token: "file:${tok.path}", outpost: "${outpost}"}`,
        "",
        "Stop with Ctrl-C.",
      ].join("\n"),
    );
    await untilStopped();
    await ak.close();
    tok.cleanup();
    ctx.say("sandbox stopped");
  },
};

export const sandboxHetzner: CommandDef = {
  name: "hetzner",
  local: "runs a stand-in on this machine",
  summary: "run a Hetzner Cloud DNS API stand-in and its nameserver on loopback until interrupted",
  flags: [
    { flags: "--port <port>", description: "API port (default: a free one)" },
    { flags: "--dns-port <port>", description: "nameserver port, UDP and TCP (default: a free one)" },
    { flags: "--seed <file>", description: "zones and record sets to start with (YAML: zones: [{name, rrsets: [...]}])" },
    { flags: "--zone <zone>", description: "an empty zone to start with (repeatable)", repeatable: true },
    { flags: "--token-file <file>", description: "where to write the API token (default: a new temporary file); an existing token is not reused" },
    { flags: "--rate-limit <n>", description: "requests per hour, as Hetzner counts them (default 3600)" },
    { flags: "--action-delay <duration>", description: "how long each write's action runs (default 100ms)" },
  ],
  examples: ["hecate sandbox hetzner --zone example.com", "hecate sandbox hetzner --seed zones.yaml --port 8081 --dns-port 5353"],
  async run(ctx, _args, opts) {
    const { startHetznerSandbox, loadSeed } = await import("../../sandbox/hetzner/index.js");
    const seed = opts.seed !== undefined ? await loadSeed(String(opts.seed)) : { zones: [] };
    for (const z of (opts.zone as string[] | undefined) ?? []) if (!seed.zones.some((s) => s.name === z)) seed.zones.push({ name: z });
    const perHour = int(opts.rateLimit, "--rate-limit");
    if (perHour !== undefined && perHour < 1) throw new UsageError("--rate-limit must be at least 1 request per hour");
    const tok = tokenFile(opts, "hetzner.token");
    const hz = await startHetznerSandbox({
      token: tok.token,
      port: port(opts, "port", "--port"),
      dnsPort: port(opts, "dnsPort", "--dns-port"),
      zones: seed.zones,
      ...(perHour ? { rateLimit: { limit: perHour, refillPerSecond: perHour / 3600 } } : {}),
      ...(opts.actionDelay !== undefined ? { actionDelayMs: parseDurationMs(String(opts.actionDelay), "--action-delay") } : {}),
    });
    const ns = `${hz.dns.host}:${hz.dns.port}`;
    ctx.out(
      [
        `Hetzner sandbox: API ${hz.url}, nameserver ${ns} (UDP and TCP)`,
        `zones: ${hz.zones().map((z) => z.name).join(", ") || "none yet (add --zone example.com)"}`,
        `token: in ${tok.path}`,
        "",
        "Point Hecate at it with these Settings:",
        "  spec:",
        `    hetzner: {endpoint: "${hz.url}", token: "file:${tok.path}"}`,
        `    dns: {nameservers: ["${ns}"]}`,
        "",
        `then: hecate plan, hecate apply, hecate check dns HOST, dig @${hz.dns.host} -p ${hz.dns.port} HOST`,
        "Stop with Ctrl-C.",
      ].join("\n"),
    );
    await untilStopped();
    await hz.close();
    tok.cleanup();
    ctx.say("sandbox stopped");
  },
};
