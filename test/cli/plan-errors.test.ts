// plan exit codes when the plan itself carries errors, and revision references through one resolver.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/index.js";
import { sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
let conf: string;

const dns = (name: string) => `apiVersion: hecate.io/v1
kind: DnsRecord
metadata:
  name: ${name}
spec:
  name: ${name}.example.com
  type: A
  values: ["203.0.113.10"]
`;

before(() => {
  sb = sandbox();
  conf = `${sb.dir}/conf`;
  mkdirSync(conf);
  writeFileSync(`${conf}/dns.yaml`, dns("one"));
});
after(() => sb?.cleanup());

describe("plan", () => {
  it("a plan that prints an error exits 1, with and without --detailed-exitcode, and saves nothing", async () => {
    for (const extra of [[], ["--detailed-exitcode"], ["-o", "json"]]) {
      const p = await sb.hecate(["plan", conf, ...extra]);
      assert.equal(p.code, 1, `${extra.join(" ")}: ${p.stdout}${p.stderr}`);
      assert.match(p.stdout, /dns object cannot be applied: DNS records need a Hetzner Cloud API token/);
    }
    const saved = await sb.hecate(["plan", conf, "--out", `${sb.dir}/x.plan`]);
    assert.equal(saved.code, 1);
    assert.doesNotMatch(saved.stdout, /saved plan/);
  });

  it("apply refused for a system without its settings says so once, and stores nothing", async () => {
    const a = await sb.hecate(["apply", conf, "--yes"]);
    assert.equal(a.code, 1);
    assert.equal(a.stderr.match(/dns object cannot be applied: DNS records need a Hetzner Cloud API token/g)?.length, 1, a.stderr);
    const history = await sb.hecate(["history"]);
    assert.doesNotMatch(history.stdout, /from .*conf/, "the refused apply stored no revision");
  });
});

describe("revision references", () => {
  it("head, applied, #N, N and a hash prefix name the same revisions in plan, render, show and diff", async () => {
    const c1 = await sb.hecate(["create", "dns", "three.example.com", "--type", "A", "--value", "203.0.113.13"]);
    assert.equal(c1.code, 0, c1.stderr);
    const none = await sb.hecate(["plan", "-r", "applied"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error: nothing has been applied yet/);

    const store = await openStore({ path: sb.store, env: process.env });
    const first = (await store.head())!;
    await store.setApplied(first.hash);
    await store.close();
    const c2 = await sb.hecate(["create", "dns", "two.example.com", "--type", "A", "--value", "203.0.113.11"]);
    assert.equal(c2.code, 0, c2.stderr);

    for (const ref of ["applied", `#${first.seq}`, String(first.seq), first.hash.slice(0, 8), "APPLIED"]) {
      const p = await sb.hecate(["plan", "-r", ref, "-o", "json"]);
      assert.equal(JSON.parse(p.stdout).revision, first.hash, `plan -r ${ref}: ${p.stdout}${p.stderr}`);
      const s = await sb.hecate(["show", ref, "-o", "json"]);
      assert.equal(JSON.parse(s.stdout).hash, first.hash, `show ${ref}`);
    }
    const head = await sb.hecate(["plan", "-r", "head", "-o", "json"]);
    assert.notEqual(JSON.parse(head.stdout).revision, first.hash);
    const d = await sb.hecate(["diff", "applied", "head"]);
    assert.match(d.stdout, /\+\+\+ b\/DnsRecord\/two\.example\.com/);
    const bad = await sb.hecate(["plan", "-r", "#99"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: no revision "#99" \(refer to one as head, applied, #N, N or a hash prefix/);
  });
});
