// Where each Secret stands in its rotation schedule (`hecate list secrets --show-expiry`, `hecate
// secret validate --check-expiry`): when it was last rotated, when `rotateEvery` makes it due, and
// whether the old value is still accepted (an open grace window). Read from the store, no values.
import { parseDuration } from "../model/net.js";
import type { Resource, SecretResource } from "../model/schema.js";
import type { Store } from "../store/store.js";
import { lastRotatedKey, listGraces } from "./rotate.js";

/** A rotation due within this is reported "soon". */
export const DUE_SOON_MS = 86_400_000;

/**
 * - none: no rotateEvery;
 * - unscheduled: rotateEvery, but no reconcile loop has started its clock yet (its first round does);
 * - ok, soon (due within DUE_SOON_MS), overdue (past due: no loop rotated it).
 */
export type Due = "none" | "unscheduled" | "ok" | "soon" | "overdue";

export interface SecretSchedule {
  name: string;
  from: string;
  rotateEvery?: string;
  lastRotated?: string;
  nextRotation?: string;
  due: Due;
  /** The old value is accepted until then (an open grace window). */
  graceUntil?: string;
  /** A window whose end has passed, not yet closed by the reconcile loop (its old value is refused already where Hecate checks it). */
  graceEnded?: string;
}

export async function secretSchedules(store: Pick<Store, "getSetting">, resources: readonly Resource[], now = Date.now()): Promise<SecretSchedule[]> {
  const graces = await listGraces(store);
  const out: SecretSchedule[] = [];
  const secrets = resources.filter((r): r is SecretResource => r.kind === "Secret").sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const s of secrets) {
    const name = s.metadata.name;
    const lastRotated = await store.getSetting(lastRotatedKey(name));
    const every = s.spec.rotateEvery;
    const next = every && lastRotated ? Date.parse(lastRotated) + parseDuration(every) : undefined;
    const due: Due = !every ? "none" : next === undefined ? "unscheduled" : next <= now ? "overdue" : next - now <= DUE_SOON_MS ? "soon" : "ok";
    const g = graces[name];
    out.push({
      name,
      from: s.spec.from,
      ...(every ? { rotateEvery: every } : {}),
      ...(lastRotated ? { lastRotated } : {}),
      ...(next !== undefined ? { nextRotation: new Date(next).toISOString() } : {}),
      due,
      ...(g && Date.parse(g.until) > now ? { graceUntil: g.until } : {}),
      ...(g && Date.parse(g.until) <= now ? { graceEnded: g.until } : {}),
    });
  }
  return out;
}

/** A schedule's next rotation as a person reads it. */
export function nextRotationText(s: SecretSchedule): string {
  const at = s.nextRotation?.replace(/\.\d+Z$/, "Z");
  switch (s.due) {
    case "none":
      return "-";
    case "unscheduled":
      return `${s.rotateEvery} after the reconcile loop's first round`;
    case "overdue":
      return `overdue since ${at}`;
    default:
      return at!;
  }
}
