// Concurrent CLI writers on one store file, as real processes: each edit is compare-and-set on the
// head and redone when another writer got there first, so every command that exits 0 is in the
// head revision and none is lost.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import type { Resource } from "../../src/model/schema.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { tempDir } from "../helpers/proc.js";

const bin = resolve("bin/hecate.js");

describe("concurrent CLI writers", () => {
  const dir = tempDir("hecate-concurrent-");
  const store = join(dir.path, "hecate.db");
  const env = {
    ...process.env,
    HECATE_STORE: store,
    HECATE_STORE_URL: "",
    HECATE_SECRET_KEY: randomBytes(32).toString("base64"),
    HECATE_FROM_SOURCE: "1",
    XDG_CONFIG_HOME: join(dir.path, "config"),
    XDG_STATE_HOME: join(dir.path, "state"),
    USER: "ci",
    NO_COLOR: "1",
  };
  after(() => dir.cleanup());

  const hecate = (args: string[]) =>
    new Promise<{ args: string[]; code: number | null; out: string }>((res, rej) => {
      const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      child.stderr.on("data", (b: Buffer) => (out += b.toString()));
      child.on("error", rej);
      child.on("exit", (code) => res({ args, code, out }));
    });
  const createArgs = (name: string, n: number) => ["create", "route", name, "--host", `${name}.example.com`, "--upstream", `10.0.0.${n}:80`, "--public"];
  const head = async () => {
    const s = await openSqliteStore({ path: store });
    try {
      const h = await s.head();
      return { seq: h?.seq ?? 0, routes: new Map((h?.resources ?? []).filter((r) => r.kind === "Route").map((r) => [r.metadata.name, r] as [string, Resource])) };
    } finally {
      await s.close();
    }
  };
  const upstream = (r: Resource | undefined) => (r?.spec as { upstreams?: { address: string }[] } | undefined)?.upstreams?.[0]?.address;

  it("ten concurrent `create route` processes: every one that exits 0 is in the head", async () => {
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => hecate(createArgs(`c${i}`, i + 1))));
    const ok = runs.filter((r) => r.code === 0);
    for (const r of runs.filter((x) => x.code !== 0)) assert.match(r.out, /another writer kept changing the head/, r.out); // the only acceptable failure
    const { seq, routes } = await head();
    for (const r of ok) assert.ok(routes.has(r.args[2]!), `${r.args[2]} exited 0 but is not in the head:\n${r.out}`);
    assert.equal(ok.length, 10, runs.map((r) => `${r.args[2]}: ${r.code} ${r.out}`).join("\n"));
    assert.equal(seq, 10, "one revision per command");
  });

  it("a mix of create, update and delete at once: none is lost", async () => {
    const runs = await Promise.all([
      ...[0, 1, 2, 3].map((i) => hecate(createArgs(`m${i}`, 100 + i))),
      ...[0, 1, 2].map((i) => hecate(["update", "route", `c${i}`, "--upstream", `10.9.9.${i}:80`])),
      ...[7, 8, 9].map((i) => hecate(["delete", "route", `c${i}`])),
    ]);
    for (const r of runs) assert.equal(r.code, 0, `${r.args.join(" ")}: ${r.out}`);
    const { routes } = await head();
    for (const i of [0, 1, 2, 3]) assert.equal(upstream(routes.get(`m${i}`)), `10.0.0.${100 + i}:80`, `created m${i}`);
    for (const i of [0, 1, 2]) assert.equal(upstream(routes.get(`c${i}`)), `10.9.9.${i}:80`, `updated c${i}`);
    for (const i of [7, 8, 9]) assert.equal(routes.has(`c${i}`), false, `deleted c${i}`);
    for (const i of [3, 4, 5, 6]) assert.equal(upstream(routes.get(`c${i}`)), `10.0.0.${i + 1}:80`, `untouched c${i}`);
    assert.equal(routes.size, 11);
  });
});
