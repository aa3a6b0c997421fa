// Asynchronous actions: a write is running for a while (the zone is locked), then ends in success or error.
import { ApiError, notFound } from "./errors.js";
import type { HetznerStore } from "./store.js";

export interface Action {
  id: number;
  command: string;
  status: "running" | "success" | "error";
  progress: number;
  started: string;
  finished: string | null;
  resources: { id: number; type: "zone" }[];
  error: { code: string; message: string } | null;
}

export interface ActionFailure {
  code: string;
  message: string;
}

const stamp = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "+00:00");

/**
 * The model: a write changes the store at once and its action stays `running` for `delayMs`; meanwhile every
 * other write to the zone gets 423 locked. An action made to fail ends in `error` and the zone is put back as
 * it was before the write, so "error" always means "nothing changed".
 */
export class Actions {
  private readonly actions = new Map<number, Action>();
  private readonly running = new Map<number, number>(); // zone id → action id
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures: ActionFailure[] = [];
  private nextId = 1;

  constructor(
    private readonly store: HetznerStore,
    public delayMs: number,
  ) {}

  /** 423 when the zone has a running action: the real API serializes writes per zone. */
  assertUnlocked(zoneId: number): void {
    const a = this.running.get(zoneId);
    if (a !== undefined) throw new ApiError(423, "locked", `zone ${zoneId} is locked by running action ${a}`, { action_id: a });
  }

  /** Run a write against a zone as an action. `zoneId` may be unknown yet (create) and is returned by `write`. */
  run(command: string, write: () => number, lockZoneId?: number): Action {
    if (lockZoneId !== undefined) this.assertUnlocked(lockZoneId);
    const before = lockZoneId === undefined ? undefined : this.store.snapshot(lockZoneId);
    const zoneId = write();
    const snapshot = before ?? { id: zoneId };
    const action: Action = {
      id: this.nextId++,
      command,
      status: "running",
      progress: 0,
      started: stamp(new Date()),
      finished: null,
      resources: [{ id: zoneId, type: "zone" }],
      error: null,
    };
    this.actions.set(action.id, action);
    const failure = this.failures.shift();
    const finish = (): void => {
      action.finished = stamp(new Date());
      action.progress = 100;
      if (this.running.get(zoneId) === action.id) this.running.delete(zoneId);
      if (failure) {
        action.status = "error";
        action.error = { ...failure };
        this.store.restore(snapshot);
      } else action.status = "success";
    };
    if (this.delayMs <= 0) {
      finish();
    } else {
      this.running.set(zoneId, action.id);
      const t = setTimeout(() => {
        this.timers.delete(t);
        finish();
      }, this.delayMs);
      this.timers.add(t);
    }
    return { ...action };
  }

  /** The next action to start ends in `error` with this code and message (a failure-injection hook). */
  failNext(failure: ActionFailure = { code: "action_failed", message: "injected action failure" }): void {
    this.failures.push(failure);
  }

  get(id: string): Action {
    const a = /^\d+$/.test(id) ? this.actions.get(Number(id)) : undefined;
    if (!a) throw notFound(`action ${id}`);
    return { ...a };
  }

  list(): Action[] {
    return [...this.actions.values()].map((a) => ({ ...a }));
  }

  /** Stop the timers (running actions stay running forever); for close(). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
