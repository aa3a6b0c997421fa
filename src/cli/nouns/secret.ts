// The secret noun: a named secret whose value lives in the environment, a file, or encrypted in
// the store. Values are read from env/file/stdin, never from the command line, and never printed.
import { readFile } from "node:fs/promises";
import { HecateError, UsageError } from "../../diag.js";
import type { SecretResource } from "../../model/schema.js";
import type { Context } from "../core/context.js";
import type { Flag } from "../core/define.js";
import { readAll } from "../core/io.js";
import { spec, type Built, type NounDef } from "./noun.js";
import type { Opts } from "./parse.js";

type SecretSpec = SecretResource["spec"];

const flags: Flag[] = [
  { flags: "--from <ref>", description: "keep only a reference: env:VAR or file:/path, read when applying" },
  { flags: "--value-from <source>", description: "read the value now and store it encrypted: env:VAR, file:/path or stdin" },
  { flags: "--value-from-stdin", description: "read the value from stdin and store it encrypted (same as --value-from stdin)" },
  { flags: "--rotate-every <duration>", description: "rotate it on this schedule (store secrets; the reconcile loop does it), e.g. 30d" },
  { flags: "--grace <duration>", description: "how long the old value stays accepted after a rotation (default 10m)" },
];

export async function readValue(source: string, ctx: Context): Promise<string> {
  if (source === "stdin") {
    const text = await readAll(ctx.io.stdin);
    return text.replace(/\r?\n$/, "");
  }
  if (source.startsWith("env:")) {
    const v = ctx.io.env[source.slice(4)];
    if (v === undefined) throw new HecateError("secret-source", `environment variable ${source.slice(4)} is not set`);
    return v;
  }
  if (source.startsWith("file:")) {
    try {
      return (await readFile(source.slice(5), "utf8")).replace(/\r?\n$/, "");
    } catch (e) {
      throw new HecateError("secret-source", `cannot read ${source.slice(5)}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  throw new UsageError(`--value-from expects env:VAR, file:/path or stdin, got "${source}"`);
}

async function build(name: string, o: Opts, ctx: Context, current?: SecretSpec): Promise<Built> {
  const b = await source(name, o, ctx, current);
  const schedule = { ...(o.rotateEvery !== undefined ? { rotateEvery: String(o.rotateEvery) } : {}), ...(o.grace !== undefined ? { grace: String(o.grace) } : {}) };
  return Object.keys(schedule).length ? { ...b, spec: { ...(b.spec as SecretSpec), ...schedule } } : b;
}

async function source(name: string, o: Opts, ctx: Context, current?: SecretSpec): Promise<Built> {
  const valueFrom = o.valueFromStdin ? "stdin" : (o.valueFrom as string | undefined);
  if (valueFrom !== undefined && o.from !== undefined) throw new UsageError("--from and --value-from exclude each other");
  if (o.from !== undefined) {
    if (!/^(env|file):.+$/.test(String(o.from))) throw new UsageError(`--from expects env:VAR or file:/path, got "${o.from}"`);
    return { spec: { from: String(o.from) } };
  }
  if (valueFrom !== undefined) {
    const value = await readValue(valueFrom, ctx);
    if (!value) throw new HecateError("secret-source", `the value read from ${valueFrom} is empty`);
    return { spec: { ...current, from: "store" }, beforeStore: (store) => store.putSecret(name, value) };
  }
  if (current || o.rotateEvery !== undefined || o.grace !== undefined) {
    if (!current) throw new UsageError(`create secret ${name} needs --from env:VAR|file:/path, --value-from SOURCE or --value-from-stdin`);
    return { spec: current };
  }
  throw new UsageError(`create secret ${name} needs --from env:VAR|file:/path, --value-from SOURCE or --value-from-stdin`);
}

/** `list secrets --show-expiry`: each Secret's rotation schedule and open grace window, from the store. */
async function listExpiry(ctx: Context): Promise<void> {
  const { nextRotationText } = await import("../../secrets/schedule.js");
  // The engine's (through the API, the server's: the schedule lives in its store).
  const rows = await (await ctx.engine()).secretSchedules();
  const at = (t: string | undefined) => (t ? t.replace(/\.\d+Z$/, "Z") : "-");
  ctx.records(rows, [
    { header: "NAME", get: (r) => r.name },
    { header: "FROM", get: (r) => r.from },
    { header: "ROTATE EVERY", get: (r) => r.rotateEvery ?? "-" },
    { header: "LAST ROTATED", get: (r) => at(r.lastRotated) },
    { header: "NEXT ROTATION", get: nextRotationText },
    { header: "OLD ACCEPTED UNTIL", get: (r) => at(r.graceUntil) },
  ], "no secrets");
}

export const secret: NounDef = {
  noun: "secret",
  plural: "secrets",
  kind: "Secret",
  aliases: [],
  summary: "a named secret (env, file, or encrypted in the store); values are never shown",
  flags,
  updateFlags: [],
  create: (name, o, ctx) => build(name, o, ctx),
  update: (current, o, ctx) => build(current.metadata.name, o, ctx, current.spec as SecretSpec),
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "FROM", get: (r) => spec<SecretSpec>(r).from },
    { header: "ROTATE EVERY", get: (r) => spec<SecretSpec>(r).rotateEvery ?? "-" },
  ],
  live: {
    flags: [{ flags: "--show-expiry", description: "each secret's last and next rotation (rotateEvery) and until when its old value is accepted" }],
    wants: (o) => Boolean(o.showExpiry),
    list: (ctx) => listExpiry(ctx),
  },
  examples: {
    create: [
      "hecate create secret hetzner-token --from env:HETZNER_TOKEN",
      "printf %s \"$TOKEN\" | hecate create secret authentik-token --value-from-stdin",
      "hecate create secret legacy-key --value-from file:/etc/ssl/private/legacy.key",
    ],
    update: ["printf %s \"$NEW\" | hecate update secret authentik-token --value-from-stdin -m 'rotate token'"],
  },
};
