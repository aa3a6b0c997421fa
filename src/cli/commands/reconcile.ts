// `hecate reconcile [--watch]`: put reality back to the last applied revision, once or in a loop.
import { UsageError } from "../../diag.js";
import { downNodes, newsText } from "../../engine/fleet.js";
import type { CommandDef } from "../core/define.js";
import { applyOptions, confirmPlan, reportResult, yesOf } from "./apply.js";
import { method, printPlan } from "./engine.js";
import { APPLY_FLAGS } from "./apply.js";
import { DRY_RUN, LEADER_TTL, leaderTtl, parseDurationMs, useTimeout } from "./shared-flags.js";

export const reconcile: CommandDef = {
  name: "reconcile",
  summary: "undo drift: re-apply the last applied revision (once, or every --interval with --watch)",
  flags: [
    ...APPLY_FLAGS,
    DRY_RUN,
    { flags: "--watch", description: "keep reconciling until interrupted (backoff and circuit breaker on errors)" },
    { flags: "--interval <duration>", description: "time between rounds with --watch (default 60s)" },
    LEADER_TTL,
    { flags: "--suspend", description: "pause every reconcile loop sharing this store (until --resume)" },
    { flags: "--resume", description: "let reconcile loops run again" },
    { flags: "--status", description: "show whether reconciling is suspended, the circuit breaker's state, and fleet nodes the leader found down" },
  ],
  examples: ["hecate reconcile --dry-run", "hecate reconcile --yes", "hecate reconcile --watch --interval 60s --yes", "hecate reconcile --suspend"],
  async run(ctx, _args, opts) {
    if (opts.suspend || opts.resume || opts.status) {
      if (opts.suspend && opts.resume) throw new UsageError("--suspend and --resume exclude each other");
      const engine = await ctx.engine();
      const { suspended, breaker, down } = opts.suspend || opts.resume ? await method(engine, "suspendReconcile")(Boolean(opts.suspend)) : await method(engine, "reconcileStatus")();
      if (ctx.format("table") === "json") return void ctx.json({ suspended, breaker, down });
      ctx.out(`reconcile: ${suspended ? "suspended (hecate reconcile --resume)" : "active"}`);
      if (breaker) ctx.out(`circuit breaker: open since ${breaker.openedAt} until ${breaker.until} after ${breaker.failures} failures: ${breaker.error}`);
      for (const [node, d] of Object.entries(down)) ctx.out(`${d.system} node ${node}: down since ${d.since}: ${d.error}`);
      return 0;
    }
    if (opts.watch && ctx.remote) throw new UsageError("--watch runs the loop in this process on a local store; through the API the server reconciles itself (hecate serve --reconcile INTERVAL)");
    useTimeout(ctx, opts);
    const engine = await ctx.engine();
    const o = await applyOptions(ctx, opts);
    if (opts.watch) {
      const intervalMs = parseDurationMs(String(opts.interval ?? "60s"), "--interval");
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      ctx.say(`reconciling every ${opts.interval ?? "60s"} while this process leads (Ctrl-C to stop)`);
      const { whileLeader } = await import("../../engine/leader.js");
      try {
        // Every loop sharing the store competes for one leader lock: only the leader reconciles.
        await whileLeader(
          await ctx.store(),
          { actor: ctx.author, signal: ac.signal, ttlMs: leaderTtl(opts), onChange: (e) => ctx.say(`${new Date().toISOString()} ${e.leading ? `leading (token ${e.token})` : `not leading: ${e.reason}`}`) },
          (signal) =>
            method(engine, "reconcileLoop")({
              intervalMs,
              signal,
              apply: { ...o, ...(yesOf(opts) ? {} : { maxDeletes: o.maxDeletes ?? 0 }) },
              onRound: (r) => {
                const at = new Date().toISOString();
                for (const d of r.delivery ?? []) ctx.say(`${at} ${d.action}: ${d.message} (${d.status})`);
                ctx.say(`${at} ${r.status}${r.result ? ` ${r.result.status}` : ""}${r.error ? `: ${r.error}` : ""}`);
                for (const n of r.fleet ?? []) ctx.say(`${at} ${newsText(n)}`);
              },
            }),
        );
      } finally {
        process.removeListener("SIGINT", stop);
        process.removeListener("SIGTERM", stop);
      }
      return 0;
    }
    // What is due comes first, as in the loop: expired blocks and bypasses, canary verdicts.
    if (!opts.dryRun) for (const d of await method(engine, "deliveryRound")()) ctx.say(`${d.action}: ${d.message} (${d.status})`);
    const preview = await method(engine, "reconcile")({ ...o, dryRun: true });
    if (preview.plan) await printPlan(ctx, preview.plan);
    if (opts.dryRun) {
      ctx.say("dry run: nothing applied");
      return 0;
    }
    if (preview.plan && !(await confirmPlan(ctx, preview.plan, yesOf(opts)))) return 1;
    return reportResult(ctx, await method(engine, "reconcile")(o));
  },
};
