// nginx stream config (the files of conf.d/stream, or a file with a stream block) → Streams.
// Each server block's listen becomes a Stream; proxy_pass names an upstream block (servers with
// weight, max_fails, fail_timeout, max_conns, backup; least_conn, random, hash $remote_addr) or one
// address; proxy_connect_timeout, proxy_timeout, proxy_protocol, allow/deny map to their fields.
// Directives Hecate has no field for are refused with their file:line: nginx has no verbatim escape.
import { parseDirectives, type Directive } from "../compile/nginx/parse.js";
import { parseDuration } from "../compile/nginx/time.js";
import { durationText, ResourceSet, type Finding, type ImportResult } from "./result.js";

export interface NginxFile {
  path: string;
  text: string;
}

interface Upstream {
  name: string;
  where: string;
  servers: Record<string, unknown>[];
  balancing?: string;
}

const nginxDuration = (v: string | undefined): string | undefined => {
  const ms = v === undefined ? undefined : parseDuration(v);
  return ms === undefined ? undefined : durationText(ms * 1e6);
};

/** The directives at stream level: the file's top level, or inside a stream block. */
function streamLevel(ds: Directive[]): Directive[] {
  const inner = ds.filter((d) => d.name === "stream" && d.block).flatMap((d) => d.block!);
  return inner.length ? inner : ds;
}

function parseUpstream(d: Directive, where: string, findings: Finding[]): Upstream {
  const u: Upstream = { name: d.args[0] ?? "", where, servers: [] };
  for (const x of d.block ?? []) {
    const at = `${where.replace(/:\d+$/, "")}:${x.line}`;
    if (x.name === "server") {
      const s: Record<string, unknown> = { address: x.args[0] ?? "" };
      for (const a of x.args.slice(1)) {
        const [k, v] = a.split("=", 2) as [string, string | undefined];
        if (k === "weight") s.weight = Number(v);
        else if (k === "max_fails") s.maxFails = Number(v);
        else if (k === "fail_timeout" && nginxDuration(v)) s.failTimeout = nginxDuration(v);
        else if (k === "max_conns") s.maxConns = Number(v);
        else if (k === "backup") s.backup = true;
        else findings.push({ outcome: "refused", where: at, subject: `server ${x.args[0]} ${a}`, why: `upstream server parameter ${k} has no Hecate field; the stream is imported without it` });
      }
      u.servers.push(s);
    } else if (x.name === "least_conn" || x.name === "random") {
      u.balancing = x.name;
      if (x.args.length) findings.push({ outcome: "refused", where: at, subject: `${x.name} ${x.args.join(" ")}`, why: "balancing options are not Hecate fields: plain " + x.name + " is used" });
    } else if (x.name === "hash" && x.args[0] === "$remote_addr") u.balancing = "hash";
    else findings.push({ outcome: "refused", where: at, subject: `${x.name} ${x.args.join(" ")}`.trim(), why: `upstream directive ${x.name} has no Hecate field (streams balance round_robin, least_conn, random or hash by client address)` });
  }
  return u;
}

export function importNginxStreams(files: NginxFile[], label: string): ImportResult {
  const set = new ResourceSet();
  const findings: Finding[] = [];
  const upstreams = new Map<string, Upstream>();
  const servers: { d: Directive; file: string }[] = [];
  for (const f of files) {
    for (const d of streamLevel(parseDirectives(f.text))) {
      const where = `${f.path}:${d.line}`;
      if (d.name === "upstream" && d.block) upstreams.set(d.args[0] ?? "", parseUpstream(d, where, findings));
      else if (d.name === "server" && d.block) servers.push({ d, file: f.path });
      else findings.push({ outcome: "refused", where, subject: `${d.name} ${d.args.join(" ")}`.trim(), why: "stream-level directive: Hecate's nginx settings are its own; not imported" });
    }
  }
  const used = new Set<string>();
  for (const { d, file } of servers) {
    const at = (x: Directive) => `${file}:${x.line}`;
    const listens = (d.block ?? []).filter((x) => x.name === "listen");
    const pass = (d.block ?? []).find((x) => x.name === "proxy_pass");
    if (!listens.length || !pass) {
      findings.push({ outcome: "refused", where: at(d), subject: "server", why: "a stream server without listen or proxy_pass: nothing to carry" });
      continue;
    }
    const spec: Record<string, unknown> = {};
    const target = pass.args[0] ?? "";
    const up = upstreams.get(target);
    let base: string;
    if (up) {
      used.add(target);
      spec.upstreams = up.servers;
      if (up.balancing) spec.balancing = up.balancing;
      base = target;
    } else if (/^[^$\s]+:\d+$/.test(target)) {
      spec.upstreams = [{ address: target }];
      base = "";
    } else {
      findings.push({ outcome: "refused", where: at(pass), subject: `proxy_pass ${target}`, why: "neither an upstream block nor host:port (variables and unix sockets have no Hecate field)" });
      continue;
    }
    const timeouts: Record<string, string> = {};
    const allow: string[] = [];
    const deny: string[] = [];
    let denyAll = false;
    const mapped: string[] = ["listen", "proxy_pass"];
    for (const x of d.block ?? []) {
      if (x.name === "listen" || x.name === "proxy_pass") continue;
      if (x.name === "proxy_connect_timeout" || x.name === "proxy_timeout") {
        const v = nginxDuration(x.args[0]);
        if (v) (timeouts[x.name === "proxy_timeout" ? "idle" : "connect"] = v), mapped.push(x.name);
        else findings.push({ outcome: "refused", where: at(x), subject: `${x.name} ${x.args.join(" ")}`, why: "not a duration" });
      } else if (x.name === "proxy_protocol" && x.args[0] === "on") (spec.proxyProtocol = true), mapped.push(x.name);
      else if (x.name === "allow") allow.push(x.args[0] ?? "");
      else if (x.name === "deny") x.args[0] === "all" ? (denyAll = true) : deny.push(x.args[0] ?? "");
      else if (x.name === "proxy_next_upstream" && x.args[0] === "on") mapped.push(x.name); // nginx's default, and Hecate's
      else findings.push({ outcome: "refused", where: at(x), subject: `${x.name} ${x.args.join(" ")}`.trim(), why: `stream server directive ${x.name} has no Hecate field; the stream is imported without it` });
    }
    if (Object.keys(timeouts).length) spec.timeouts = timeouts;
    if (allow.length || deny.length) {
      // nginx checks allow/deny in order; Hecate writes deny first, then allow, then deny all.
      if (!denyAll && allow.length) findings.push({ outcome: "refused", where: at(d), subject: "allow without deny all", why: "allow without a closing deny all lets everyone in; imported as an allow list (everyone else refused)" });
      spec.ipFilter = { ...(allow.length ? { allow } : {}), ...(deny.length ? { deny } : {}) };
      mapped.push("allow/deny");
    } else if (denyAll) findings.push({ outcome: "refused", where: at(d), subject: "deny all", why: "a stream that refuses everyone is not imported as one that serves" });
    for (const l of listens) {
      const [addr, ...flags] = l.args;
      const protocol = flags.includes("udp") ? "udp" : "tcp";
      const odd = flags.filter((f) => f !== "udp" && f !== "reuseport");
      if (odd.length) findings.push({ outcome: "refused", where: at(l), subject: `listen ${l.args.join(" ")}`, why: `listen parameters ${odd.join(" ")} have no Hecate field` });
      const port = Number(/(\d+)$/.exec(addr ?? "")?.[1]);
      const listen = /^\d+$/.test(addr ?? "") ? port : (addr ?? "");
      const name = set.name("Stream", `${base || "stream"}${listens.length > 1 || !base ? `-${port}` : ""}${protocol === "udp" && listens.length > 1 ? "-udp" : ""}`);
      set.add("Stream", name, { ...(protocol === "udp" ? { protocol } : {}), listen, ...spec });
      findings.push({ outcome: "mapped", where: at(l), subject: `server listen ${l.args.join(" ")}`, into: `Stream/${name}`, why: mapped.join(", ") });
    }
  }
  for (const [name, u] of upstreams) if (!used.has(name)) findings.push({ outcome: "refused", where: u.where, subject: `upstream ${name}`, why: "no stream server proxies to it" });
  return { source: label, resources: set.resources, findings };
}
