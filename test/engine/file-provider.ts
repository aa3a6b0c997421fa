// TEST DOUBLE: a Provider that keeps its "live system" in a JSON file, so a parent test and a child
// process see the same reality. It exercises engine logic (ordering, journal, undo, recovery);
// the real Caddy and nginx providers are exercised in real-providers.test.ts.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { ResolvedState } from "../../src/model/resolved.js";
import type { Change, Provider, SystemName } from "../../src/providers/provider.js";

type Objects = Record<string, { resource: string; spec: unknown }>;

export type Fault = "error" | "hang" | "partial" | "partial-hang" | "verify" | undefined;

export interface FileProvider extends Provider<Objects, Objects> {
  file: string;
  /** Fault injected into the next apply (or verify); consumed when it fires. */
  fault: Fault;
  applies: number;
  undos: number;
  /** Called when a "partial-hang" fault has written half and starts hanging. */
  onHang?: () => void;
  /** What the live system holds now. */
  live(): Objects;
  /** Edit reality behind Hecate's back (a "hand edit"). */
  handEdit(fn: (o: Objects) => void): void;
}

function load(file: string): Objects {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Objects) : {};
}

function save(file: string, o: Objects): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(o));
  renameSync(`${file}.tmp`, file);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function createFileProvider(system: SystemName, file: string): FileProvider {
  const kind = system === "nginx" ? "stream" : "route";
  const p: FileProvider = {
    system,
    file,
    fault: undefined,
    applies: 0,
    undos: 0,
    live: () => load(file),
    handEdit(fn) {
      const o = load(file);
      fn(o);
      save(file, o);
    },
    compile(state: ResolvedState) {
      const desired: Objects = {};
      if (system === "nginx") {
        for (const s of state.streams) desired[s.name] = { resource: `Stream/${s.name}`, spec: { listen: s.listen, upstreams: s.upstreams.map((u) => u.address) } };
      } else {
        for (const r of state.routes) desired[r.name] = { resource: `Route/${r.name}`, spec: { hosts: r.hosts, upstreams: (r.pool?.targets ?? []).map((t) => t.address) } };
      }
      return { desired, diagnostics: [] };
    },
    async read() {
      return load(file);
    },
    diff(desired, actual) {
      const out: Change[] = [];
      for (const id of [...new Set([...Object.keys(desired), ...Object.keys(actual)])].sort()) {
        const d = desired[id], a = actual[id];
        if (d && !a) out.push({ system, action: "create", kind, id, resource: d.resource, after: d.spec });
        else if (!d && a) out.push({ system, action: "delete", kind, id, resource: a.resource, before: a.spec });
        else if (d && a && !same(d, a)) out.push({ system, action: "update", kind, id, resource: d.resource, before: a.spec, after: d.spec });
      }
      return out;
    },
    async apply({ desired, actual }, ctx) {
      p.applies++;
      const now = load(file);
      if (!same(now, actual)) throw new Error(`${system} changed since it was read`);
      const fault = p.fault === "verify" ? undefined : p.fault;
      if (fault) p.fault = undefined; // one shot: the undo that follows must be able to work
      if (fault === "error") throw new Error(`${system} refused the change (injected)`);
      if (fault === "hang") {
        await new Promise<void>((_, reject) => ctx.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
      }
      if (fault === "partial-hang") {
        const half: Objects = { ...now };
        for (const id of Object.keys(desired).slice(0, Math.ceil(Object.keys(desired).length / 2))) half[id] = desired[id]!;
        save(file, half);
        p.onHang?.();
        // Until the process is killed, or the apply is aborted (a lost lock).
        await new Promise<void>((_, reject) => ctx.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
      }
      if (fault === "partial") {
        // Half the objects land, then the system fails: the classic partial apply.
        const half: Objects = { ...now };
        for (const id of Object.keys(desired).slice(0, Math.ceil(Object.keys(desired).length / 2))) half[id] = desired[id]!;
        save(file, half);
        throw new Error(`${system} failed half way (injected)`);
      }
      save(file, desired);
      await ctx.report({ change: { system, action: "update", kind: "file", id: file }, undo: { previous: now } });
    },
    async undo(record) {
      p.undos++;
      save(file, (record.undo as { previous: Objects }).previous);
    },
    async verify(desired) {
      if (p.fault === "verify" && (p.fault = undefined) === undefined) return [{ severity: "error", code: "verify", message: `${system} does not serve what was applied (injected)` }];
      return same(load(file), desired) ? [] : [{ severity: "error", code: "verify", message: `${system} does not match after apply` }];
    },
  };
  return p;
}
