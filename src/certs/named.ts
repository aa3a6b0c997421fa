// A Certificate named as operators name it: by its name, or by one of its hosts when no
// Certificate has that name (`eos renew hecate cert *.example.com`). Exact host names only: a
// wildcard certificate is not found by a host it matches, so a word never picks a broader one.
import { HecateError } from "../diag.js";

interface Named {
  name: string;
  hosts: readonly string[];
}

/** The one certificate listing `host`; undefined when none does; an error naming them when several do. */
export function certificateByHost<T extends Named>(certs: readonly T[], host: string): T | undefined {
  const h = host.toLowerCase();
  const having = certs.filter((c) => c.hosts.some((x) => x.toLowerCase() === h));
  if (having.length > 1) throw new HecateError("ambiguous", `${having.length} certificates list ${host} (${having.map((c) => c.name).join(", ")}): name one of them`, { status: 409 });
  return having[0];
}

/** A SAN covers a host when equal, or a wildcard one label above it ("*.a.b" covers "x.a.b", not "a.b" or "y.x.a.b"). */
export function covers(san: string, host: string): boolean {
  const s = san.toLowerCase(), h = host.toLowerCase();
  if (s === h) return true;
  if (!s.startsWith("*.") || h.startsWith("*.")) return false;
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot + 1) === s.slice(2);
}

/** By name, else by host; a clear error when neither finds one (naming a wildcard that covers it). */
export function certificateNamed<T extends Named>(certs: readonly T[], word: string): T {
  const c = certs.find((x) => x.name === word) ?? certificateByHost(certs, word);
  if (c) return c;
  const wider = certs.filter((x) => x.hosts.some((h) => h.startsWith("*.") && covers(h, word)));
  const hint = wider.length ? `; ${wider.map((x) => `${x.name} (${x.hosts.join(", ")})`).join(", ")} covers it: name that one` : " (see `hecate list certs`)";
  throw new HecateError("not-found", `no Certificate named "${word}" or listing it as a host${hint}`, { status: 404 });
}
