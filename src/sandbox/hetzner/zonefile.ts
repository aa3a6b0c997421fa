// BIND zone file text: render a zone for GET …/zonefile, parse one for import_zonefile (errors name the line).
import { invalidInput } from "./errors.js";
import { rrsetNameProblems } from "./names.js";
import type { NewRRSet, RRSet, Zone } from "./store.js";
import { isRRSetType, valueProblem } from "./values.js";

export function renderZonefile(zone: Zone, rrsets: RRSet[]): string {
  const lines = [`$ORIGIN ${zone.name}.`, `$TTL ${zone.ttl}`];
  for (const r of rrsets) {
    for (const rec of r.records) {
      const ttl = r.ttl === null ? "" : `\t${r.ttl}`;
      const comment = rec.comment ? ` ; ${rec.comment}` : "";
      lines.push(`${r.name}${ttl}\tIN\t${r.type}\t${rec.value}${comment}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

interface Logical {
  line: number;
  /** The line started with blank space: the owner is the previous one. */
  continued: boolean;
  tokens: string[];
  comment: string;
}

/** Split into logical lines: comments removed (kept as text), parentheses joined, quoted strings one token. */
function logicalLines(text: string, errors: string[]): Logical[] {
  const out: Logical[] = [];
  let cur: Logical | null = null;
  let depth = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!cur) cur = { line: i + 1, continued: /^[ \t]/.test(raw), tokens: [], comment: "" };
    let j = 0;
    while (j < raw.length) {
      const ch = raw[j]!;
      if (ch === ";") {
        cur.comment = raw.slice(j + 1).trim();
        break;
      }
      if (ch === " " || ch === "\t") j++;
      else if (ch === "(") depth++, j++;
      else if (ch === ")") depth--, j++;
      else if (ch === '"') {
        let k = j + 1;
        while (k < raw.length && raw[k] !== '"') k += raw[k] === "\\" ? 2 : 1;
        if (k >= raw.length) errors.push(`line ${i + 1}: unterminated quoted string`);
        cur.tokens.push(raw.slice(j, k + 1));
        j = k + 1;
      } else {
        let k = j;
        while (k < raw.length && !" \t;()\"".includes(raw[k]!)) k++;
        cur.tokens.push(raw.slice(j, k));
        j = k;
      }
    }
    if (depth < 0) errors.push(`line ${i + 1}: unbalanced parenthesis`), (depth = 0);
    if (depth === 0) {
      if (cur.tokens.length > 0) out.push(cur);
      cur = null;
    }
  });
  if (depth > 0) errors.push("unbalanced parenthesis at end of file");
  return out;
}

/** Parse zone file text into rrsets of `zone`. Throws 422 invalid_input on field "zonefile" listing every bad line. */
export function parseZonefile(text: string, zone: Pick<Zone, "name" | "ttl">): NewRRSet[] {
  const errors: string[] = [];
  const sets = new Map<string, NewRRSet & { line: number }>();
  let defaultTtl: number | null = null;
  let owner: string | null = null;
  for (const l of logicalLines(text, errors)) {
    const t = [...l.tokens];
    const at = `line ${l.line}`;
    if (t[0] === "$ORIGIN") {
      if (t[1]?.toLowerCase() !== `${zone.name}.`) errors.push(`${at}: $ORIGIN must be ${zone.name}.`);
      continue;
    }
    if (t[0] === "$TTL") {
      const n = Number(t[1]);
      if (!Number.isInteger(n) || n < 60) errors.push(`${at}: $TTL must be an integer of at least 60`);
      else defaultTtl = n;
      continue;
    }
    if (t[0]?.startsWith("$")) {
      errors.push(`${at}: ${t[0]} is not supported`);
      continue;
    }
    if (!l.continued) owner = relativeName(t.shift()!, zone.name);
    if (owner === null) {
      errors.push(`${at}: the name is outside zone ${zone.name} or missing`);
      continue;
    }
    let ttl: number | null = null;
    while (t.length > 0 && (/^\d+$/.test(t[0]!) || t[0]!.toUpperCase() === "IN")) {
      const tok = t.shift()!;
      if (tok.toUpperCase() !== "IN") ttl = Number(tok);
    }
    const type = t.shift()?.toUpperCase() ?? "";
    const value = t.join(" ");
    const nameProblem = rrsetNameProblems(owner, zone.name)[0];
    if (nameProblem) errors.push(`${at}: name ${owner} ${nameProblem}`);
    else if (!isRRSetType(type)) errors.push(`${at}: type ${type || "(missing)"} is not supported`);
    else {
      const problem = valueProblem(type, value);
      if (problem) {
        errors.push(`${at}: ${type} value ${problem}`);
        continue;
      }
      ttl ??= defaultTtl !== null && defaultTtl !== zone.ttl ? defaultTtl : null;
      const key = `${owner}/${type}`;
      const set = sets.get(key);
      if (!set) sets.set(key, { line: l.line, name: owner, type, ttl, labels: {}, records: [{ value, comment: l.comment }] });
      else if (set.ttl !== ttl) errors.push(`${at}: TTL differs from the other ${key} records (line ${set.line})`);
      else if (set.records.some((r) => r.value === value)) errors.push(`${at}: duplicate value ${value}`);
      else set.records.push({ value, comment: l.comment });
    }
  }
  const all = [...sets.values()];
  for (const s of all) {
    if (s.type === "CNAME" && (s.name === "@" || s.records.length > 1 || all.some((o) => o.name === s.name && o.type !== "CNAME"))) {
      errors.push(`line ${s.line}: a CNAME at ${s.name} must be the only record there`);
    }
  }
  if (errors.length > 0) throw invalidInput([{ name: "zonefile", messages: errors }]);
  return all.map(({ line: _line, ...r }) => r);
}

function relativeName(name: string, zone: string): string | null {
  const n = name.toLowerCase();
  if (n === "@" || n === `${zone}.`) return "@";
  if (n.endsWith(`.${zone}.`)) return n.slice(0, -(zone.length + 2));
  if (n.endsWith(".")) return null;
  return n;
}
