// Garbage collected while the server is idle, not inside the next request. An apply at 10,000
// routes leaves its new state behind as young objects; V8 then copied them out in a scavenge
// inside the next plan or apply (12–20 ms on these machines, once or twice per request). With no
// request in flight for a moment, the server collects the young generation itself: the next
// request starts with room to allocate, and its time is its own work.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface IdleCollector {
  /** A request starts; call what it returns when it ends. */
  busy(): () => void;
  /** No more collections (the server is stopping). */
  stop(): void;
}

/** Quiet this long after the last request ends before collecting: a burst of requests is one quiet moment. */
const QUIET_MS = 20;

/**
 * `collect` runs once each time the server turns idle (no request in flight for QUIET_MS),
 * never while a request is in flight. Default: V8's minor collection (v8Collector).
 */
export function idleCollector(collect: (() => void) | undefined = v8Collector(), quietMs = QUIET_MS): IdleCollector {
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    busy() {
      inFlight++;
      cancel();
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inFlight--;
        if (inFlight > 0 || stopped || !collect) return;
        cancel();
        // unref: a pending collection never keeps the process alive.
        // A request starting, or stop(), clears this timer: when it fires, the server is quiet.
        timer = setTimeout(() => {
          timer = undefined;
          collect();
        }, quietMs).unref();
      };
    },
    stop() {
      stopped = true;
      cancel();
    },
  };
}

/**
 * V8's minor (young generation) collection, or undefined where it cannot be had. Node exposes gc
 * only under --expose-gc, which `hecate serve` is not started with: the flag is turned on for as
 * long as it takes to make one context that has gc, then off again.
 */
export function v8Collector(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as ((o?: { type?: "minor" | "major" }) => void) | undefined;
    if (typeof gc !== "function") return undefined;
    return () => gc({ type: "minor" });
  } catch {
    return undefined;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}
