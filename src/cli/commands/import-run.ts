// What the import commands do (loaded when one runs): read the source, map it (src/import/),
// print what was mapped, kept verbatim or refused, then write YAML files (--out) or store the
// resources as a new revision.
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { formatDiagnostic, hasErrors, HecateError, UsageError } from "../../diag.js";
import type { Kind, Resource } from "../../model/schema.js";
import type { Finding, ImportResult } from "../../import/result.js";
import type { ImportedServer } from "../../import/caddy.js";
import { method, printPlan } from "./engine.js";
import type { Context } from "../core/context.js";
import type { Opts } from "../core/define.js";
import { renderTable } from "../core/output.js";
import { addressOf, commitEdit, revisionOf } from "../core/state.js";

/** Why a file could not be read, in words (not errno codes). */
function unreadable(file: string, e: NodeJS.ErrnoException): HecateError {
  const why = { ENOENT: "no such file or directory", EACCES: "permission denied (run as a user who may read it)", EISDIR: "it is a directory, not a file", ENOTDIR: "a part of the path is not a directory" }[e.code ?? ""];
  return new HecateError("read", `cannot read ${file}: ${why ?? e.code ?? e.message}`);
}

export async function readText(file: string): Promise<string> {
  return readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw unreadable(file, e);
  });
}

/** A YAML parse error as FILE:LINE:COL: the first line of its message, without yaml's repeated position. */
function yamlError(file: string, e: unknown): string {
  const err = e as { message?: string; linePos?: { line: number; col: number }[] };
  const first = (err.message ?? String(e)).split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  const pos = err.linePos?.[0];
  return pos && !first.startsWith(file) ? `${file}:${pos.line}:${pos.col}: ${first}` : first;
}

/** One YAML file per kind in --out, in the order a reader meets them. */
const FILE_OF: Record<Kind, string> = {
  Settings: "settings.yaml",
  Route: "routes.yaml",
  Upstream: "upstreams.yaml",
  AuthPolicy: "auth-policies.yaml",
  Middleware: "middleware.yaml",
  Stream: "streams.yaml",
  DnsRecord: "dns-records.yaml",
  Certificate: "certificates.yaml",
  Secret: "secrets.yaml",
  CompliancePolicy: "compliance-policies.yaml",
};

function findingsTable(findings: readonly Finding[]): string {
  return renderTable(findings, [
    { header: "OUTCOME", get: (f) => f.outcome },
    { header: "WHERE", get: (f) => f.where },
    { header: "WHAT", get: (f) => f.subject },
    { header: "INTO", get: (f) => f.into ?? "-" },
    { header: "WHY", get: (f) => f.why },
  ]);
}

function counts(findings: readonly Finding[]): { mapped: number; verbatim: number; refused: number } {
  const n = { mapped: 0, verbatim: 0, refused: 0 };
  for (const f of findings) n[f.outcome]++;
  return n;
}

function readme(what: string, r: ImportResult, files: string[]): string {
  const n = counts(r.findings);
  const rows = r.findings.map((f) => `| ${f.outcome} | ${f.where} | ${f.subject} | ${f.into ?? "-"} | ${f.why.replace(/\|/g, "\\|")} |`);
  return [
    `# Imported from ${r.source}`,
    "",
    `\`hecate import ${what}\` built ${r.resources.length} resource(s): ${files.join(", ")}.`,
    `${n.mapped} construct(s) mapped to Hecate fields, ${n.verbatim} kept verbatim (spec.caddyRoutes: Caddy checks them at apply, \`hecate validate\` warns about them), ${n.refused} refused (not imported: see why).`,
    "",
    "Next: `hecate validate .` then `hecate plan .` shows exactly what the first apply would change; `hecate apply .` applies it.",
    "",
    "| outcome | where | what | into | why |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

/**
 * Checks the resources through the model (an import that builds invalid resources is a bug or a
 * source Hecate cannot express: nothing is written), prints the findings, then writes or stores.
 * Exit 1 when something was refused, so scripts notice.
 */
export async function emit(ctx: Context, what: string, r: ImportResult, opts: Opts): Promise<number> {
  const model = await ctx.model();
  // Checked beside the Settings the store holds; without any, beside a stand-in that names an
  // authentik, so that an import is not refused for what only Settings can say (said below).
  const head = opts.out !== undefined || opts.dryRun === true ? undefined : await (await ctx.store()).head();
  const settings = head?.resources.filter((x) => x.kind === "Settings") ?? [];
  const needsAuthentik = !settings.length && r.resources.some((x) => x.kind === "AuthPolicy" && !(x.spec as { outpost?: string }).outpost);
  const standIn = needsAuthentik ? [{ apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { authentik: { url: "http://authentik.invalid", token: "env:AUTHENTIK_TOKEN" } } } as Resource] : [];
  const { diagnostics } = model.resolveState([...r.resources, ...settings, ...standIn]);
  if (hasErrors(diagnostics)) throw new HecateError("import-invalid", `the resources imported from ${r.source} are not valid; nothing written`, { diagnostics: diagnostics.filter((d) => d.severity === "error") });
  const n = counts(r.findings);
  const summary = `${what} ${r.source}: ${r.resources.length} resource(s); ${n.mapped} mapped, ${n.verbatim} kept verbatim, ${n.refused} refused`;
  if (ctx.output === "json") ctx.json({ source: r.source, resources: r.resources, findings: r.findings });
  else {
    if (r.findings.length) ctx.out(findingsTable(r.findings));
    for (const d of diagnostics) if (d.code !== "caddy-verbatim" && d.code !== "no-auth") ctx.warn(formatDiagnostic(d).replace(/^(.*?)warning: /, "$1"));
  }
  if (needsAuthentik && ctx.output !== "json") ctx.say("note: the AuthPolicies need Settings spec.authentik (url, token) to apply: add a settings.yaml beside the imported files");
  const code = n.refused ? 1 : 0;
  if (opts.dryRun === true) {
    if (ctx.output !== "json") {
      ctx.out(model.toYaml(r.resources));
      ctx.say(`dry run: nothing written (${summary})`);
    }
    return code;
  }
  if (opts.out !== undefined) {
    const dir = String(opts.out);
    await mkdir(dir, { recursive: true });
    const byKind = new Map<Kind, Resource[]>();
    for (const res of r.resources) byKind.set(res.kind, [...(byKind.get(res.kind) ?? []), res]);
    const files: string[] = [];
    for (const [kind, list] of [...byKind].sort(([a], [b]) => (FILE_OF[a] < FILE_OF[b] ? -1 : 1))) {
      files.push(FILE_OF[kind]);
      await writeFile(join(dir, FILE_OF[kind]), model.toYaml(list));
    }
    await writeFile(join(dir, "README.md"), readme(what, r, files));
    if (ctx.output !== "json") ctx.say(`wrote ${files.map((f) => join(dir, f)).join(", ")} and ${join(dir, "README.md")} (${summary})`);
    return code;
  }
  if (!r.resources.length) {
    ctx.say(`nothing to store (${summary})`);
    return code;
  }
  await commitEdit(ctx, async (resources) => {
    const have = new Set(resources.map(addressOf));
    const clash = r.resources.map(addressOf).filter((a) => have.has(a));
    if (clash.length) throw new HecateError("conflict", `the desired state already has ${clash.join(", ")}: import into a directory with --out and merge by hand, or delete those first`, { status: 409 });
    return {
      after: [...resources, ...r.resources],
      changed: r.resources.map(addressOf),
      message: opts.message !== undefined ? String(opts.message) : `import ${what}: ${r.resources.length} resource(s) from ${r.source}`,
    };
  });
  return code;
}

// ---- caddy --------------------------------------------------------------------------------------

function caddyAdapt(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("caddy", ["adapt", "--config", file, "--adapter", "caddyfile"], { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") return reject(new HecateError("caddy-missing", "the caddy binary is not on PATH: install Caddy, or adapt with a running Caddy (--admin URL)"));
      // Caddy's own message names the file and line.
      reject(new HecateError("caddy-adapt", `caddy adapt refused ${file}: ${(stderr || e.message).trim().split("\n").slice(-3).join(" ")}`));
    });
  });
}

async function adminClient(url: string) {
  const { CaddyClient } = await import("../../providers/caddy/client.js");
  return new CaddyClient(url, { timeoutMs: 60_000 });
}

export async function runImportCaddy(ctx: Context, _args: unknown[], opts: Opts): Promise<number> {
  if (opts.adopt === true && (opts.admin === undefined || opts.out !== undefined || opts.dryRun === true)) throw new UsageError("--adopt takes over the Caddy at --admin URL and stores the routes: not with --out or --dry-run");
  const given = [opts.caddyfile, opts.json].filter((x) => x !== undefined).length;
  if (given > 1 || (given === 0 && opts.admin === undefined)) throw new UsageError("give one of --caddyfile FILE, --admin URL or --json FILE (--admin with --caddyfile adapts through that Caddy)");
  let json: string;
  let label: string;
  let caddyfile: string | undefined;
  if (opts.caddyfile !== undefined) {
    const file = String(opts.caddyfile);
    caddyfile = await readText(file);
    label = file;
    if (opts.admin !== undefined) {
      const res = await (await adminClient(String(opts.admin))).request("POST", "/adapt", caddyfile, { "Content-Type": "text/caddyfile" });
      if (res.status !== 200) throw new HecateError("caddy-adapt", `Caddy at ${String(opts.admin)} refused to adapt ${file}: ${res.body.trim()}`);
      const body = JSON.parse(res.body) as { result?: unknown; warnings?: { file?: string; line?: number; message?: string }[] };
      for (const w of body.warnings ?? []) ctx.warn(`${w.file ?? file}:${w.line ?? 0}: ${w.message ?? ""}`);
      json = JSON.stringify(body.result ?? {});
    } else json = await caddyAdapt(file);
  } else if (opts.json !== undefined) {
    label = String(opts.json);
    json = await readText(label);
  } else {
    label = String(opts.admin);
    const res = await (await adminClient(label)).request("GET", "/config/");
    if (res.status !== 200) throw new HecateError("caddy-read", `Caddy at ${label} answered ${res.status} to GET /config/: ${res.body.trim()}`);
    json = res.body;
  }
  let config: unknown;
  try {
    config = JSON.parse(json || "null");
  } catch (e) {
    throw new HecateError("invalid", `${label} is not Caddy JSON: ${(e as Error).message}`);
  }
  const { importCaddyJson, fileImports } = await import("../../import/caddy.js");
  const imported = caddyfile !== undefined ? await importedFiles(label, caddyfile, fileImports) : [];
  const result = importCaddyJson(config, { label, ...(caddyfile !== undefined ? { caddyfile, imported } : {}) });
  if (opts.adopt !== true) return emit(ctx, "caddy", result, opts);
  // Everything that can refuse the takeover is checked before anything is stored.
  await adoptable(ctx, String(opts.admin), result.servers);
  const code = await emit(ctx, "caddy", result, opts);
  return Math.max(code, await adoptCaddy(ctx, String(opts.admin), result.servers));
}

/**
 * The files a Caddyfile imports (and they import), read so that findings name their lines. A glob
 * may have `*` in its last part, as Caddy's do in practice; what cannot be read is left to `caddy adapt`.
 */
async function importedFiles(file: string, text: string, fileImports: (t: string) => string[]): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  const seen = new Set([resolve(file)]);
  const queue = [{ file, text }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const arg of fileImports(next.text)) {
      const pattern = resolve(dirname(next.file), arg);
      let paths = [pattern];
      if (/[*?[]/.test(basename(pattern))) {
        const re = new RegExp(`^${basename(pattern).replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
        paths = (await readdir(dirname(pattern)).catch(() => [] as string[])).filter((n) => re.test(n)).sort().map((n) => join(dirname(pattern), n));
      }
      for (const p of paths) {
        if (seen.has(p)) continue;
        seen.add(p);
        const t = await readFile(p, "utf8").catch(() => undefined);
        if (t === undefined) continue;
        out.push({ path: p, text: t });
        queue.push({ file: p, text: t });
      }
    }
  }
  return out;
}

const adoptRefused = (why: string) => new HecateError("adopt", `not adopted, nothing stored or changed: ${why}`);

/** --adopt's preconditions on the stored Settings and the imported servers. */
async function adoptable(ctx: Context, admin: string, servers: ImportedServer[]): Promise<void> {
  const head = await (await ctx.store()).head();
  const settings = head?.resources.find((r) => r.kind === "Settings");
  const { state } = (await ctx.engineModule()).resolveChecked({ docs: settings ? [settings] : [] }, "the stored Settings");
  const s = state.settings.caddy;
  const norm = (u: string) => u.replace(/\/+$/, "").toLowerCase();
  if (!s.admin.some((a) => norm(a) === norm(admin))) throw adoptRefused(`the stored Settings spec.caddy.admin is ${s.admin.join(", ") || "not set"}, not ${admin}: point Hecate at the Caddy it adopts first`);
  const partial = servers.filter((x) => !x.complete);
  if (partial.length) throw adoptRefused(`server ${partial.map((x) => x.name).join(", ")} holds sites or options the import refused, and adopting would drop them: import without --adopt`);
  for (const sv of servers) {
    for (const l of sv.listen) {
      const port = Number(/:(\d+)$/.exec(l)?.[1]);
      const want = sv.tls ? s.httpsPort : s.httpPort;
      if (port !== want) throw adoptRefused(`server ${sv.name} listens on ${l}, Hecate's ${sv.tls ? "TLS" : "plain HTTP"} server on ${want}: set Settings spec.caddy.${sv.tls ? "httpsPort" : "httpPort"} to ${port} so the sites stay where they are`);
    }
  }
}

/**
 * --adopt: in one guarded config load, the live Caddy's imported servers are replaced by what
 * Hecate compiles for the stored head, so the sites keep answering and the next plan is empty.
 * Refused (nothing changed in Caddy) when that cannot be exact: Settings naming another Caddy or
 * other ports, a server with sites the import refused, routes whose secrets only apply resolves.
 */
async function adoptCaddy(ctx: Context, admin: string, servers: ImportedServer[]): Promise<number> {
  const store = await ctx.store();
  const head = await store.head();
  if (!head) throw new HecateError("adopt", "nothing stored to adopt with");
  const m = await ctx.engineModule();
  const { state } = m.resolveChecked({ docs: head.resources }, `revision #${head.seq}`);
  const s = state.settings.caddy;
  const refuse = (why: string) => new HecateError("adopt", `not adopted (the routes are stored; Caddy is unchanged): ${why}`);
  const owned = m.renderConfig(state, "caddy").structure as import("../../providers/caddy/owned.js").OwnedConfig;
  const { isSecretMarker } = await import("../../secret.js");
  const hasSecret = (v: unknown): boolean => isSecretMarker(v) || (!!v && typeof v === "object" && Object.values(v).some(hasSecret));
  if (hasSecret(owned)) throw refuse("routes carry secrets that only apply resolves: run hecate apply instead");
  const { CaddyClient, adminOptions } = await import("../../providers/caddy/client.js");
  const { mergeOwned } = await import("../../providers/caddy/owned.js");
  const client = new CaddyClient(admin, adminOptions(s));
  const live = await client.getConfig();
  const next = structuredClone(live.config) as { apps?: { http?: { servers?: Record<string, unknown> } } };
  for (const sv of servers) delete next.apps?.http?.servers?.[sv.name];
  await client.putConfig(mergeOwned(next, owned, s.server), live.etag);
  ctx.say(`adopted: Caddy at ${admin} now serves the imported sites from Hecate's routes (server${servers.length === 1 ? "" : "s"} ${servers.map((x) => x.name).join(", ")} replaced in one load)`);
  return planAfterAdopt(ctx, "caddy");
}

export async function runImportNginx(ctx: Context, _args: unknown[], opts: Opts): Promise<number> {
  if (opts.streams === undefined) throw new UsageError("give --streams DIR (a directory of nginx stream files, e.g. /etc/nginx/conf.d/stream) or --streams FILE");
  if (opts.adopt === true && (opts.out !== undefined || opts.dryRun === true)) throw new UsageError("--adopt takes over the stream files the running nginx reads and stores the streams: not with --out or --dry-run (without --adopt, --dry-run shows what would be imported)");
  const path = String(opts.streams);
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw unreadable(path, e);
  });
  const names = info.isDirectory() ? (await readdir(path)).filter((n) => n.endsWith(".conf")).sort().map((n) => join(path, n)) : [path];
  if (!names.length) throw new HecateError("read", `${path} holds no *.conf files`);
  const files = await Promise.all(names.map(async (p) => ({ path: p, text: await readText(p) })));
  const { importNginxStreams } = await import("../../import/nginx.js");
  const result = importNginxStreams(files, path);
  if (opts.adopt !== true) return emit(ctx, "nginx", result, opts);
  const provider = await adoptableNginx(ctx, files, result);
  const code = await emit(ctx, "nginx", result, opts);
  return Math.max(code, await adoptNginx(ctx, provider, files));
}

/** --adopt's preconditions for nginx: Settings name the nginx that reads these files, and everything of them was imported. */
async function adoptableNginx(ctx: Context, files: { path: string; text: string }[], result: ImportResult) {
  const refused = result.findings.filter((f) => f.outcome === "refused");
  if (refused.length) throw adoptRefused(`${refused.map((f) => `${f.where} ${f.subject}`).join("; ")} ${refused.length === 1 ? "was" : "were"} not imported, and adopting would drop ${refused.length === 1 ? "it" : "them"}: change the files by hand first, or import without --adopt (the first apply is then the rewrite, shown by hecate plan)`);
  const head = await (await ctx.store()).head();
  const settings = head?.resources.find((r) => r.kind === "Settings");
  if (!(settings?.spec as { nginx?: unknown } | undefined)?.nginx) throw adoptRefused("the stored Settings have no spec.nginx: point Hecate at the nginx that reads these files first (spec.nginx.config, spec.nginx.streamFile), e.g. hecate plan settings/ --system nginx --out settings.plan");
  const { state } = (await ctx.engineModule()).resolveChecked({ docs: [settings!] }, "the stored Settings");
  const { createNginxProvider, readOwned, runNginx } = await import("../../providers/nginx/index.js");
  const provider = createNginxProvider(state.settings.nginx);
  const p = provider.paths;
  if (files.some((f) => f.path === p.streamFile)) throw adoptRefused(`${p.streamFile} is both an imported file and the file Hecate owns (Settings spec.nginx.streamFile): set streamFile to a new file and include it in nginx's stream block`);
  try {
    readOwned(p.streamFile);
  } catch (e) {
    throw adoptRefused((e as Error).message);
  }
  // nginx -T lists every file the config reads: the imported ones must be among them, and Hecate's.
  const dump = await runNginx(p.binary, ["-T", ...(p.prefix ? ["-p", p.prefix] : []), "-c", p.config]);
  if (dump.code !== 0) throw adoptRefused(`nginx -T -c ${p.config} failed: ${(dump.stderr || dump.stdout).trim().split("\n").slice(-2).join(" ")}${/No such file/.test(dump.stderr) ? ` (an include of ${p.streamFile} needs the file: an empty one will do)` : ""}`);
  const read = new Set([...dump.stdout.matchAll(/^# configuration file (.+):$/gm)].map((m) => m[1]!));
  const unread = files.filter((f) => !read.has(resolve(f.path)));
  if (unread.length) throw adoptRefused(`the nginx of ${p.config} does not read ${unread.map((f) => f.path).join(", ")}: adopt takes over files that nginx serves; import without --adopt`);
  if (!read.has(p.streamFile)) throw adoptRefused(`${p.config} does not include ${p.streamFile}, the file Hecate owns: add "include ${p.streamFile};" inside its stream {} block (and create the file empty), reload nginx, then adopt`);
  return provider;
}

/**
 * --adopt for nginx: the stored head's streams are written to Hecate's stream file and the imported
 * files keep their original only as comments, in one checked swap and reload, so the streams keep
 * answering and the next plan is empty (it is printed).
 */
async function adoptNginx(ctx: Context, provider: import("../../providers/nginx/index.js").NginxProvider, files: { path: string; text: string }[]): Promise<number> {
  const head = await (await ctx.store()).head();
  if (!head) throw new HecateError("adopt", "nothing stored to adopt with");
  const m = await ctx.engineModule();
  const { state } = m.resolveChecked({ docs: head.resources }, `revision #${head.seq}`);
  const desired = m.renderConfig(state, "nginx").structure as import("../../compile/nginx/types.js").NginxOwned;
  try {
    await provider.adopt(desired, files);
  } catch (e) {
    if (e instanceof HecateError) e.message = `${e.message} (the streams are stored as revision #${head.seq}; \`hecate apply\` would write them to ${provider.paths.streamFile} beside the original files, where their listens clash)`;
    throw e;
  }
  ctx.say(`adopted: nginx now serves the imported streams from ${provider.paths.streamFile}, which Hecate owns; ${files.map((f) => f.path).join(", ")} keep${files.length === 1 ? "s" : ""} the original as comments`);
  return planAfterAdopt(ctx, "nginx");
}

/** The proof of an adopt: the plan for that system, printed; exit 1 when it is not empty. */
async function planAfterAdopt(ctx: Context, system: "caddy" | "nginx"): Promise<number> {
  const plan = await method(await ctx.engine(), "plan")({ systems: [system] });
  await printPlan(ctx, plan);
  if (plan.steps.length) {
    ctx.warn("the plan after adopting is not empty: the next apply changes what is shown");
    return 1;
  }
  return 0;
}

/** --adopt where the live objects are in a proxy Hecate does not run: refused, saying why and what to do. */
function noAdopt(source: string, lives: string): never {
  throw new UsageError(
    `--adopt takes over in place what runs in the Caddy or nginx Hecate manages; ${source}'s ${lives}, which Hecate does not manage, so there is nothing to take over in place. ` +
      `Instead: import with --out DIR, add a settings.yaml for your Caddy/nginx, \`hecate apply DIR\` on spare ports (httpPort/httpsPort, stream listens), check the answers, then move the ports over (stop ${source} first).`,
  );
}
export async function runImportEos(ctx: Context, _args: unknown[], opts: Opts): Promise<number> {
  if (opts.adopt === true) throw new UsageError("--adopt is not for the eos apps file: it describes apps, while the live objects are the Caddyfile eos rendered from it. To take that Caddy over in place: hecate import caddy --admin URL --adopt (the import eos routes, with their presets, differ from what eos rendered, so their first apply is a rewrite: review it with hecate plan)");
  if (opts.config === undefined) throw new UsageError("give --config FILE (the eos apps YAML: base_domain, apps)");
  const file = String(opts.config);
  const text = await readText(file);
  const { importEosApps } = await import("../../import/eos.js");
  let result: ImportResult;
  try {
    result = importEosApps(text, file, opts.listen !== undefined ? { listen: String(opts.listen) } : {});
  } catch (e) {
    throw new HecateError("invalid", `${file} is not valid YAML: ${yamlError(file, e)}`);
  }
  return emit(ctx, "eos", result, opts);
}
export async function runImportNpm(ctx: Context, _args: unknown[], opts: Opts): Promise<number> {
  if (opts.adopt === true) noAdopt("Nginx Proxy Manager", "hosts and streams are served by its own nginx, which it rewrites from its database");
  if (opts.db === undefined) throw new UsageError("give --db FILE (Nginx Proxy Manager's database.sqlite)");
  const file = String(opts.db);
  await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw unreadable(file, e);
  });
  const { importNpmDatabase } = await import("../../import/npm.js");
  let result: ImportResult;
  try {
    result = importNpmDatabase(file);
  } catch (e) {
    throw new HecateError("read", `cannot read ${file} as Nginx Proxy Manager's database: ${(e as Error).message}`);
  }
  return emit(ctx, "npm", result, opts);
}
export async function runImportTraefik(ctx: Context, _args: unknown[], opts: Opts): Promise<number> {
  if (opts.adopt === true) noAdopt("Traefik", "routers are served by Traefik itself");
  if ((opts.file === undefined) === (opts.tags === undefined)) throw new UsageError("give one of --file FILE (Traefik dynamic configuration) or --tags FILE (a Consul/Nomad service catalog export)");
  const file = String(opts.file ?? opts.tags);
  const text = await readText(file);
  const { parse } = await import("yaml");
  let doc: unknown;
  try {
    doc = parse(text); // YAML is a superset of JSON: both forms read here
  } catch (e) {
    throw new HecateError("invalid", `${file} is neither YAML nor JSON: ${yamlError(file, e)}`);
  }
  const t = await import("../../import/traefik.js");
  const o = { text, ...(opts.host !== undefined ? { host: String(opts.host) } : {}) };
  return emit(ctx, "traefik", opts.file !== undefined ? t.importTraefikFile(doc, file, o) : t.importServiceTags(doc, file, o), opts);
}

export async function runExportTraefikTags(ctx: Context, [paths]: unknown[], _opts: Opts): Promise<number> {
  const m = await ctx.engineModule();
  const list = (paths as string[] | undefined) ?? [];
  const rev = list.length ? undefined : await revisionOf(await ctx.store(), "head");
  const { state } = rev ? m.resolveChecked({ docs: rev.resources }, `revision #${rev.seq}`) : m.resolveChecked(await m.loadSource({ type: "dir", paths: list }));
  const { routeTags } = await import("../../import/traefik.js");
  const tags = routeTags(state.routes);
  const format = ctx.format("table");
  if (format === "json" || format === "yaml") return void ctx.records(tags, [], ""), 0;
  ctx.out(tags.map((t) => [`# Route/${t.route}: service ${t.service}${t.port ? ` (port ${t.port})` : ""}`, ...t.tags].join("\n")).join("\n\n"));
  return 0;
}
