// Users and groups to start with, from a YAML file; every mistake reported as file:line:col.

import { readFileSync } from "node:fs";
import { isMap, isSeq, LineCounter, parseDocument, type Document } from "yaml";

export interface SeedUser {
  username: string;
  password: string;
  name?: string;
  email?: string;
  groups: string[];
  mfa?: { static: string[] };
}
export interface SeedGroup {
  name: string;
  parents: string[];
  is_superuser: boolean;
}
export interface Seed {
  users: SeedUser[];
  groups: SeedGroup[];
}

export class SeedError extends Error {
  constructor(readonly diagnostics: string[]) {
    super(diagnostics.join("\n"));
  }
}

type Path = (string | number)[];

/** Checks plain seed data; `where(path)` names the place of a problem. */
export function checkSeed(data: unknown, where: (path: Path) => string = (p) => p.join(".") || "(top)"): Seed {
  const problems: string[] = [];
  const fail = (path: Path, msg: string): void => void problems.push(`${where(path)}: ${msg}`);
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const strings = (v: unknown, path: Path): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return fail(path, "must be a list of strings"), [];
    return v.flatMap((s, i) => (typeof s === "string" && s !== "" ? [s] : (fail([...path, i], "must be a non-empty string"), [])));
  };
  const unknownKeys = (o: Record<string, unknown>, allowed: string[], path: Path): void => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) fail([...path, k], `unknown key "${k}" (allowed: ${allowed.join(", ")})`);
  };
  const seed: Seed = { users: [], groups: [] };
  if (data === null || data === undefined) return seed;
  if (!isObj(data)) throw new SeedError([`${where([])}: the seed must be a mapping with users and groups`]);
  unknownKeys(data, ["users", "groups"], []);
  const groups = data.groups ?? [];
  if (!Array.isArray(groups)) fail(["groups"], "must be a list");
  else {
    groups.forEach((g, i) => {
      if (typeof g === "string" && g !== "") return void seed.groups.push({ name: g, parents: [], is_superuser: false });
      if (!isObj(g) || typeof g.name !== "string" || g.name === "") return fail(["groups", i], "must be a group name or {name, parents?, is_superuser?}");
      unknownKeys(g, ["name", "parents", "is_superuser"], ["groups", i]);
      if (g.is_superuser !== undefined && typeof g.is_superuser !== "boolean") fail(["groups", i, "is_superuser"], "must be true or false");
      seed.groups.push({ name: g.name, parents: strings(g.parents, ["groups", i, "parents"]), is_superuser: g.is_superuser === true });
    });
  }
  const names = new Set<string>();
  seed.groups.forEach((g, i) => {
    if (names.has(g.name)) fail(["groups", i], `group "${g.name}" is declared twice`);
    names.add(g.name);
  });
  seed.groups.forEach((g, i) => g.parents.forEach((p, j) => names.has(p) || fail(["groups", i, "parents", j], `unknown group "${p}"`)));
  const users = data.users ?? [];
  if (!Array.isArray(users)) fail(["users"], "must be a list");
  else {
    const usernames = new Set<string>();
    users.forEach((u, i) => {
      const at: Path = ["users", i];
      if (!isObj(u)) return fail(at, "must be a mapping {username, password, name?, email?, groups?, mfa?}");
      unknownKeys(u, ["username", "password", "name", "email", "groups", "mfa"], at);
      if (typeof u.username !== "string" || !/^[\w.@+-]{1,150}$/.test(u.username)) return fail([...at, "username"], "must be 1-150 letters, digits and @/./+/-/_");
      if (usernames.has(u.username)) fail([...at, "username"], `user "${u.username}" is declared twice`);
      usernames.add(u.username);
      if (typeof u.password !== "string" || u.password === "") fail([...at, "password"], "must be a non-empty string");
      for (const k of ["name", "email"] as const) if (u[k] !== undefined && typeof u[k] !== "string") fail([...at, k], "must be a string");
      const userGroups = strings(u.groups, [...at, "groups"]);
      userGroups.forEach((g, j) => names.has(g) || fail([...at, "groups", j], `unknown group "${g}" (declare it under groups)`));
      let mfa: SeedUser["mfa"];
      if (u.mfa !== undefined) {
        if (!isObj(u.mfa)) fail([...at, "mfa"], "must be {static: [codes]}");
        else {
          unknownKeys(u.mfa, ["static"], [...at, "mfa"]);
          const codes = Array.isArray(u.mfa.static) ? u.mfa.static.map(String) : (fail([...at, "mfa", "static"], "must be a list of codes"), []);
          codes.forEach((c, j) => /^[A-Za-z0-9]{6,32}$/.test(c) || fail([...at, "mfa", "static", j], "a static code is 6-32 letters or digits"));
          mfa = { static: codes };
        }
      }
      seed.users.push({
        username: u.username,
        password: String(u.password),
        ...(typeof u.name === "string" ? { name: u.name } : {}),
        ...(typeof u.email === "string" ? { email: u.email } : {}),
        groups: userGroups,
        ...(mfa ? { mfa } : {}),
      });
    });
  }
  if (problems.length) throw new SeedError(problems);
  return seed;
}

function locate(file: string, doc: Document, lc: LineCounter, path: Path): string {
  for (let p = path; ; p = p.slice(0, -1)) {
    const node = p.length ? doc.getIn(p, true) : doc.contents;
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range && (isMap(node) || isSeq(node) || node)) {
      const pos = lc.linePos(range[0]);
      return `${file}:${pos.line}:${pos.col}`;
    }
    if (p.length === 0) return `${file}:1:1`;
  }
}

/** Reads and checks a seed file; throws SeedError with `file:line:col: message` lines. */
export function loadSeed(path: string): Seed {
  const text = readFileSync(path, "utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    throw new SeedError(doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return `${path}:${pos.line}:${pos.col}: ${e.message.split("\n")[0] ?? e.message}`;
    }));
  }
  return checkSeed(doc.toJS(), (p) => locate(path, doc, lc, p));
}
