// Pure per-stream diff between the compiled and the live nginx stream file.
import type { Change, FieldChange } from "../provider.js";
import type { NginxOwned, NginxStream } from "../../compile/nginx/types.js";

/** What read() returns: the owned file as it is on disk. */
export interface NginxActual {
  /** Absolute path of the owned stream file. */
  path: string;
  exists: boolean;
  text: string;
  streams: NginxStream[];
  /** The hash line matches: nobody edited the file by hand. */
  intact: boolean;
  /** Parts of the file Hecate did not understand (hand edits). */
  problems: string[];
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    out.set(prefix + ".length", value.length);
    value.forEach((v, i) => flatten(v, `${prefix}.${i}`, out));
  } else if (value !== null && typeof value === "object") {
    for (const k of Object.keys(value).sort()) flatten((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(prefix, value);
  }
}

/** Field-level differences, dotted paths ("upstreams.1.weight"), sorted. */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, "", a);
  flatten(after, "", b);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: FieldChange[] = [];
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    if (x === y) continue;
    const fc: FieldChange = { path: k };
    if (x !== undefined) fc.before = x;
    if (y !== undefined) fc.after = y;
    out.push(fc);
  }
  return out;
}

/**
 * Deletes first (they free listen sockets), then updates, then creates, each by name. When the
 * streams agree but the bytes do not (a hand edit of comments, a missing file), one change for
 * the file itself, so an apply still rewrites it.
 */
export function diffNginx(desired: NginxOwned, actual: NginxActual): Change[] {
  const before = new Map(actual.streams.map((s) => [s.name, s]));
  const after = new Map(desired.streams.map((s) => [s.name, s]));
  const deletes: Change[] = [];
  const updates: Change[] = [];
  const creates: Change[] = [];
  const base = (name: string) => ({ system: "nginx" as const, kind: "stream", id: name, resource: `Stream/${name}` });
  for (const [name, s] of [...before].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!after.has(name)) deletes.push({ ...base(name), action: "delete", before: s });
  }
  for (const [name, s] of after) {
    const old = before.get(name);
    if (!old) {
      creates.push({ ...base(name), action: "create", after: s });
      continue;
    }
    const fields = fieldChanges(old, s);
    if (fields.length > 0) updates.push({ ...base(name), action: "update", before: old, after: s, fields });
  }
  const changes = [...deletes, ...updates, ...creates];
  if (changes.length === 0 && actual.text !== desired.file) {
    changes.push({
      system: "nginx",
      action: actual.exists ? "update" : "create",
      kind: "file",
      id: actual.path,
      fields: [{ path: "file", before: actual.exists ? (actual.intact ? "outdated" : "edited by hand") : "missing", after: "compiled" }],
    });
  }
  return changes;
}
