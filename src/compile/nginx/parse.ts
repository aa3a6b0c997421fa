// Reads a Hecate-owned stream file back into NginxStream values, so hand edits show up as drift.
import { HASH_PREFIX, HEADER_LINE, UPSTREAM_PREFIX, bodyHash } from "./compile.js";
import { canonicalDuration } from "./time.js";
import type { NginxStream, NginxUpstreamServer, StreamBalancing } from "./types.js";

export interface ParsedOwnedFile {
  /** The first line is Hecate's header. */
  owned: boolean;
  /** The hash line matches the body: nobody edited the file by hand. */
  intact: boolean;
  streams: NginxStream[];
  /** Things in the file Hecate did not understand (hand edits). */
  problems: string[];
}

export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
  /** 1-based line of the directive's name (for messages about files Hecate did not write). */
  line: number;
}

interface Token {
  v: string;
  line: number;
  /** ; { or } as syntax, not inside quotes. */
  syntax: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === "#") { while (i < text.length && text[i] !== "\n") i++; continue; }
    if (c === ";" || c === "{" || c === "}") { tokens.push({ v: c, line, syntax: true }); i++; continue; }
    if (c === '"' || c === "'") {
      const at = line;
      let j = i + 1;
      let v = "";
      while (j < text.length && text[j] !== c) { if (text[j] === "\\") j++; if (text[j] === "\n") line++; v += text[j] ?? ""; j++; }
      tokens.push({ v, line: at, syntax: false });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s;{}#]/.test(text[j]!)) j++;
    tokens.push({ v: text.slice(i, j), line, syntax: false });
    i = j;
  }
  return tokens;
}

/** A tiny nginx config parser: directives with args, optional blocks, and their lines. */
export function parseDirectives(text: string): Directive[] {
  const tokens = tokenize(text);
  let pos = 0;
  const is = (t: Token | undefined, v: string) => !!t && t.syntax && t.v === v;
  const parseBlock = (): Directive[] => {
    const out: Directive[] = [];
    while (pos < tokens.length) {
      if (is(tokens[pos], "}")) { pos++; return out; }
      const { v: name, line } = tokens[pos++]!;
      const args: string[] = [];
      while (pos < tokens.length && !tokens[pos]!.syntax) args.push(tokens[pos++]!.v);
      const t = tokens[pos];
      if (is(t, ";")) { pos++; out.push({ name, args, line }); }
      else if (is(t, "{")) { pos++; out.push({ name, args, block: parseBlock(), line }); }
      else { out.push({ name, args, line }); }
    }
    return out;
  };
  return parseBlock();
}

function time(v: string | undefined, fallback: string): string {
  return (v === undefined ? undefined : canonicalDuration(v)) ?? fallback;
}

function parseServerLine(args: string[]): NginxUpstreamServer {
  const u: NginxUpstreamServer = { address: args[0] ?? "", weight: 1, maxFails: 1, failTimeout: "10s", backup: false };
  for (const a of args.slice(1)) {
    const [k, v] = a.split("=", 2) as [string, string | undefined];
    if (k === "weight") u.weight = Number(v);
    else if (k === "max_fails") u.maxFails = Number(v);
    else if (k === "fail_timeout") u.failTimeout = time(v, "10s");
    else if (k === "max_conns") { if (Number(v) > 0) u.maxConns = Number(v); }
    else if (k === "backup") u.backup = true;
  }
  return u;
}

export function parseOwnedFile(text: string): ParsedOwnedFile {
  const lines = text.split("\n");
  const owned = lines[0] === HEADER_LINE;
  const hashLine = lines[1] ?? "";
  const body = lines.slice(2).join("\n");
  const intact = owned && hashLine === HASH_PREFIX + bodyHash(body);
  const problems: string[] = [];
  const upstreams = new Map<string, { balancing: StreamBalancing; servers: NginxUpstreamServer[] }>();
  const servers: Directive[] = [];
  for (const d of parseDirectives(text)) {
    if (d.name === "upstream" && d.block) {
      let balancing: StreamBalancing = "round_robin";
      const list: NginxUpstreamServer[] = [];
      for (const x of d.block) {
        if (x.name === "server") list.push(parseServerLine(x.args));
        else if (x.name === "least_conn") balancing = "least_conn";
        else if (x.name === "random") balancing = "random";
        else if (x.name === "hash") balancing = "hash";
        else problems.push(`upstream ${d.args[0] ?? ""}: unknown directive ${x.name}`);
      }
      upstreams.set(d.args[0] ?? "", { balancing, servers: list });
    } else if (d.name === "server" && d.block) {
      servers.push(d);
    } else {
      problems.push(`unknown top-level directive ${d.name}`);
    }
  }
  const streams: NginxStream[] = [];
  for (const srv of servers) {
    const get = (n: string) => srv.block!.filter((x) => x.name === n);
    const listenArgs = get("listen")[0]?.args ?? [];
    const pass = get("proxy_pass")[0]?.args[0] ?? "";
    if (!pass.startsWith(UPSTREAM_PREFIX)) {
      problems.push(`server block listening on ${listenArgs[0] ?? "?"} does not proxy to a hecate_ upstream`);
      continue;
    }
    const name = pass.slice(UPSTREAM_PREFIX.length);
    const up = upstreams.get(pass);
    if (!up) problems.push(`stream ${name}: upstream ${pass} is missing`);
    const s: NginxStream = {
      name,
      protocol: listenArgs.includes("udp") ? "udp" : "tcp",
      listen: listenArgs[0] ?? "",
      balancing: up?.balancing ?? "round_robin",
      upstreams: up?.servers ?? [],
      connectTimeout: time(get("proxy_connect_timeout")[0]?.args[0], "60s"),
      idleTimeout: time(get("proxy_timeout")[0]?.args[0], "10m"),
      proxyProtocol: get("proxy_protocol")[0]?.args[0] === "on",
      allow: [],
      deny: [],
    };
    const responses = get("proxy_responses")[0]?.args[0];
    if (responses !== undefined) s.proxyResponses = Number(responses);
    const access = srv.block!.filter((x) => x.name === "allow" || x.name === "deny");
    const hasAllow = access.some((x) => x.name === "allow");
    for (const x of access) {
      const v = x.args[0] ?? "";
      if (x.name === "allow") s.allow.push(v);
      else if (!(hasAllow && v === "all")) s.deny.push(v);
    }
    streams.push(s);
  }
  streams.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { owned, intact, streams, problems };
}
