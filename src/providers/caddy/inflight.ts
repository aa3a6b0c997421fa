// Writes sent to a Caddy admin endpoint and not answered yet, per endpoint, in this process.
// Aborting an HTTP request does not stop Caddy from finishing a /load it already received, so a
// sent write is never cut off: reads of the same endpoint wait for it, and refuse to answer while
// its outcome is unknown (a read then would prove nothing).

export interface InFlight {
  /** "POST /config/" */
  what: string;
  sentAt: number;
  /** True once the request ended (answered, or the connection died). */
  finished: boolean;
  /** Resolves when the request ended. */
  done: Promise<void>;
  /** Resolves when its writer stopped waiting: from then on, while unfinished, its outcome is unknown. */
  expired: Promise<void>;
  /** Called by the writer when it stops waiting. */
  expire(): void;
}

const byEndpoint = new Map<string, Set<InFlight>>();

/** Track a write from the moment it was sent until `answer` settles. */
export function track(endpoint: string, what: string, answer: Promise<unknown>): InFlight {
  let markDone!: () => void;
  let expire!: () => void;
  const entry: InFlight = {
    what,
    sentAt: Date.now(),
    finished: false,
    done: new Promise<void>((r) => (markDone = r)),
    expired: new Promise<void>((r) => (expire = r)),
    expire: () => expire(),
  };
  const set = byEndpoint.get(endpoint) ?? new Set<InFlight>();
  set.add(entry);
  byEndpoint.set(endpoint, set);
  const settle = () => {
    entry.finished = true;
    set.delete(entry);
    if (!set.size && byEndpoint.get(endpoint) === set) byEndpoint.delete(endpoint);
    markDone();
  };
  answer.then(settle, settle);
  return entry;
}

/** Writes to this endpoint still unanswered. */
export function pending(endpoint: string): InFlight[] {
  return [...(byEndpoint.get(endpoint) ?? [])];
}
