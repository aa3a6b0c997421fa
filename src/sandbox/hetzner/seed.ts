// Seed zones for a sandbox: a plain data shape, checked by the API's own rules, loadable from YAML with file:line errors.
import { readFile } from "node:fs/promises";
import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { HecateError, formatDiagnostic, type Diagnostic } from "../../diag.js";
import * as bodies from "./bodies.js";
import { ApiError } from "./errors.js";
import { HetznerStore } from "./store.js";

export interface SeedRRSet {
  name: string;
  type: string;
  ttl?: number | null;
  /** Values, or {value, comment} as the API takes them. */
  records: (string | { value: string; comment?: string })[];
  labels?: Record<string, string>;
}

export interface SeedZone {
  name: string;
  ttl?: number;
  labels?: Record<string, string>;
  rrsets?: SeedRRSet[];
}

export interface Seed {
  zones: SeedZone[];
}

type Path = (string | number)[];

export interface SeedProblem {
  path: Path;
  message: string;
}

/** "records[0].value" (an API field name) → ["records", 0, "value"]. */
function fieldPath(field: string): Path {
  return field.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "").map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function problemsOf(e: unknown, at: Path): SeedProblem[] {
  if (!(e instanceof ApiError)) throw e;
  const fields = (e.details.fields as { name: string; messages: string[] }[] | undefined) ?? [];
  if (fields.length === 0) return [{ path: at, message: e.message }];
  return fields.flatMap((f) => f.messages.map((m) => ({ path: [...at, ...fieldPath(f.name)], message: `${f.name} ${m}` })));
}

/**
 * Apply a seed to a store (synchronously, no actions). Every problem is collected, each with the path of the
 * offending value; a zone or rrset with a problem is skipped so later problems are still found.
 */
export function applySeed(store: HetznerStore, raw: unknown): SeedProblem[] {
  const problems: SeedProblem[] = [];
  const seed = raw as Partial<Seed> | null;
  if (seed === null || typeof seed !== "object" || !Array.isArray(seed.zones)) return [{ path: ["zones"], message: "a seed is {zones: [...]}" }];
  seed.zones.forEach((z: unknown, i) => {
    const at: Path = ["zones", i];
    if (z === null || typeof z !== "object" || Array.isArray(z)) return void problems.push({ path: at, message: "a zone is {name, ttl?, labels?, rrsets?}" });
    const { rrsets, ...zone } = z as Record<string, unknown>;
    let zoneId: number;
    try {
      zoneId = store.createZone(bodies.zoneCreate({ mode: "primary", ...zone }) as ReturnType<typeof bodies.zoneCreate>).id;
    } catch (e) {
      return void problems.push(...problemsOf(e, at));
    }
    if (rrsets === undefined) return;
    if (!Array.isArray(rrsets)) return void problems.push({ path: [...at, "rrsets"], message: "rrsets must be a list" });
    rrsets.forEach((r: unknown, j) => {
      const rat: Path = [...at, "rrsets", j];
      if (r === null || typeof r !== "object" || Array.isArray(r)) return void problems.push({ path: rat, message: "an rrset is {name, type, ttl?, records, labels?}" });
      const body = { ...(r as Record<string, unknown>) };
      if (Array.isArray(body.records)) body.records = body.records.map((v: unknown) => (typeof v === "string" ? { value: v } : v));
      try {
        const input = bodies.rrsetCreate(body, (zone as { name: string }).name);
        // Seeds may set the apex NS (and only set it: the zone made it already).
        if (input.name === "@" && input.type === "NS") store.setRecords(zoneId, "@", "NS", input.records);
        else store.createRrset(zoneId, input);
      } catch (e) {
        problems.push(...problemsOf(e, rat));
      }
    });
  });
  return problems;
}

/** Apply a seed given as data (from code): any problem is an error naming the path, e.g. zones[0].rrsets[2].records[0].value. */
export function seedStore(store: HetznerStore, seed: Seed): void {
  const problems = applySeed(store, seed);
  if (problems.length === 0) return;
  const where = (p: Path): string => p.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").replace(/^\./, "");
  throw new HecateError("sandbox-seed", `invalid sandbox seed:\n${problems.map((p) => `  ${where(p.path)}: ${p.message}`).join("\n")}`);
}

/** Read a YAML seed file and check it fully (against a scratch store); errors carry file:line:col. */
export async function loadSeed(path: string): Promise<Seed> {
  const text = await readFile(path, "utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const pos = (offset: number): Diagnostic["pos"] => ({ file: path, ...lc.linePos(offset) });
  const diagnostics: Diagnostic[] = doc.errors.map((e) => ({ severity: "error", code: "yaml", message: e.message.split("\n")[0]!, pos: pos(e.pos[0]) }));
  if (diagnostics.length === 0) {
    const data = doc.toJS() as unknown;
    for (const p of applySeed(new HetznerStore(), data)) {
      const node = deepestNode(doc.contents as Node | null, p.path);
      diagnostics.push({ severity: "error", code: "sandbox-seed", message: p.message, ...(node?.range ? { pos: pos(node.range[0]) } : {}) });
    }
    if (diagnostics.length === 0) return data as Seed;
  }
  throw new HecateError("sandbox-seed", `invalid sandbox seed ${path}:\n${diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`, { diagnostics });
}

/** The YAML node at a path, or the deepest one on the way there (a missing field points at its parent). */
function deepestNode(root: Node | null, path: Path): Node | null {
  let node = root;
  for (const key of path) {
    const next = isMap(node) || isSeq(node) ? (node.get(key, true) as Node | undefined) : undefined;
    if (!next) break;
    node = next;
  }
  return node;
}
