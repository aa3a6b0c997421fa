// `hecate token create`, `hecate token list`, `hecate token revoke`: API tokens for `hecate serve`. The secret is printed once,
// at creation; the store keeps only its hash.
import { UsageError } from "../../diag.js";
import type { TokenRecord, TokenScope } from "../../store/store.js";
import type { CommandDef } from "../core/define.js";

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
    if (ctx.output === "json") {
      const { hash: _hash, ...shown } = record as TokenRecord;
      ctx.json({ token, record: shown });
      return;
    }
    ctx.out(token);
    ctx.io.stderr.write(`token "${record.name}" (scope ${record.scope}${record.expiresAt ? `, expires ${record.expiresAt}` : ""}): keep it now, it is not shown again\n`);
  },
};

export const tokenList: CommandDef = {
  name: "list",
  summary: "list API tokens (never their secrets)",
  examples: ["hecate token list", "hecate token list -o json"],
  async run(ctx) {
    const list = (await (await ctx.store()).listTokens()).map(({ hash: _hash, ...t }) => t);
    const now = Date.now();
    const status = (t: (typeof list)[number]) => (t.revokedAt ? "revoked" : t.expiresAt && Date.parse(t.expiresAt) <= now ? "expired" : "active");
    ctx.records(list, [
      { header: "NAME", get: (t) => t.name },
      { header: "SCOPE", get: (t) => t.scope },
      { header: "STATUS", get: status },
      { header: "CREATED", get: (t) => t.createdAt.replace(/\.\d+Z$/, "Z") },
      { header: "EXPIRES", get: (t) => (t.expiresAt ?? "never").replace(/\.\d+Z$/, "Z") },
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
