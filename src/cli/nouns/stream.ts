// The stream noun: a raw TCP/UDP port forwarded by nginx.
import { UsageError } from "../../diag.js";
import type { StreamResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { editTargets, list, prune, targets, type Opts, type Target } from "./parse.js";

type StreamSpec = StreamResource["spec"];

const flags: Flag[] = [
  { flags: "--listen <port|address:port>", description: "where to listen, e.g. 5432 or 0.0.0.0:5432" },
  { flags: "--protocol <protocol>", description: "tcp (default) or udp", choices: ["tcp", "udp"] },
  { flags: "--upstream <address[,weight]>", description: "backend host:port with optional weight (repeatable, or comma-separated)", repeatable: true },
  { flags: "--preset <name>", description: "stream preset (see `hecate presets`)" },
  { flags: "--proxy-protocol", description: "send the PROXY protocol header upstream" },
  { flags: "--connect-timeout <duration>", description: "how long to wait for a backend connection" },
  { flags: "--idle-timeout <duration>", description: "close idle connections after this long" },
  { flags: "--allow <cidr>", description: "allowed client CIDR or IP (repeatable)", repeatable: true },
  { flags: "--deny <cidr>", description: "denied client CIDR or IP (repeatable)", repeatable: true },
];
const updateFlags: Flag[] = [
  { flags: "--add-upstream <address[,weight]>", description: "add (or re-weight) a backend", repeatable: true },
  { flags: "--remove-upstream <address>", description: "remove a backend", repeatable: true },
  { flags: "--no-proxy-protocol", description: "stop sending the PROXY protocol header" },
];

function apply(s: Partial<StreamSpec>, o: Opts): StreamSpec {
  const next = structuredClone(s);
  if (o.listen !== undefined) next.listen = /^\d+$/.test(String(o.listen)) ? Number(o.listen) : String(o.listen).replace(/^:(\d+)$/, "$1");
  if (typeof next.listen === "string" && /^\d+$/.test(next.listen)) next.listen = Number(next.listen);
  if (o.protocol !== undefined) next.protocol = o.protocol as StreamSpec["protocol"];
  next.upstreams = editTargets(next.upstreams as Target[] | undefined, targets(o.upstream, "--upstream"), targets(o.addUpstream, "--add-upstream"), list(o.removeUpstream)) as StreamSpec["upstreams"];
  if (o.preset !== undefined) next.preset = String(o.preset);
  if (o.proxyProtocol === true) next.proxyProtocol = true;
  if (o.proxyProtocol === false) delete next.proxyProtocol;
  if (o.connectTimeout !== undefined) next.timeouts = { ...next.timeouts, connect: String(o.connectTimeout) };
  if (o.idleTimeout !== undefined) next.timeouts = { ...next.timeouts, idle: String(o.idleTimeout) };
  if (o.allow !== undefined) next.ipFilter = { ...next.ipFilter, allow: list(o.allow) };
  if (o.deny !== undefined) next.ipFilter = { ...next.ipFilter, deny: list(o.deny) };
  return prune(next) as StreamSpec;
}

export const stream: NounDef = {
  noun: "stream",
  plural: "streams",
  kind: "Stream",
  aliases: [],
  summary: "a TCP/UDP port forwarded by nginx",
  flags,
  updateFlags,
  create(name, o) {
    if (o.listen === undefined && o.preset === undefined) throw new UsageError(`create stream ${name} needs --listen PORT (or -f FILE)`);
    if (o.upstream === undefined) throw new UsageError(`create stream ${name} needs --upstream ADDRESS (or -f FILE)`);
    return { spec: apply({}, o) };
  },
  update: (current, o) => ({ spec: apply(current.spec as StreamSpec, o) }),
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "PROTOCOL", get: (r) => spec<StreamSpec>(r).protocol ?? "tcp" },
    { header: "LISTEN", get: (r) => String(spec<StreamSpec>(r).listen) },
    { header: "UPSTREAMS", get: (r) => spec<StreamSpec>(r).upstreams.map((t) => t.address).join(",") },
  ],
  examples: {
    create: [
      "hecate create stream postgres --listen 5432 --upstream db1.internal:5432,db2.internal:5432",
      "hecate create stream dns --listen 53 --protocol udp --upstream 10.0.0.53:53",
    ],
    update: ["hecate update stream postgres --add-upstream db3.internal:5432"],
  },
};
