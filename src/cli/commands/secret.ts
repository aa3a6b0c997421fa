// `hecate secret rotate NAME` (a new value now, the old one accepted for a grace window, then
// removed by the reconcile loop) and `hecate secret rekey` (a new secret key for the whole store).
// Values are read from env/file/stdin or generated, never from the command line; never logged.
import { randomBytes } from "node:crypto";
import { HecateError, UsageError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";
import { method } from "./engine.js";
import { readValue } from "../nouns/secret.js";
import { parseDurationMs } from "./shared-flags.js";

export const secretRotate: CommandDef = {
  name: "rotate",
  args: ["<name>"],
  summary: "give a store Secret a new value now; the old one is still accepted for --grace (basic auth in Caddy), then removed",
  flags: [
    { flags: "--value-from <source>", description: "the new value: env:VAR, file:/path or stdin" },
    { flags: "--value-from-stdin", description: "read the new value from stdin" },
    { flags: "--generate", description: "make a random value (32 bytes, base64url) and print it once" },
    { flags: "--grace <duration>", description: "how long the old value stays accepted, e.g. 10m, 24h; 0 drops it at once (default 10m)" },
  ],
  examples: [
    "htpasswd -nbBC 10 '' \"$NEW\" | tr -d ':\\n' | hecate secret rotate ops-hash --value-from-stdin --grace 10m",
    "hecate secret rotate authentik-token",
    "hecate secret rotate api-key --generate --grace 0",
  ],
  async run(ctx, [name], opts) {
    const n = String(name);
    const { resources } = await ctx.headResources();
    const { rotationOf } = await import("../../secrets/authentik-token.js");
    const engine = await ctx.engine();
    if (rotationOf(resources, n) === "authentik-token") {
      const r = await method(engine, "rotateAuthentikToken")(n);
      ctx.say(`Secret/${n}: a new authentik API token (${r.identifier}) was made, verified and switched to; the old one (${r.revoked ?? "not made by Hecate"}) is ${r.revoked ? "revoked" : "left as it was"}`);
      return;
    }
    const sources = [opts.valueFrom !== undefined, Boolean(opts.valueFromStdin), Boolean(opts.generate)].filter(Boolean).length;
    if (sources !== 1) throw new UsageError("secret rotate needs one of --value-from SOURCE, --value-from-stdin or --generate");
    const generated = opts.generate ? randomBytes(32).toString("base64url") : undefined;
    const value = generated ?? (await readValue(opts.valueFromStdin ? "stdin" : String(opts.valueFrom), ctx));
    if (!value) throw new HecateError("secret-source", "the new value is empty");
    const graceMs = parseDurationMs(opts.grace === undefined ? "10m" : String(opts.grace), "--grace", "10m, 24h or 7d");
    const r = await method(engine, "rotateSecret")(n, value, { graceMs });
    // A generated value is the one thing on stdout (for a pipe); what happened goes to stderr then.
    const note = generated ? (m: string) => void ctx.io.stderr.write(`${m}\n`) : (m: string) => ctx.say(m);
    if (generated) ctx.out(generated);
    note(`Secret/${n} rotated${r.graceUntil ? `; the old value is accepted until ${r.graceUntil}` : "; the old value is no longer accepted"}`);
    const applied = await engine.reconcile({ maxDeletes: 0 }).catch((e: unknown) => {
      if (e instanceof HecateError && e.code === "no-revision") return undefined;
      throw e;
    });
    if (applied && (applied.status === "failed" || applied.status === "rolled-back")) {
      throw new HecateError("apply-failed", `Secret/${n} was rotated but the systems did not take it: ${applied.steps.map((s) => s.error).filter(Boolean).join("; ")}`);
    }
    if (applied) note(applied.status === "no-op" ? "no system uses it yet" : "the systems now take the new value");
  },
};

export const secretRekey: CommandDef = {
  name: "rekey",
  // The key lives with the store (a file or $HECATE_SECRET_KEY of the server), never sent over the API.
  local: "writes the store's new secret key to a file on the machine that holds the store",
  summary: "a new secret key for the store: every sealed value re-encrypted in one transaction; the old key opens nothing after",
  flags: [{ flags: "--new-key-file <file>", description: "where the new key goes (needed when the key comes from $HECATE_SECRET_KEY); an existing key there is used" }],
  examples: ["cp ~/.config/hecate/secret.key /safe/secret.key.$(date +%F) && hecate secret rekey", "hecate secret rekey --new-key-file /run/secrets/hecate.key"],
  async run(ctx, _args, opts) {
    const { rekey } = await import("../../secrets/rekey.js");
    const r = await rekey(await ctx.store(), { actor: ctx.author, ...(opts.newKeyFile !== undefined ? { newKeyFile: String(opts.newKeyFile) } : {}) });
    if (ctx.output === "json") return void ctx.json(r);
    ctx.say(`re-encrypted ${r.secrets} secret(s) with key id ${r.keyId} (was ${r.previousKeyId}); the new key is in ${r.keyFile}`);
    if (r.fromEnv) ctx.say(`set $HECATE_SECRET_KEY to the contents of ${r.keyFile} on every machine sharing this store`);
    ctx.say(`backups made before need the old key: hecate restore FILE --key-file OLD-KEY-FILE`);
  },
};

export const secretValidate: CommandDef = {
  name: "validate",
  summary: "check that every Secret and secret reference of the head revision resolves now; with --check-expiry also overdue or due rotations and open grace windows; exit 1 on a problem",
  flags: [{ flags: "--check-expiry", description: "also report rotations (rotateEvery) overdue (a problem) or due within a day, and open grace windows" }],
  examples: ["hecate secret validate", "hecate secret validate --check-expiry -o json"],
  async run(ctx, _args, opts) {
    // env: and file: references resolve where the engine runs: here, or through the API on the server (which applies them).
    const r = await method(await ctx.engine(), "checkSecrets")({ expiry: Boolean(opts.checkExpiry), env: ctx.io.env });
    const errors = r.findings.filter((f) => f.severity === "error").length;
    if (ctx.output === "json") ctx.json({ ok: errors === 0, ...r });
    else {
      for (const f of r.findings) ctx.out(`${f.severity === "error" ? ctx.paint("red", "error") : f.severity === "warning" ? ctx.paint("yellow", "warning") : "note"}: ${f.subject}: ${f.message}`);
      ctx.out(errors ? `${errors} problem(s); ${r.checked} secret(s) and reference(s) checked` : `${r.checked} secret(s) and reference(s) resolve${opts.checkExpiry ? "; no rotation is overdue" : ""}`);
    }
    return errors ? 1 : 0;
  },
};

export const SECRET_COMMANDS: CommandDef[] = [secretRotate, secretRekey, secretValidate];
