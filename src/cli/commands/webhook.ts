// `hecate webhook rotate-secret ID`: a new signing secret for a webhook, printed once; for the grace
// window every delivery is signed with both (the header carries a v1 signature per secret), then
// only the new one. Webhooks are registered through the API (POST /v1/webhooks); their secrets live
// in the store; remotely the server rotates it (POST /v1/webhooks/{id}/rotate-secret).
import type { CommandDef } from "../core/define.js";
import { parseDurationMs } from "./shared-flags.js";

export const webhookRotateSecret: CommandDef = {
  name: "rotate-secret",
  args: ["<id>"],
  summary: "a new signing secret for a webhook, printed once; deliveries carry signatures with the new and the old one for --grace, then only the new",
  flags: [{ flags: "--grace <duration>", description: "how long deliveries are also signed with the old secret, e.g. 24h; 0 stops at once (default 10m)" }],
  examples: ["hecate webhook rotate-secret wh_3f2a9c01b7de --grace 24h > new-secret.txt"],
  async run(ctx, [id], opts) {
    const grace = opts.grace === undefined ? "10m" : String(opts.grace);
    const graceMs = parseDurationMs(grace, "--grace", "10m, 24h or 7d");
    type Rotated = { webhook: { id: string; url: string }; secret: string; graceUntil?: string };
    // Remotely the server makes it (the secret is made where it is stored).
    const r: Rotated = ctx.remote
      ? await ctx.remote.call<Rotated>("POST", `/v1/webhooks/${encodeURIComponent(String(id))}/rotate-secret`, { grace })
      : await (await import("../../server/webhooks.js")).rotateWebhookSecret(await ctx.store(), String(id), { graceMs, actor: ctx.author });
    if (ctx.output === "json") return void ctx.json({ webhook: r.webhook, secret: r.secret, ...(r.graceUntil ? { graceUntil: r.graceUntil } : {}) });
    ctx.out(r.secret);
    const window = r.graceUntil ? `deliveries are signed with the old one too until ${r.graceUntil}` : "deliveries are signed with the new one only, from now on";
    ctx.io.stderr.write(`webhook ${r.webhook.id} (${r.webhook.url}) has a new signing secret: keep it now, it is not shown again; ${window}\n`);
  },
};

export const WEBHOOK_COMMANDS: CommandDef[] = [webhookRotateSecret];
