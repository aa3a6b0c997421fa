// `hecate list certs` (what each certificate is and how long it has left, or only those expiring),
// `hecate cert renew NAME` (a dns-01 certificate obtained again by Hecate when due or forced, then
// loaded into Caddy) and `hecate cert import NAME --cert F --key F` (a PEM pair kept as store
// Secrets behind an imported Certificate). NAME may be one of the Certificate's hosts.
import { HecateError, UsageError } from "../../diag.js";
import { API_VERSION } from "../../model/api-version.js";
import type { Resource } from "../../model/schema.js";
import type { Context } from "../core/context.js";
import type { CommandDef, Opts } from "../core/define.js";
import { addressOf, commitEdit } from "../core/state.js";
import { MESSAGE, parseDurationMs } from "./shared-flags.js";
import { method } from "./engine.js";

export const certs = () => import("../../certs/index.js");
const DAY = 86_400_000;
/** "2026-12-01T17:00:00Z": to the second, as tables show times. */
export const isoSecond = (t: string | number) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");

/** `list certs --expiring-within D | --expiring-soon`: the window in ms, or undefined for every certificate. */
async function expiryWindow(opts: Opts): Promise<number | undefined> {
  if (opts.expiringWithin !== undefined && opts.expiringSoon) throw new UsageError("give --expiring-within or --expiring-soon, not both");
  if (opts.expiringWithin !== undefined) return parseDurationMs(String(opts.expiringWithin), "--expiring-within", "30d, 7d or 12h");
  if (!opts.expiringSoon) return undefined;
  const { EXPIRY_THRESHOLDS_DAYS } = await import("../../secrets/upkeep.js");
  return Math.max(...EXPIRY_THRESHOLDS_DAYS) * DAY;
}

/** 30 days, 12 hours: a window as an operator wrote it. */
function formatWindow(ms: number): string {
  const [n, unit] = ms % DAY === 0 ? [ms / DAY, "day"] : ms % 3_600_000 === 0 ? [ms / 3_600_000, "hour"] : [Math.round(ms / 60_000), "minute"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

export async function listCerts(ctx: Context, opts: Opts = {}): Promise<void> {
  const window = await expiryWindow(opts);
  // The engine's (through the API, the server's: it holds the PEMs and reaches Caddy).
  let rows = await method(await ctx.engine(), "certificates")();
  if (window !== undefined) {
    const limit = Date.now() + window;
    // No known not-after (Caddy's own when no node serves them, dns-01 ones not obtained yet):
    // named apart rather than shown as expiring or silently left out.
    const unknown = rows.filter((r) => r.daysLeft === null);
    rows = rows.filter((r) => r.daysLeft !== null && Date.parse(r.notAfter) <= limit);
    if (unknown.length) ctx.io.stderr.write(`not shown, their not-after unknown to Hecate: ${unknown.map((r) => `${r.name}: ${r.lastError ?? r.source}`).join("; ")}\n`);
  }
  ctx.records(rows, [
    { header: "NAME", get: (r) => r.name },
    { header: "HOSTS", get: (r) => r.hosts },
    { header: "ISSUER", get: (r) => r.issuer },
    { header: "NOT-AFTER", get: (r) => (r.notAfter === "-" ? "-" : isoSecond(r.notAfter)) },
    { header: "DAYS LEFT", get: (r) => (r.daysLeft === null ? "-" : String(r.daysLeft)) },
    { header: "SOURCE", get: (r) => r.source + (r.revoked ? ` (REVOKED ${isoSecond(r.revoked.at)}, ${r.revoked.reason}; the next renewal replaces it)` : "") + (r.lastError ? ` (last renewal failed: ${r.lastError})` : "") },
  ], window === undefined ? "no certificates" : `no certificate expires within ${formatWindow(window)}`);
}

export const certRenew: CommandDef = {
  name: "renew",
  args: ["<name>"],
  summary: "obtain a dns-01 certificate again (ACME through Hecate's DNS provider) when it is due, missing or revoked, or now with --force; then load it into Caddy; a failure keeps the current one serving",
  flags: [{ flags: "--force", description: "renew even when it is not due (due: two thirds of its lifetime passed, hosts changed, revoked, or not obtained yet)" }],
  examples: ["hecate cert renew wildcard", "hecate cert renew '*.example.com' --force"],
  async run(ctx, [word], opts) {
    const engine = await ctx.engine();
    const r = await method(engine, "renewCertificate")(String(word), { force: Boolean(opts.force), log: (m) => ctx.say(m) });
    if (!r.renewed) {
      const due = isoSecond(r.renewalDue);
      if (ctx.output === "json") ctx.json({ certificate: r.name, renewed: false, notAfter: r.notAfter, renewalDue: due });
      else ctx.say(`certificate ${r.name} is not due: renewal at ${due} (two thirds of its lifetime), valid until ${isoSecond(r.notAfter)}; --force renews it now`);
      return;
    }
    ctx.say(`certificate ${r.name}: ${r.certificate.hosts.join(", ")} until ${r.certificate.notAfter}${r.previous ? ` (was until ${r.previous.notAfter})` : ""}`);
    await loadIntoCaddy(ctx, engine, r.name, r.certificate);
  },
};

/** After a renewal: Caddy's apply, so it serves the new certificate. */
export async function loadIntoCaddy(ctx: Context, engine: Awaited<ReturnType<Context["engine"]>>, name: string, certificate: { chain?: string }, json: Record<string, unknown> = {}): Promise<void> {
  const applied = await engine.apply({ systems: ["caddy"] });
  if (applied.status === "failed") throw new HecateError("apply-failed", `certificate ${name} was obtained but Caddy did not take it: ${applied.steps.map((s) => s.error).filter(Boolean).join("; ")}`);
  if (ctx.output === "json") ctx.json({ ...json, certificate: { ...certificate, chain: undefined }, renewed: true, apply: applied.status });
  else ctx.say(`caddy: ${applied.status === "no-op" ? "already serving it" : "serving the new certificate"}`);
}

/** A PEM file, or a clear error naming it. */
export const readPem = async (file: string, what: string): Promise<string> => (await import("../../certs/manual.js")).readPem(file, what);

/** A flag given under either of its two spellings (both at once only when they agree). */
function either(opts: Opts, a: string, b: string): string | undefined {
  const x = opts[a] as string | undefined, y = opts[b] as string | undefined;
  if (x !== undefined && y !== undefined && x !== y) throw new UsageError(`--${a} and --${b.replace(/File$/, "-file")} differ: give one of them`);
  return x ?? y;
}

export const certImport: CommandDef = {
  name: "import",
  args: ["<name>"],
  summary: "bring a certificate and key from PEM files: both kept as store Secrets (the key encrypted), the Certificate imported, its hosts from the certificate",
  flags: [
    { flags: "--cert <file>", description: "PEM certificate chain, leaf first" },
    { flags: "--key <file>", description: "PEM private key of the leaf" },
    { flags: "--cert-file <file>", description: "the same as --cert" },
    { flags: "--key-file <file>", description: "the same as --key" },
    MESSAGE,
  ],
  examples: ["hecate cert import legacy --cert fullchain.pem --key privkey.pem && hecate apply --yes", "hecate cert import custom.example.com --cert-file cert.pem --key-file key.pem"],
  async run(ctx, [name], opts: Opts) {
    const certFile = either(opts, "cert", "certFile"), keyFile = either(opts, "key", "keyFile");
    if (certFile === undefined || keyFile === undefined) throw new UsageError("cert import needs --cert FILE (or --cert-file) and --key FILE (or --key-file)");
    const { checkPair } = await certs();
    const chain = await readPem(certFile, "certificate");
    const key = await readPem(keyFile, "key");
    const facts = checkPair(chain, key, String(name));
    const n = String(name);
    const secret = (s: string): Resource => ({ apiVersion: API_VERSION, kind: "Secret", metadata: { name: s }, spec: { from: "store" } }) as Resource;
    const cert: Resource = { apiVersion: API_VERSION, kind: "Certificate", metadata: { name: n }, spec: { hosts: facts.hosts, issuer: "imported", certificate: `secret:${n}-certificate`, key: `secret:${n}-key` } } as Resource;
    await commitEdit(ctx, async (resources) => {
      const made = [secret(`${n}-certificate`), secret(`${n}-key`), cert];
      const keep = resources.filter((r) => !made.some((m) => addressOf(m) === addressOf(r)));
      return {
        after: [...keep, ...made],
        changed: made.map(addressOf),
        message: (opts.message as string | undefined) ?? `import certificate ${n} (${facts.hosts.join(", ")}, until ${facts.notAfter})`,
        dryRun: false,
        beforeStore: [
          async (store) => {
            await store.putSecret(`${n}-certificate`, chain);
            await store.putSecret(`${n}-key`, key);
          },
        ],
      };
    });
    ctx.say(`apply to serve it: hecate apply`);
  },
};

export const CERT_COMMANDS: CommandDef[] = [certRenew, certImport];
