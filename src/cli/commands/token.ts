// `hecate token create`, `hecate token list`, `hecate token rotate`, `hecate token revoke`: API tokens for `hecate serve`.
// The secret is printed once, at creation or rotation; the store keeps only its hash.
import { UsageError } from "../../diag.js";
import type { TokenRecord, TokenScope } from "../../store/store.js";
import type { Context } from "../core/context.js";
import type { CommandDef } from "../core/define.js";
import { parseDurationMs } from "./shared-flags.js";

type Shown = Omit<TokenRecord, "hash" | "previousHash">;

const tokens = () => import("../../server/tokens.js");

export const tokenCreate: CommandDef = {
  name: "create",
  summary: "make an API token with a scope (read: GET; write: changes and apply; admin: tokens and audit); printed once",
  flags: [
    { flags: "--scope <scope>", description: "read, write or admin", choices: ["read", "write", "admin"] },
    { flags: "--name <name>", description: "who the token is for; the audit log names its changes by it (default: scope and a date)" },
    { flags: "--expires <duration>", description: "lifetime, e.g. 30d, 12h, 90m (default: never)" },
  ],
  examples: ["hecate token create --scope read --name grafana", "hecate token create --scope write --name ci --expires 30d"],
  async run(ctx, _args, opts) {
    if (opts.scope === undefined) throw new UsageError("token create needs --scope read|write|admin");
    const scope = String(opts.scope) as TokenScope;
    const name = opts.name !== undefined ? String(opts.name) : `${scope}-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}`;
    const expires = opts.expires !== undefined ? { expires: String(opts.expires) } : {};
    // Remotely the server makes it (the secret is made where it is stored), made by the caller's token.
    const { token, record } = ctx.remote
      ? await ctx.remote.call<{ token: string; record: Omit<TokenRecord, "hash"> }>("POST", "/v1/tokens", { name, scope, ...expires })
      : await (await tokens()).createToken(await ctx.store(), { name, scope, ...expires, createdBy: ctx.author });
    printToken(ctx, token, record, `token "${record.name}" (scope ${record.scope}${record.expiresAt ? `, expires ${record.expiresAt}` : ""}): keep it now, it is not shown again`);
  },
};

/** The token on stdout (the one thing a pipe gets), what it is on stderr; or both as JSON. */
async function printToken(ctx: Context, token: string, record: Shown, note: string): Promise<void> {
  if (ctx.output === "json") {
    const { shownToken } = await tokens();
    ctx.json({ token, record: shownToken(record as TokenRecord) });
    return;
  }
  ctx.out(token);
  ctx.io.stderr.write(`${note}\n`);
}

export const tokenRotate: CommandDef = {
  name: "rotate",
  args: ["<name>"],
  summary: "give an API token a new secret (same name and scope), printed once; the old one is accepted for --grace, then refused",
  flags: [{ flags: "--grace <duration>", description: "how long the old secret stays accepted, e.g. 10m, 24h; 0 refuses it at once (default 10m)" }],
  examples: ["hecate token rotate ci --grace 24h", "hecate token rotate grafana --grace 0   # leaked: the old one is refused now"],
  async run(ctx, [name], opts) {
    const grace = opts.grace === undefined ? "10m" : String(opts.grace);
    const graceMs = parseDurationMs(grace, "--grace", "10m, 24h or 7d");
    const { token, record } = ctx.remote
      ? await ctx.remote.call<{ token: string; record: Shown }>("POST", `/v1/tokens/${encodeURIComponent(String(name))}/rotate`, { grace })
      : await (await tokens()).rotateToken(await ctx.store(), String(name), { graceMs, actor: ctx.author });
    const window = record.previousUntil ? `the old one is accepted until ${record.previousUntil}` : "the old one is refused from now on";
    await printToken(ctx, token, record, `token "${record.name}" (scope ${record.scope}) rotated: keep the new one now, it is not shown again; ${window}`);
  },
};

export const tokenList: CommandDef = {
  name: "list",
  summary: "list API tokens (never their secrets)",
  examples: ["hecate token list", "hecate token list -o json"],
  async run(ctx) {
    const { shownToken } = await tokens();
    const list = (await (await ctx.store()).listTokens()).map(shownToken);
    const now = Date.now();
    const status = (t: (typeof list)[number]) => (t.revokedAt ? "revoked" : t.expiresAt && Date.parse(t.expiresAt) <= now ? "expired" : "active");
    ctx.records(list, [
      { header: "NAME", get: (t) => t.name },
      { header: "SCOPE", get: (t) => t.scope },
      { header: "STATUS", get: status },
      { header: "CREATED", get: (t) => t.createdAt.replace(/\.\d+Z$/, "Z") },
      { header: "EXPIRES", get: (t) => (t.expiresAt ?? "never").replace(/\.\d+Z$/, "Z") },
      // Until when the secret before the last rotation is still accepted.
      { header: "OLD ACCEPTED UNTIL", get: (t) => (t.previousUntil && Date.parse(t.previousUntil) > now ? t.previousUntil.replace(/\.\d+Z$/, "Z") : "-") },
      { header: "BY", get: (t) => t.createdBy },
    ], "no tokens (make one with `hecate token create --scope read`)");
  },
};

export const tokenRevoke: CommandDef = {
  name: "revoke",
  args: ["<name>"],
  summary: "revoke an API token by name (refused from its next request on)",
  examples: ["hecate token revoke ci"],
  async run(ctx, [name]) {
    const t = ctx.remote
      ? await ctx.remote.call<Omit<TokenRecord, "hash">>("DELETE", `/v1/tokens/${encodeURIComponent(String(name))}`)
      : await (await tokens()).revokeToken(await ctx.store(), String(name), ctx.author);
    ctx.say(`revoked token "${t.name}" (scope ${t.scope})`);
  },
};
