// Progressive delivery and emergency switches, one command each, applied at once as a new revision
// (visible in `hecate history`, audited, undone with `hecate rollback`): canary, switch,
// disable/enable, block/unblock, bypass-auth. Canary steps and every expiry are carried out by
// the reconcile loop (`hecate serve --reconcile` or `hecate reconcile --watch`).
import { readFileSync } from "node:fs";
import { UsageError } from "../../diag.js";
import type { DeliveryAction } from "../../engine/delivery/actions.js";
import type { CommandDef, Opts } from "../core/define.js";
import type { Context } from "../core/context.js";
import { applyOptions, reportResult } from "./apply.js";
import { method, printPlan } from "./engine.js";
import { DRY_RUN, parseDurationMs } from "./shared-flags.js";
import { int, kv } from "../nouns/parse.js";

const LOCK = { flags: "--lock-timeout <duration>", description: "how long to wait for another apply to finish (default 30s)" };
const COMMON = [LOCK, DRY_RUN];

/** Carry out one delivery action (data: the same the API takes), print what happened. */
async function act(ctx: Context, opts: Opts, action: DeliveryAction): Promise<number> {
  const engine = await ctx.engine();
  const o = await applyOptions(ctx, opts);
  const d = await method(engine, "deliverAction")(action, { ...o, actor: ctx.author, ...(opts.dryRun ? { dryRun: true } : {}) });
  if (d.result.plan && (opts.dryRun || ctx.verbose)) await printPlan(ctx, d.result.plan);
  if (ctx.output !== "json") ctx.say(d.message);
  for (const diag of d.result.plan?.diagnostics ?? []) if (diag.code === "auth-bypassed") ctx.say(ctx.paint("red", `warning: ${diag.message}`));
  if (opts.dryRun) {
    ctx.say("dry run: nothing stored, nothing applied");
    return 0;
  }
  if (d.pending && ctx.output !== "json") ctx.say(`the unapplied head: ${d.pending.startsWith("not") ? d.pending : `carries the change too (revision ${d.pending.slice(0, 12)})`}`);
  return reportResult(ctx, d.result);
}

/** "10", "10%" or "0.5%" → 10 / 0.5; in [min, max]. */
export function percentArg(v: unknown, flag: string, min = 0, max = 100): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(String(v).trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < min || n > max) throw new UsageError(`${flag} expects a percentage from ${min} to ${max} (e.g. 10 or 10%), got "${v}"`);
  return n;
}

/** "Name=value" of --header / --cookie. */
function pair(v: unknown, flag: string): { name: string; value: string } {
  const [name, value] = Object.entries(kv(v, flag)!)[0]!;
  if (!value) throw new UsageError(`${flag} expects NAME=VALUE with a value, e.g. ${flag} X-Canary=1`);
  return { name, value };
}

const durationFlag = (v: unknown, flag: string) => {
  const ms = parseDurationMs(String(v), flag);
  if (ms <= 0) throw new UsageError(`${flag} must be longer than 0`);
  return ms;
};

// ---- canary ---------------------------------------------------------------------------------

const canaryStart: CommandDef = {
  name: "start",
  args: ["<route>"],
  summary: "send a share of a route's requests to another of its pools, stepping up while its error rate stays low",
  flags: [
    { flags: "--to <pool>", description: "the pool under spec.pools that gets the share (default canary with --upstream)" },
    { flags: "--upstream <address>", description: "make the pool (--to) this one upstream first, e.g. 10.0.0.9:8080" },
    { flags: "--weight <percent>", description: "its share of requests to begin with (default 10)" },
    { flags: "--step <percent>", description: "added every --every while its 5xx rate stays under --max-error-rate (without it: stays until promoted)" },
    { flags: "--every <duration>", description: "time between steps (default 5m)" },
    { flags: "--max-error-rate <percent>", description: "rolled back automatically above this share of 5xx answers (default 1%)" },
    { flags: "--min-requests <n>", description: "requests the pool must answer in a step before it is judged (default 100)" },
    { flags: "--header <name=value>", description: "requests with this header always reach the pool (testers opt in)" },
    { flags: "--cookie <name=value>", description: "requests with this cookie always reach the pool" },
    { flags: "--sticky", description: "a client keeps the pool it was first sent to (a cookie)" },
    ...COMMON,
  ],
  examples: [
    "hecate canary start api --to v2 --weight 10 --step 10 --every 5m --max-error-rate 1%",
    "hecate canary start api --to v2 --weight 5 --header X-Canary=1 --sticky",
    "hecate canary start api --upstream 10.0.0.9:8080 --weight 10",
  ],
  async run(ctx, args, opts) {
    const route = String(args[0]);
    if (opts.upstream !== undefined) opts.to ??= "canary";
    if (!opts.to) throw new UsageError("canary start needs --to POOL (a pool under the route's spec.pools) or --upstream ADDRESS");
    const weight = percentArg(opts.weight ?? 10, "--weight");
    const step = opts.step !== undefined ? percentArg(opts.step, "--step", 1) : undefined;
    if (opts.every !== undefined) durationFlag(opts.every, "--every");
    const maxErrorRate = opts.maxErrorRate !== undefined ? percentArg(opts.maxErrorRate, "--max-error-rate") : undefined;
    const minRequests = int(opts.minRequests, "--min-requests");
    if (minRequests !== undefined && minRequests < 1) throw new UsageError(`--min-requests expects a whole number >= 1, got "${opts.minRequests}"`);
    return act(ctx, opts, {
      action: "canary.start",
      route,
      pool: String(opts.to),
      weight,
      ...(step !== undefined ? { step } : {}),
      ...(opts.every !== undefined ? { every: String(opts.every) } : {}),
      ...(maxErrorRate !== undefined ? { maxErrorRate } : {}),
      ...(minRequests !== undefined ? { minRequests } : {}),
      ...(opts.header !== undefined ? { header: pair(opts.header, "--header") } : {}),
      ...(opts.cookie !== undefined ? { cookie: pair(opts.cookie, "--cookie") } : {}),
      ...(opts.sticky ? { sticky: true } : {}),
      ...(opts.upstream !== undefined ? { upstream: String(opts.upstream) } : {}),
    });
  },
};

const canaryStatus: CommandDef = {
  name: "status",
  args: ["[route]"],
  summary: "each canary: its pool, share, requests and errors since its step began, and what the reconcile loop will do",
  examples: ["hecate canary status", "hecate canary status api -o json"],
  async run(ctx, args) {
    const rows = await method(await ctx.engine(), "canaryStatus")(args[0] === undefined ? undefined : String(args[0]));
    if (ctx.format("table") === "json") return void ctx.json(rows);
    if (!rows.length) return void ctx.out("no canaries");
    for (const row of rows) {
      if (!("pool" in row)) ctx.out(`${row.route}: no canary`);
      else ctx.out(`${row.route}: ${row.weight}% to ${row.pool} since ${row.since}; ${row.counts.requests} requests, ${row.counts.errors} errors (${row.rate.toFixed(2)}%); next: ${row.verdict} (${row.why})`);
    }
  },
};

const canaryPromote: CommandDef = {
  name: "promote",
  args: ["<route>"],
  summary: "the canary's pool gets all traffic (or --to PERCENT: a bigger share, still a canary)",
  flags: [{ flags: "--to <percent>", description: "raise its share to this instead of promoting it fully" }, ...COMMON],
  examples: ["hecate canary promote api", "hecate canary promote api --to 50%"],
  async run(ctx, args, opts) {
    const route = String(args[0]);
    if (opts.to !== undefined) {
      const to = percentArg(opts.to, "--to");
      if (to < 100) return act(ctx, opts, { action: "canary.step", route, weight: to });
    }
    return act(ctx, opts, { action: "canary.promote", route });
  },
};

const canaryAbort: CommandDef = {
  name: "abort",
  aliases: ["rollback"],
  args: ["<route>"],
  summary: "stop the canary: no more requests to its pool",
  flags: [{ flags: "--reason <text>", description: "why (history and audit)" }, ...COMMON],
  examples: ["hecate canary abort api --reason 'latency up'"],
  async run(ctx, args, opts) {
    return act(ctx, opts, { action: "canary.abort", route: String(args[0]), ...(opts.reason ? { reason: String(opts.reason) } : {}) });
  },
};

export const canary: CommandDef = {
  name: "canary",
  summary: "progressive delivery: start, status, promote, abort (steps and automatic rollback run in the reconcile loop)",
  examples: ["hecate canary start api --to v2 --weight 10 --step 10 --every 5m", "hecate canary status", "hecate canary abort api"],
  subcommands: [canaryStart, canaryStatus, canaryPromote, canaryAbort],
  async run() {
    throw new UsageError("canary needs a subcommand: start, status, promote or abort (see `hecate canary --help`)");
  },
};

// ---- blue-green, maintenance, blocks, break-glass -------------------------------------------

export const switchCommand: CommandDef = {
  name: "switch",
  args: ["<route>"],
  summary: "blue-green: all of a route's traffic to another of its pools at once (the old one stays a pool)",
  flags: [{ flags: "--to <pool>", description: "the pool under spec.pools that takes over" }, { flags: "--verify", description: "after applying, send a request through Caddy to the route (fails the command if it does not answer)" }, ...COMMON],
  examples: ["hecate switch app --to green --verify", "hecate switch app --to blue"],
  async run(ctx, args, opts) {
    if (!opts.to) throw new UsageError("switch needs --to POOL (a pool under the route's spec.pools)");
    return act(ctx, { ...opts, ...(opts.verify ? { probe: true } : {}) }, { action: "switch", route: String(args[0]), pool: String(opts.to) });
  },
};

export const disable: CommandDef = {
  name: "disable",
  args: ["<route>"],
  summary: "take a route down: a 503 maintenance page with Retry-After instead of its upstreams",
  flags: [
    { flags: "--page <file>", description: "an HTML file served as the page (stored in the revision)" },
    { flags: "--reason <text>", description: "why (history, audit)" },
    { flags: "--retry-after <duration>", description: "the Retry-After clients are told (default 5m)" },
    ...COMMON,
  ],
  examples: ["hecate disable api --reason 'security incident'", "hecate disable shop --page maintenance.html --retry-after 1h"],
  async run(ctx, args, opts) {
    const route = String(args[0]);
    let page: string | undefined;
    if (opts.page !== undefined) {
      try {
        page = readFileSync(String(opts.page), "utf8");
      } catch (err) {
        throw new UsageError(`--page ${opts.page}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (!page.trim()) throw new UsageError(`--page ${opts.page} is empty`);
    }
    const retryAfter = String(opts.retryAfter ?? "5m");
    if (!/^(\d+(ms|s|m|h|d))+$/.test(retryAfter)) throw new UsageError(`--retry-after expects a duration like 30s, 5m or 1h, got "${retryAfter}"`);
    return act(ctx, opts, {
      action: "route.disable",
      route,
      retryAfter,
      ...(page !== undefined ? { page, pageName: String(opts.page) } : {}),
      ...(opts.reason ? { reason: String(opts.reason) } : {}),
    });
  },
};

export const enable: CommandDef = {
  name: "enable",
  args: ["<route>"],
  summary: "serve a disabled route again",
  flags: COMMON,
  examples: ["hecate enable api"],
  async run(ctx, args, opts) {
    return act(ctx, opts, { action: "route.enable", route: String(args[0]) });
  },
};

export const blockCommand: CommandDef = {
  name: "block",
  args: ["<address>"],
  summary: "refuse a client IP or CIDR with 403, on every route or one (--route), for a while (--for) or until unblocked",
  flags: [
    { flags: "--route <route>", description: "only on this route" },
    { flags: "--for <duration>", description: "lifted by the reconcile loop after this long" },
    { flags: "--reason <text>", description: "why (history, audit)" },
    ...COMMON,
  ],
  examples: ["hecate block 203.0.113.7 --for 1h --reason 'credential stuffing'", "hecate block 198.51.100.0/24 --route api"],
  async run(ctx, args, opts) {
    const address = String(args[0]);
    const until = opts.for !== undefined ? new Date(Date.now() + durationFlag(opts.for, "--for")) : undefined;
    return act(ctx, opts, { action: "block", address, ...(opts.route ? { route: String(opts.route) } : {}), ...(until ? { until: until.toISOString() } : {}), ...(opts.reason ? { reason: String(opts.reason) } : {}) });
  },
};

export const unblockCommand: CommandDef = {
  name: "unblock",
  args: ["<address>"],
  summary: "lift a block",
  flags: [{ flags: "--route <route>", description: "a block on this route only" }, ...COMMON],
  examples: ["hecate unblock 203.0.113.7"],
  async run(ctx, args, opts) {
    return act(ctx, opts, { action: "unblock", address: String(args[0]), ...(opts.route ? { route: String(opts.route) } : {}) });
  },
};

export const bypassAuth: CommandDef = {
  name: "bypass-auth",
  args: ["<route>"],
  summary: "break-glass: serve a protected route without sign-in for a limited time (restored by the reconcile loop)",
  flags: [
    { flags: "--for <duration>", description: "how long (required; sign-in returns by itself after it)" },
    { flags: "--reason <text>", description: "why (required: history, audit, plans)" },
    { flags: "--end", description: "require sign-in again now" },
    ...COMMON,
  ],
  examples: ["hecate bypass-auth grafana --for 15m --reason 'authentik down, incident 4711'", "hecate bypass-auth grafana --end"],
  async run(ctx, args, opts) {
    const route = String(args[0]);
    if (opts.end) return act(ctx, opts, { action: "bypass-auth.end", route });
    if (opts.for === undefined) throw new UsageError("bypass-auth needs --for DURATION (e.g. 15m): a bypass always ends by itself");
    if (!opts.reason || !String(opts.reason).trim()) throw new UsageError("bypass-auth needs --reason TEXT: it is recorded in history and audit");
    const ms = durationFlag(opts.for, "--for");
    if (ms > 24 * 3_600_000) throw new UsageError("--for is at most 24h: a longer bypass is a public route (public: true)");
    const until = new Date(Date.now() + ms);
    return act(ctx, opts, { action: "bypass-auth", route, until: until.toISOString(), reason: String(opts.reason) });
  },
};

export const DELIVERY_COMMANDS: CommandDef[] = [canary, switchCommand, disable, enable, blockCommand, unblockCommand, bypassAuth];
