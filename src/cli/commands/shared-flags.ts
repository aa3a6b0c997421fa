// Flags several verbs share, declared once so they read the same everywhere.
import { UsageError } from "../../diag.js";
import type { Context } from "../core/context.js";
import type { Flag } from "../core/define.js";

export const DRY_RUN: Flag = { flags: "--dry-run", description: "show what would change; store nothing" };
export const MESSAGE: Flag = { flags: "-m, --message <text>", description: "revision message (default: generated, e.g. \"create route app\")" };
export const LABEL: Flag = { flags: "--label <key=value>", description: "set a label (repeatable)", repeatable: true };
export const FILE: Flag = { flags: "-f, --file <file>", description: "take the resource(s) from a YAML file (- for stdin)" };
export const YES: Flag = { flags: "-y, --yes", description: "do not ask for confirmation" };
/** Where plan, apply and render take the desired state from, besides PATHS. */
export const SOURCE_FLAGS: Flag[] = [
  { flags: "--git <url>", description: "take the desired state from this git repository" },
  { flags: "--ref <ref>", description: "branch, tag or commit (with --git)" },
  { flags: "--git-path <dir>", description: "directory inside the repository (with --git)" },
];
export const SYSTEM_FLAG: Flag = { flags: "--system <systems>", description: "only these systems (comma-separated: dns, certs, authentik, caddy, nginx)" };
export const TIMEOUT: Flag = {
  flags: "--timeout <duration>",
  description: "longest one request to Caddy's admin API, and one step of the engine, may take (default: Settings spec.caddy.timeout, else 120s)",
};

export const LEADER_TTL: Flag = {
  flags: "--leader-ttl <duration>",
  description: "lease of the reconcile leader lock: how soon another process takes over from a leader that died (default 15s)",
};

export function leaderTtl(opts: Record<string, unknown>): number {
  return opts.leaderTtl === undefined ? 15_000 : parseDurationMs(String(opts.leaderTtl), "--leader-ttl");
}

/** --selector k=v (repeatable, or comma-separated): labels a resource must all have. */
export function parseSelector(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of ((v as string[] | undefined) ?? []).flatMap((s) => s.split(","))) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--selector expects KEY=VALUE, got "${item}"`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

/** "60s", "5m", "1h", "7d", "500ms" or plain seconds, as milliseconds. */
export function parseDurationMs(v: string, flag: string, examples = "30s, 5m or 1h"): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new UsageError(`${flag} expects a duration like ${examples}, got "${v}"`);
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h" | "d"]);
}

/** --timeout for this command's engine: set before the engine is opened. */
export function useTimeout(ctx: Context, opts: Record<string, unknown>): void {
  if (opts.timeout !== undefined) ctx.timeoutMs = parseDurationMs(String(opts.timeout), "--timeout");
}

/** A whole-number flag value (--max-deletes 5), or undefined when the flag was not given. */
export function int(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^-?\d+$/.test(s)) throw new UsageError(`${flag} expects a whole number, got "${s}"`);
  return Number(s);
}
