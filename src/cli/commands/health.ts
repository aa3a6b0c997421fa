// `hecate health`, `hecate metrics` and `hecate debug system NAME`: each system Hecate drives,
// read now (reachable, how fast, what it holds, whether it still matches the last apply).
import { HecateError } from "../../diag.js";
import type { HealthReport, SystemHealth } from "../../engine/health.js";
import type { CommandDef } from "../core/define.js";
import type { Context } from "../core/context.js";
import { method, parseSystems } from "./engine.js";
import { SYSTEM_FLAG, TIMEOUT, useTimeout } from "./shared-flags.js";

async function read(ctx: Context, opts: Record<string, unknown>, systems?: string): Promise<HealthReport> {
  useTimeout(ctx, opts);
  const only = await parseSystems(systems ?? opts.system, ctx);
  return method(await ctx.engine(), "health")(only ? { systems: only } : {});
}

const STATE: Record<SystemHealth["state"], string> = {
  ok: "ok",
  drifted: "drifted",
  pending: "not applied",
  down: "DOWN",
};

function detail(s: SystemHealth): string {
  if (s.state === "down") return s.error ?? "";
  const facts = s.facts.join("; ");
  if (s.state === "drifted") return `${s.changes.length} change(s) made outside Hecate (hecate drift shows them)${facts ? `; ${facts}` : ""}`;
  if (s.state === "pending") return `${s.changes.length} change(s) the first apply makes (hecate plan shows them)${facts ? `; ${facts}` : ""}`;
  return facts;
}

function revisions(r: HealthReport): string {
  if (r.head === undefined) return "nothing stored yet: there is nothing to check (hecate apply DIR, or hecate import …)";
  const alone = r.alone?.length ? r.alone.map((a) => `${a.system} #${a.applied}`).join(", ") : undefined;
  if (r.applied === undefined) return `head revision #${r.head}, never applied to every system${alone ? ` (applied alone: ${alone}; the others are compared with the head)` : ": the systems are compared with the head"}`;
  return `head revision #${r.head}, last applied #${r.applied}${r.head !== r.applied ? " (the head is not applied yet: hecate plan)" : ""}${alone ? `; applied alone since: ${alone}` : ""}`;
}

export const health: CommandDef = {
  name: "health",
  summary: "each system Hecate drives, read now: reachable or DOWN, how long the read took, what it holds, drifted or not (exit 1 when one is down)",
  flags: [SYSTEM_FLAG, TIMEOUT],
  examples: ["hecate health", "hecate health --system caddy,nginx -o json"],
  async run(ctx, _args, opts) {
    const r = await read(ctx, opts);
    if (ctx.output === "json") ctx.json((await ctx.engineModule()).redact(r));
    else {
      ctx.say(revisions(r));
      if (r.systems.length) {
        ctx.records(r.systems, [
          { header: "SYSTEM", get: (s) => s.system },
          { header: "STATE", get: (s) => (s.state === "down" ? ctx.paint("red", STATE[s.state]) : s.state === "ok" ? ctx.paint("green", STATE[s.state]) : STATE[s.state]) },
          { header: "READ", get: (s) => `${s.ms} ms` },
          { header: "DETAIL", get: detail },
        ], "");
      }
    }
    return r.healthy ? 0 : 1;
  },
};

export const metrics: CommandDef = {
  name: "metrics",
  summary: "the control plane's state as Prometheus text, read now: routes applied/pending, revisions, each system up, read time, drift",
  flags: [SYSTEM_FLAG, TIMEOUT],
  examples: ["hecate metrics", "hecate metrics > /var/lib/node_exporter/hecate.prom"],
  async run(ctx, _args, opts) {
    const r = await read(ctx, opts);
    const { stateMetrics } = await import("../../server/metrics.js");
    ctx.out((await stateMetrics(await ctx.store(), r)).text.trimEnd());
    return 0;
  },
};

export const debugSystem: CommandDef = {
  name: "system",
  args: ["<name>"],
  summary: "one system read now (dns, certs, authentik, caddy or nginx): where it is, what Hecate owns there, each change made outside Hecate; exit 1 when it cannot be read",
  flags: [TIMEOUT],
  examples: ["hecate debug system caddy", "hecate debug system authentik"],
  async run(ctx, [name], opts) {
    const r = await read(ctx, opts, String(name));
    const s = r.systems[0];
    if (ctx.output === "json") return void ctx.json((await ctx.engineModule()).redact(r)), s?.state === "down" ? 1 : 0;
    ctx.say(revisions(r));
    if (!s) {
      if (r.head !== undefined) ctx.out(`${String(name)}: the desired state uses no ${String(name)} (nothing to read)`);
      return 0;
    }
    ctx.out(`${s.system}: ${STATE[s.state]}, read in ${s.ms} ms`);
    for (const f of s.facts) ctx.out(`  ${f}`);
    if (s.state === "down") throw new HecateError("read-failed", s.error ?? `${s.system} could not be read`, { status: 502 });
    if (s.changes.length) {
      const { renderDrift, renderChanges } = await ctx.engineModule();
      const color = { color: ctx.paint.enabled };
      if (s.state === "drifted") ctx.out(renderDrift({ systems: [s], drifted: true }, color).trimEnd());
      else ctx.out(`${s.system}: ${s.changes.length} change(s) the first apply makes\n${renderChanges(s.changes, color)}`);
      ctx.say(s.state === "drifted" ? "`hecate reconcile` puts the last applied revision back" : "`hecate apply` makes these changes");
    }
    return 0;
  },
};
