// The upstream noun: a named pool of HTTP backends that routes share.
import { UsageError } from "../../diag.js";
import type { UpstreamResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { editTargets, list, prune, targets, type Opts, type Target } from "./parse.js";

type UpstreamSpec = UpstreamResource["spec"];

const flags: Flag[] = [
  { flags: "--upstream <address[,weight]>", description: "backend host:port with optional weight (repeatable, or comma-separated)", repeatable: true },
  { flags: "--lb-policy <policy>", description: "load balancing policy", choices: ["round_robin", "weighted_round_robin", "least_conn", "random", "first", "ip_hash", "uri_hash", "cookie"] },
  { flags: "--health-check <path>", description: "actively probe this path on each backend" },
  { flags: "--health-interval <duration>", description: "how often to probe (e.g. 10s)" },
  { flags: "--try-duration <duration>", description: "how long to retry other backends when one fails" },
  { flags: "--upstream-tls", description: "speak TLS to the backends" },
];
const updateFlags: Flag[] = [
  { flags: "--add-upstream <address[,weight]>", description: "add (or re-weight) a backend", repeatable: true },
  { flags: "--remove-upstream <address>", description: "remove a backend", repeatable: true },
  { flags: "--no-upstream-tls", description: "speak plain HTTP to the backends" },
];

function apply(s: Partial<UpstreamSpec>, o: Opts): UpstreamSpec {
  const next = structuredClone(s);
  next.upstreams = editTargets(next.upstreams as Target[] | undefined, targets(o.upstream, "--upstream"), targets(o.addUpstream, "--add-upstream"), list(o.removeUpstream)) as UpstreamSpec["upstreams"];
  if (o.lbPolicy !== undefined) next.loadBalancing = { ...next.loadBalancing, policy: o.lbPolicy as never };
  if (o.tryDuration !== undefined) next.loadBalancing = { ...next.loadBalancing, tryDuration: String(o.tryDuration) };
  if (o.healthCheck !== undefined || o.healthInterval !== undefined) {
    const active = next.healthCheck?.active;
    const path = o.healthCheck !== undefined ? String(o.healthCheck) : active?.path;
    if (!path) throw new UsageError("--health-interval needs --health-check PATH");
    next.healthCheck = { ...next.healthCheck, active: { ...active, path, ...(o.healthInterval !== undefined ? { interval: String(o.healthInterval) } : {}) } };
  }
  if (o.upstreamTls === true) next.upstreamTls = { ...next.upstreamTls, enabled: true };
  if (o.upstreamTls === false) delete next.upstreamTls;
  return prune(next) as UpstreamSpec;
}

export const upstream: NounDef = {
  noun: "upstream",
  plural: "upstreams",
  kind: "Upstream",
  aliases: [],
  summary: "a named pool of HTTP backends routes can share",
  flags,
  updateFlags,
  create(name, o) {
    if (o.upstream === undefined) throw new UsageError(`create upstream ${name} needs --upstream ADDRESS (or -f FILE)`);
    return { spec: apply({}, o) };
  },
  update: (current, o) => ({ spec: apply(current.spec as UpstreamSpec, o) }),
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "BACKENDS", get: (r) => spec<UpstreamSpec>(r).upstreams.map((t) => (t.weight ? `${t.address}*${t.weight}` : t.address)).join(",") },
    { header: "POLICY", get: (r) => spec<UpstreamSpec>(r).loadBalancing?.policy ?? "-" },
    { header: "HEALTH", get: (r) => spec<UpstreamSpec>(r).healthCheck?.active?.path ?? "-" },
  ],
  examples: {
    create: [
      "hecate create upstream backend-api --upstream 10.0.1.1:8080,10.0.1.2:8080 --health-check /health",
      "hecate create upstream web --upstream 10.0.0.5:80,3 --upstream 10.0.0.6:80 --lb-policy weighted_round_robin",
    ],
    update: ["hecate update upstream backend-api --add-upstream 10.0.1.3:8080", "hecate update upstream backend-api --remove-upstream 10.0.1.1:8080"],
  },
};
