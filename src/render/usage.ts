// API usage lines of an apply or plan: its own module so the CLI prints them without loading the plan renderer.
import type { Plan } from "../engine/types.js";

/** One line per metered system: "dns: 21 API calls (21 reads, 0 writes); rate limit: 3579 of 3600 left". */
export function usageLines(usage: Plan["usage"]): string[] {
  return Object.entries(usage ?? {}).map(([system, u]) => {
    const limited = u!.limited ? `, ${u!.limited} answered 429 and waited out` : "";
    const budget = u!.rateLimit ? `; rate limit: ${u!.rateLimit.remaining} of ${u!.rateLimit.limit} left` : "";
    return `${system}: ${u!.calls} API call${u!.calls === 1 ? "" : "s"} (${u!.reads} read${u!.reads === 1 ? "" : "s"}, ${u!.writes} write${u!.writes === 1 ? "" : "s"}${limited})${budget}`;
  });
}

/**
 * The usage lines of an apply whose plan was printed just before with its own: a system whose
 * line is the plan's again (the apply neither wrote nor read more there) is not printed twice.
 */
export function usageAfter(planUsage: Plan["usage"], applyUsage: Plan["usage"]): string[] {
  const shown = new Set(usageLines(planUsage));
  return usageLines(applyUsage).filter((l) => !shown.has(l));
}
