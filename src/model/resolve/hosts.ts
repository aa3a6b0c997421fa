// Host lists: normalized, duplicates warned about, and whether a certificate name covers a host.
import { formatPath } from "../check.js";
import type { Entry, Reporter } from "../ctx.js";
import type { PathSeg } from "../load.js";
import { normalizeHost } from "../net.js";

/** Normalized hosts with the index they were written at (diagnostics point at the original). */
export function hostList(rep: Reporter, e: Entry, hosts: string[], base: PathSeg[] = ["spec", "hosts"]): { host: string; i: number }[] {
  const out: { host: string; i: number }[] = [];
  const seen = new Map<string, number>();
  hosts.forEach((h, i) => {
    const r = normalizeHost(h);
    if (!r.ok) {
      rep.error("domain", `${formatPath([...base, i])}: ${JSON.stringify(h)} ${r.reason}`, e, [...base, i]);
      return;
    }
    if (seen.has(r.value)) {
      rep.warn("duplicate-host", `${formatPath([...base, i])}: ${r.value} is listed twice`, e, [...base, i]);
      return;
    }
    seen.set(r.value, i);
    out.push({ host: r.value, i });
  });
  return out;
}

export function coversHost(certHost: string, host: string): boolean {
  if (certHost === host) return true;
  if (certHost.startsWith("*.") && !host.startsWith("*.")) return host.split(".").slice(1).join(".") === certHost.slice(2);
  return false;
}
