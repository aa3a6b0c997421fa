// `hecate sandbox hetzner`: the offline Hetzner Cloud DNS API and its nameserver on loopback, for
// trying a repository without a Hetzner account (demos, CI). Runs until interrupted.
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

export const sandboxHetzner: CommandDef = {
  name: "hetzner",
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
    const token = randomBytes(24).toString("base64url");
    const tmp = opts.tokenFile === undefined ? mkdtempSync(join(tmpdir(), "hecate-sandbox-")) : undefined;
    const tokenFile = resolve(opts.tokenFile !== undefined ? String(opts.tokenFile) : join(tmp!, "hetzner.token"));
    writeFileSync(tokenFile, token + "\n", { mode: 0o600 });
    const hz = await startHetznerSandbox({
      token,
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
        `token: in ${tokenFile}`,
        "",
        "Point Hecate at it with these Settings:",
        "  spec:",
        `    hetzner: {endpoint: "${hz.url}", token: "file:${tokenFile}"}`,
        `    dns: {nameservers: ["${ns}"]}`,
        "",
        `then: hecate plan, hecate apply, hecate check dns HOST, dig @${hz.dns.host} -p ${hz.dns.port} HOST`,
        "Stop with Ctrl-C.",
      ].join("\n"),
    );
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      process.stdout.once("error", stop); // output pipe closed: nobody can use the printed settings
    });
    await hz.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    ctx.say("sandbox stopped");
  },
};
