// Pure per-stream diff between the compiled and the live nginx stream file.
import { diffKeyed } from "../differ.js";
import type { Change } from "../provider.js";
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

/**
 * Deletes first (they free listen sockets), then updates, then creates, each by name. When the
 * streams agree but the bytes do not (a hand edit of comments, a missing file), one change for
 * the file itself, so an apply still rewrites it.
 */
export function diffNginx(desired: NginxOwned, actual: NginxActual): Change[] {
  const item = (s: NginxStream) => ({ kind: "stream", id: s.name, value: s, resource: `Stream/${s.name}` });
  const byName = (a: NginxStream, b: NginxStream) => (a.name < b.name ? -1 : 1);
  const { creates, updates, deletes } = diffKeyed("nginx", desired.streams.map(item), [...actual.streams].sort(byName).map(item));
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
