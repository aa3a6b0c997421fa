// Labels as the Hetzner Cloud API checks them, and label selectors (k==v, k!=v, k, !k, k in (…), k notin (…)).
import { ApiError, type FieldErrors } from "./errors.js";

export type Labels = Record<string, string>;

// Kubernetes-like: alphanumeric at both ends, - _ . inside, at most 63 characters.
const NAME = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
const PREFIX = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

export function labelKeyProblem(key: string): string | null {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && (prefix.length > 253 || !PREFIX.test(prefix))) return `key ${JSON.stringify(key)} has an invalid prefix`;
  if (prefix === "hetzner.cloud" || prefix?.endsWith(".hetzner.cloud")) return `key ${JSON.stringify(key)} uses the reserved prefix hetzner.cloud/`;
  if (!NAME.test(name)) return `key ${JSON.stringify(key)} must be at most 63 alphanumeric characters, with - _ . inside`;
  return null;
}

export function labelValueProblem(value: string): string | null {
  return value === "" || NAME.test(value) ? null : `value ${JSON.stringify(value)} must be empty or at most 63 alphanumeric characters, with - _ . inside`;
}

/** Check a labels field of a body; returns the labels when valid (errors are collected under `field`). */
export function checkLabels(raw: unknown, field: string, errors: FieldErrors): Labels {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    errors.add(field, "must be an object of string keys and values");
    return {};
  }
  const out: Labels = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") {
      errors.add(field, `value of ${JSON.stringify(k)} must be a string`);
      continue;
    }
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem) errors.add(field, problem);
    else out[k] = v;
  }
  return out;
}

type Term =
  | { op: "exists" | "absent"; key: string }
  | { op: "eq" | "ne"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] };

export type Selector = Term[];

const KEY = String.raw`[a-zA-Z0-9._/-]+`;
const VAL = String.raw`[a-zA-Z0-9._-]*`;
const TERMS: [RegExp, (m: RegExpExecArray) => Term][] = [
  [new RegExp(`^!(${KEY})$`), (m) => ({ op: "absent", key: m[1]! })],
  [new RegExp(`^(${KEY})\\s*(==|=)\\s*(${VAL})$`), (m) => ({ op: "eq", key: m[1]!, value: m[3]! })],
  [new RegExp(`^(${KEY})\\s*!=\\s*(${VAL})$`), (m) => ({ op: "ne", key: m[1]!, value: m[2]! })],
  [new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`), (m) => ({
    op: m[2] === "in" ? "in" : "notin",
    key: m[1]!,
    values: m[3]!.split(",").map((v) => v.trim()),
  })],
  [new RegExp(`^(${KEY})$`), (m) => ({ op: "exists", key: m[1]! })],
];

/** Parse a selector; comma means AND (commas inside parentheses belong to a set). Throws 400 invalid_input. */
export function parseSelector(text: string): Selector {
  const parts: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((raw) => {
    const part = raw.trim();
    for (const [re, make] of TERMS) {
      const m = re.exec(part);
      if (m) {
        const term = make(m);
        if (term.op === "in" || term.op === "notin") {
          if (term.values.some((v) => !new RegExp(`^${VAL}$`).test(v) || v === "")) break;
        }
        return term;
      }
    }
    throw new ApiError(400, "invalid_input", `label_selector: cannot parse ${JSON.stringify(part)}`, {
      fields: [{ name: "label_selector", messages: [`cannot parse ${JSON.stringify(part)}`] }],
    });
  });
}

export function matches(selector: Selector, labels: Labels): boolean {
  return selector.every((t) => {
    const has = Object.hasOwn(labels, t.key);
    const v = labels[t.key];
    switch (t.op) {
      case "exists": return has;
      case "absent": return !has;
      case "eq": return has && v === t.value;
      case "ne": return !has || v !== t.value;
      case "in": return has && t.values.includes(v!);
      case "notin": return !has || !t.values.includes(v!);
    }
  });
}
