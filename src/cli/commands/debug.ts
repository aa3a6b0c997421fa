// `hecate debug auth ROUTE`: the forward-auth chain of a protected route, link by link, as it is
// live; the first broken link is named with its fix (exit 1).
import { HecateError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";

export const debugAuth: CommandDef = {
  name: "auth",
  args: ["<route>"],
  summary: "walk a protected route's auth chain (Caddy routes, authentik provider, outpost, bindings, a live probe) and name the first broken link",
  flags: [
    { flags: "--user <username>", description: "also check that the application's bindings let this user in" },
    { flags: "--host <host>", description: "which of the route's hosts (default its first)" },
  ],
  examples: ["hecate debug auth app", "hecate debug auth app.example.com --user alice"],
  async run(ctx, [route], opts) {
    const engine = await ctx.engine();
    const r = await engine.debugAuth(String(route), { ...(opts.user ? { user: String(opts.user) } : {}), ...(opts.host ? { host: String(opts.host) } : {}) });
    if (ctx.output === "json") {
      ctx.json(r);
      return r.broken ? 1 : 0;
    }
    ctx.out(`Route/${r.route} on ${r.host}:`);
    for (const l of r.links) ctx.out(`  ${l.ok ? ctx.paint("green", "ok  ") : ctx.paint("red", "FAIL")} ${l.link}: ${l.detail}`);
    if (!r.broken) {
      ctx.say("every link holds");
      return 0;
    }
    throw new HecateError("auth-broken", `the chain breaks at ${r.broken.link}: ${r.broken.detail}${r.broken.fix ? `\n  fix: ${r.broken.fix}` : ""}`);
  },
};
