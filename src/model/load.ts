// Loading multi-document YAML from files, directory trees or text, keeping source positions so
// every later diagnostic can point at the exact key or value an operator wrote.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Alias, type Document, type Node } from "yaml";
import type { Diagnostic, SourcePos } from "../diag.js";
import { fastYaml } from "./fast-yaml.js";
import { readYamlFiles, textOf, type YamlFile } from "./files.js";
import { API_VERSION, KINDS, type Kind, type Resource } from "./schema.js";

export type PathSeg = string | number;

/** One YAML document with the means to find where any of its fields was written. */
export interface Located {
  /** The document as written. Its shape is checked by resolveState (schema diagnostics). */
  resource: Resource;
  file: string;
  /** 0-based index of the document in its file. */
  docIndex: number;
  /** Position of the value at `path` (falls back to the nearest existing parent). */
  pos(path: PathSeg[]): SourcePos;
  /** Position of the key at `path` (for "unknown field" and similar), else like pos(). */
  keyPos?(path: PathSeg[]): SourcePos;
}

export interface LoadResult {
  docs: Located[];
  diagnostics: Diagnostic[];
}

/** Loads files and directory trees (recursively *.yaml / *.yml, in sorted order). */
export async function loadPaths(paths: string[]): Promise<LoadResult> {
  const read = readYamlFiles(paths);
  const parsed = parseFiles(read.files);
  return { docs: parsed.docs, diagnostics: [...read.diagnostics, ...parsed.diagnostics] };
}

/** Files read (or sent) as text, each parsed by `parse` (default parseYamlText), in order. */
export function parseFiles(files: readonly YamlFile[], parse: (content: string | Uint8Array, file: string) => LoadResult = (c, file) => parseYamlText(textOf(c), file)): LoadResult {
  const docs: Located[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const r = parse("text" in f ? f.text : f.bytes, f.name);
    docs.push(...r.docs);
    diagnostics.push(...r.diagnostics);
  }
  return { docs, diagnostics };
}

/** Parses YAML text (a file's content, stdin, an API body) into located documents. */
export function parseYamlText(text: string, file: string): LoadResult {
  const fast = fastYaml(text);
  if (fast) return fastResult(fast, text, file);
  return fullParse(text, file);
}

/**
 * Documents read by the fast path. Their positions come from the full parser, run on the same
 * text only when a diagnostic first asks for one, so every file:line:col is what it always was.
 * `text`: the text, or how to get it (decoded only then).
 */
export function fastResult(values: unknown[], text: string | (() => string), file: string): LoadResult {
  const positions = new Positions(values, text, file);
  const docs: Located[] = [];
  const diagnostics: Diagnostic[] = [];
  values.forEach((value, docIndex) => {
    const located = new FastDoc(value as Resource, file, docIndex, positions);
    const header = checkHeader(located.resource, located);
    if (header) diagnostics.push(header);
    else docs.push(located);
  });
  return { docs, diagnostics };
}

/** Where the fast path's documents of one file are: the full parse of its text, made when first asked. */
class Positions {
  private full: { docs: Document.Parsed[]; at: (o: number) => SourcePos } | undefined;
  private readonly slow = new Map<number, Located>();
  constructor(
    private readonly values: unknown[],
    private readonly text: string | (() => string),
    private readonly file: string,
  ) {}

  of(docIndex: number): Located {
    let l = this.slow.get(docIndex);
    if (!l) {
      this.full ??= parseFull(typeof this.text === "string" ? this.text : this.text(), this.file);
      l = makeLocated(this.full.docs[docIndex]!, this.values[docIndex], docIndex, this.file, this.full.at);
      this.slow.set(docIndex, l);
    }
    return l;
  }
}

/** A document read by the fast path; one object (no closures) per document, as there are 10,000 of them. */
class FastDoc implements Located {
  constructor(
    readonly resource: Resource,
    readonly file: string,
    readonly docIndex: number,
    private readonly positions: Positions,
  ) {}

  pos(path: PathSeg[]): SourcePos {
    return this.positions.of(this.docIndex).pos(path);
  }

  keyPos(path: PathSeg[]): SourcePos {
    return this.positions.of(this.docIndex).keyPos!(path);
  }
}

function parseFull(text: string, file: string): { docs: Document.Parsed[]; at: (o: number) => SourcePos } {
  const lc = new LineCounter();
  const at = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, col };
  };
  const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  return { docs: Array.isArray(parsed) ? parsed : [], at };
}

function fullParse(text: string, file: string): LoadResult {
  const docs: Located[] = [];
  const diagnostics: Diagnostic[] = [];
  const { docs: all, at } = parseFull(text, file);
  let nonEmpty = 0;
  all.forEach((doc, docIndex) => {
    for (const e of doc.errors) {
      diagnostics.push({ severity: "error", code: "yaml", message: yamlMessage(e.message, e.code), pos: at(e.pos[0]) });
    }
    for (const w of doc.warnings) {
      diagnostics.push({ severity: "warning", code: "yaml", message: yamlMessage(w.message, w.code), pos: at(w.pos[0]) });
    }
    if (doc.errors.length > 0) return;
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return; // empty document
    nonEmpty++;
    const value = toJs(doc, at);
    if ("error" in value) {
      diagnostics.push(value.error);
      return;
    }
    const located = makeLocated(doc, value.js, docIndex, file, at);
    const header = checkHeader(located.resource, located);
    if (header) {
      diagnostics.push(header);
      return;
    }
    docs.push(located);
  });
  if (all.length === 0 || (nonEmpty === 0 && diagnostics.length === 0)) {
    diagnostics.push({ severity: "warning", code: "empty", message: `${file} contains no documents`, pos: { file, line: 1, col: 1 } });
  }
  return { docs, diagnostics };
}

function yamlMessage(message: string, code: string): string {
  // yaml's pretty messages carry " at line L, column C:" and a code excerpt; the position is ours.
  const first = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  if (code === "TAB_AS_INDENT") return `${first} (indent with spaces)`;
  if (code === "DUPLICATE_KEY") return `${first} (a key may appear only once in a mapping)`;
  if (code === "RESOURCE_EXHAUSTION") return "YAML: nested too deeply to read; flatten the structure";
  return `YAML syntax: ${first}`;
}

/** Most aliases one document may expand: enough for any real config, far too few for a "billion laughs" bomb. */
const MAX_ALIAS_COUNT = 100;

/**
 * The document as plain data. yaml throws for aliases (an anchor used before it is set, or so many
 * that expanding them would exhaust memory); that is the operator's input, so it becomes a
 * diagnostic at the alias, never an internal error.
 */
function toJs(doc: Document.Parsed, at: (o: number) => SourcePos): { js: unknown } | { error: Diagnostic } {
  try {
    return { js: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null };
  } catch (err) {
    const aliases: Alias[] = [];
    const anchors = new Set<string>();
    let unresolved: Alias | undefined;
    visit(doc, {
      Node(_key, node) {
        if (isAlias(node)) {
          aliases.push(node);
          if (!unresolved && !anchors.has(node.source)) unresolved = node;
        } else if (node.anchor) anchors.add(node.anchor);
      },
    });
    const message = (err as Error).message ?? String(err);
    const [node, text] = unresolved
      ? [unresolved, `YAML: alias *${unresolved.source} has no anchor &${unresolved.source} before it`]
      : /alias count/i.test(message)
        ? [aliases[0], `YAML: aliases expand to more than ${MAX_ALIAS_COUNT} copies (an alias bomb?); write the values out or use fewer aliases`]
        : [aliases[0], `YAML: ${message.split("\n")[0]}`];
    return { error: { severity: "error", code: "yaml", message: text, pos: at(node?.range?.[0] ?? doc.range[0]) } };
  }
}

function makeLocated(doc: Document.Parsed, js: unknown, docIndex: number, file: string, at: (o: number) => SourcePos): Located {
  const root = doc.contents as Node | null;
  const start = (n: Node | null | undefined): number | undefined => n?.range?.[0];
  /** Walks the path; returns the deepest node found and, for the last step, its key node. */
  const walk = (path: PathSeg[]): { node?: Node; key?: Node } => {
    let node: Node | undefined = root ?? undefined;
    let key: Node | undefined;
    for (const seg of path) {
      if (node && isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return { node, key: undefined };
        key = pair.key as Node;
        node = (pair.value as Node | null) ?? undefined;
        if (!node) return { node: key, key };
      } else if (node && isSeq(node) && typeof seg === "number") {
        const item = node.items[seg] as Node | undefined;
        if (!item) return { node, key: undefined };
        key = undefined;
        node = item;
      } else {
        return { node, key: undefined };
      }
    }
    return { node, key };
  };
  const docStart = start(root) ?? doc.range[0];
  return {
    resource: js as Resource,
    file,
    docIndex,
    pos(path) {
      const { node } = walk(path);
      return at(start(node) ?? docStart);
    },
    keyPos(path) {
      const { node, key } = walk(path);
      return at(start(key) ?? start(node) ?? docStart);
    },
  };
}

/** Checks apiVersion and kind, the two fields every later step relies on. `at`: where a path of the document is (a Located, a Where). */
export function checkHeader(raw: unknown, at?: { pos?(path: PathSeg[]): SourcePos | undefined }, address?: string): Diagnostic | undefined {
  const mk = (message: string, path: PathSeg[]): Diagnostic => {
    const d: Diagnostic = { severity: "error", code: "header", message };
    const p = at?.pos?.(path);
    if (p) d.pos = p;
    if (address) d.address = address;
    return d;
  };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return mk(`expected a mapping with apiVersion, kind, metadata and spec, got ${Array.isArray(raw) ? "a list" : describeValue(raw)}`, []);
  }
  const r = raw as Record<string, unknown>;
  if (r.apiVersion === undefined) return mk(`missing apiVersion (expected "${API_VERSION}")`, []);
  if (r.apiVersion !== API_VERSION) return mk(`unsupported apiVersion ${describeValue(r.apiVersion)}: expected "${API_VERSION}"`, ["apiVersion"]);
  if (r.kind === undefined) return mk(`missing kind (one of ${KINDS.join(", ")})`, []);
  if (typeof r.kind !== "string" || !(KINDS as readonly string[]).includes(r.kind)) {
    const hint = typeof r.kind === "string" ? suggest(r.kind, KINDS) : undefined;
    return mk(`unknown kind ${describeValue(r.kind)}${hint ? ` (did you mean "${hint}"?)` : ""}: expected one of ${KINDS.join(", ")}`, ["kind"]);
  }
  return undefined;
}

export function isKind(k: unknown): k is Kind {
  return typeof k === "string" && (KINDS as readonly string[]).includes(k);
}

/** A short, quoted rendering of a user value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "a list";
  return "a mapping";
}

/** Closest candidate by edit distance, when close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
