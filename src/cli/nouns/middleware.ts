// The middleware noun: a reusable request/response step (rate limit, compression, headers, ...).
import { UsageError } from "../../diag.js";
import type { MiddlewareResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { edit, int, kv, list, prune, type Opts } from "./parse.js";

type MiddlewareSpec = MiddlewareResource["spec"];
const TYPES = ["rate-limit", "compression", "security-headers", "ip-filter", "basic-auth", "headers", "redirect", "request-size", "audit-log"] as const;

const flags: Flag[] = [
  { flags: "--type <type>", description: "what the middleware does", choices: TYPES },
  { flags: "--requests <n>", description: "rate-limit: requests allowed per window" },
  { flags: "--window <duration>", description: "rate-limit: window (e.g. 1m)" },
  { flags: "--key <key>", description: "rate-limit: count per client ip or per host", choices: ["ip", "host"] },
  { flags: "--encoding <encoding>", description: "compression: gzip or zstd (repeatable)", repeatable: true },
  { flags: "--min-length <bytes>", description: "compression: smallest response to compress" },
  { flags: "--header-set <name=value>", description: "security-headers: header to add or override; headers: request header to set (repeatable)", repeatable: true },
  { flags: "--header-remove <name>", description: "headers: request header to remove (repeatable)", repeatable: true },
  { flags: "--response-header-set <name=value>", description: "headers: response header to set (repeatable)", repeatable: true },
  { flags: "--response-header-remove <name>", description: "headers: response header to remove (repeatable)", repeatable: true },
  { flags: "--allow <cidr>", description: "ip-filter: allowed CIDR or IP (repeatable)", repeatable: true },
  { flags: "--deny <cidr>", description: "ip-filter: denied CIDR or IP (repeatable)", repeatable: true },
  { flags: "--realm <realm>", description: "basic-auth: realm shown by browsers" },
  { flags: "--basic-user <user=secretref>", description: "basic-auth: user and bcrypt hash reference, e.g. alice=secret:alice-hash (repeatable)", repeatable: true },
  { flags: "--kind <kind>", description: "redirect: https, www-to-apex, apex-to-www or custom", choices: ["https", "www-to-apex", "apex-to-www", "custom"] },
  { flags: "--to <url>", description: "redirect: target URL (kind custom)" },
  { flags: "--code <code>", description: "redirect: HTTP status 301, 302, 307 or 308", choices: ["301", "302", "307", "308"] },
  { flags: "--max-bytes <n>", description: "request-size: largest request body accepted" },
  { flags: "--include-headers", description: "audit-log: log request headers too" },
];

/** Which flags (by commander attribute name) each type understands. */
const FOR_TYPE: Record<(typeof TYPES)[number], string[]> = {
  "rate-limit": ["requests", "window", "key"],
  compression: ["encoding", "minLength"],
  "security-headers": ["headerSet"],
  "ip-filter": ["allow", "deny"],
  "basic-auth": ["realm", "basicUser"],
  headers: ["headerSet", "headerRemove", "responseHeaderSet", "responseHeaderRemove"],
  redirect: ["kind", "to", "code"],
  "request-size": ["maxBytes"],
  "audit-log": ["includeHeaders"],
};
const TYPE_FLAGS = [...new Set(Object.values(FOR_TYPE).flat())];
const dash = (attr: string) => "--" + attr.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

function apply(s: Partial<MiddlewareSpec>, o: Opts): MiddlewareSpec {
  const type = (o.type as MiddlewareSpec["type"] | undefined) ?? s.type;
  if (!type) throw new UsageError("a middleware needs --type (one of " + TYPES.join(", ") + ")");
  const stray = TYPE_FLAGS.filter((f) => o[f] !== undefined && !FOR_TYPE[type].includes(f));
  if (stray.length) throw new UsageError(`${stray.map(dash).join(", ")} ${stray.length > 1 ? "do" : "does"} not apply to middleware type ${type}`);
  // Changing the type starts over: the old fields mean nothing to the new type.
  const cur = (s.type === type ? structuredClone(s) : { type }) as Record<string, any>;
  switch (type) {
    case "rate-limit":
      if (o.requests !== undefined) cur.requests = int(o.requests, "--requests");
      if (o.window !== undefined) cur.window = o.window;
      if (o.key !== undefined) cur.key = o.key;
      break;
    case "compression":
      if (o.encoding !== undefined) cur.encodings = list(o.encoding);
      if (o.minLength !== undefined) cur.minLength = int(o.minLength, "--min-length");
      break;
    case "security-headers":
      if (o.headerSet !== undefined) cur.headers = { ...cur.headers, ...kv(o.headerSet, "--header-set") };
      break;
    case "ip-filter":
      if (o.allow !== undefined) cur.allow = list(o.allow);
      if (o.deny !== undefined) cur.deny = list(o.deny);
      break;
    case "basic-auth":
      if (o.realm !== undefined) cur.realm = o.realm;
      if (o.basicUser !== undefined) {
        cur.users = Object.entries(kv(o.basicUser, "--basic-user")!).map(([username, passwordHash]) => ({ username, passwordHash }));
      }
      break;
    case "headers": {
      const ops = (c: any, set: unknown, remove: unknown, flag: string) =>
        set === undefined && remove === undefined ? c : { ...c, ...(set !== undefined ? { set: { ...c?.set, ...kv(set, flag) } } : {}), ...(remove !== undefined ? { remove: edit(c?.remove, undefined, list(remove)) } : {}) };
      cur.request = ops(cur.request, o.headerSet, o.headerRemove, "--header-set");
      cur.response = ops(cur.response, o.responseHeaderSet, o.responseHeaderRemove, "--response-header-set");
      break;
    }
    case "redirect":
      if (o.kind !== undefined) cur.kind = o.kind;
      if (o.to !== undefined) cur.to = o.to;
      if (o.code !== undefined) cur.code = Number(o.code);
      break;
    case "request-size":
      if (o.maxBytes !== undefined) cur.maxBytes = int(o.maxBytes, "--max-bytes");
      break;
    case "audit-log":
      if (o.includeHeaders !== undefined) cur.includeHeaders = true;
      break;
  }
  return prune(cur) as MiddlewareSpec;
}

export const middleware: NounDef = {
  noun: "middleware",
  plural: "middlewares",
  kind: "Middleware",
  aliases: [],
  summary: "a reusable step on requests or responses (rate limit, compression, headers, ...)",
  flags,
  updateFlags: [],
  create: (_name, o) => ({ spec: apply({}, o) }),
  update: (current, o) => ({ spec: apply(current.spec as MiddlewareSpec, o) }),
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "TYPE", get: (r) => spec<MiddlewareSpec>(r).type },
  ],
  examples: {
    create: [
      "hecate create middleware rate-limit --type rate-limit --requests 100 --window 1m",
      "hecate create middleware secure --type security-headers --header-set Referrer-Policy=no-referrer",
    ],
    update: ["hecate update middleware rate-limit --requests 200"],
  },
};
