// A dns-01 certificate as part of plan and apply (the certs provider): `hecate plan` shows it will
// be obtained, `hecate apply` obtains it from pebble through the Hetzner sandbox after DNS and
// before Caddy, and real Caddy serves it for two hosts, in one command; a second plan is empty.
// A failure after the certificate was obtained puts the held one back (the old one keeps
// serving); a failed obtain fails the apply with the ACME reason and leaves nothing half-applied.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { getIssued } from "../../src/certs/issued.js";
import { createEngine } from "../../src/engine/index.js";
import { reconcileLoop, type ReconcileLoopOptions } from "../../src/engine/reconcile.js";
import type { Plan } from "../../src/engine/types.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { sandbox, type Sandbox } from "../cli/helpers.js";
import { tlsGet } from "../helpers/pebble.js";
import { waitForPort } from "../helpers/proc.js";
import { startCertStack, type CertStack } from "./stack.js";

const TOKEN = "sandbox-token-for-cert-plan-tests";
process.env["HECATE_TEST_CERTPLAN_TOKEN"] = TOKEN;

describe("certificates in plan and apply: a new wildcard obtained by dns-01 and served by real Caddy in one apply", () => {
  let stack: CertStack;
  let sb: Sandbox;
  let dir: string;
  let root: string;
  const outputs: string[] = [];
  const hecate = async (args: string[]) => {
    const r = await sb.hecate(args);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const doc = (kind: string, name: string, spec: string) => `apiVersion: hecate.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
  const certificate = (hosts: string[]) => doc("Certificate", "wild", `  hosts: [${hosts.map((h) => `"${h}"`).join(", ")}]\n  issuer: acme\n  acme: {challenge: dns-01}\n`);
  const get = (host: string) => tlsGet(stack.httpsPort, host, root);

  before(async () => {
    stack = await startCertStack({ token: TOKEN, zones: [{ name: "example.com" }], backend: "wild-backend" });
    sb = sandbox();
    dir = `${sb.dir}/desired`;
    mkdirSync(dir);
    writeFileSync(
      `${dir}/settings.yaml`,
      doc(
        "Settings",
        "s",
        `  caddy: {admin: ["${stack.caddy.admin}"], listen: ["127.0.0.1:${stack.httpsPort}"], httpPort: ${stack.httpPort}, httpsPort: ${stack.httpsPort}}
  hetzner: {token: "env:HECATE_TEST_CERTPLAN_TOKEN", endpoint: "${stack.hz.url}"}
  dns: {nameservers: ["${stack.hz.dns.host}:${stack.hz.dns.port}"]}
  acme: {ca: "${stack.pebble.directory}", email: "ops@example.com", trustedRoots: ["${stack.pebble.apiCaFile}"]}
`,
      ),
    );
    writeFileSync(`${dir}/cert.yaml`, certificate(["*.example.com", "example.com"]));
    writeFileSync(`${dir}/record.yaml`, doc("DnsRecord", "apex", `  name: example.com\n  type: A\n  values: ["127.0.0.1"]\n`));
    for (const h of ["a", "b"]) {
      writeFileSync(`${dir}/${h}.yaml`, doc("Route", h, `  hosts: [${h}.example.com]\n  upstreams: [{address: "${stack.up.address}"}]\n  public: true\n  tls: {certificate: wild}\n`));
    }
  });
  after(async () => {
    await stack?.stop();
    sb?.cleanup();
  });

  it("plan shows the certificate to obtain, between the DNS record and Caddy", async () => {
    const plan = await hecate(["plan", dir]);
    assert.equal(plan.code, 0, plan.stderr + plan.stdout);
    assert.match(plan.stdout, /\+ create certificate wild {2}\(Certificate\/wild\) \(obtain by dns-01: \*\.example\.com, example\.com\)/, plan.stdout);
    const json = await hecate(["plan", dir, "--output", "json"]);
    const p = JSON.parse(json.stdout) as Plan;
    assert.deepEqual(p.steps.map((s) => s.system), ["dns", "certs", "caddy"], "DNS records -> certificate -> Caddy");
    assert.ok(!plan.stdout.includes("certificate-pending"), "Caddy's config names the certificate the apply obtains");
  });

  it("apply obtains the wildcard and Caddy serves it for a and b in the same command; the TXT rrset is gone", async () => {
    const applied = await hecate(["apply", dir, "--yes"]);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    await waitForPort(stack.httpsPort);
    root = await stack.pebble.issuingRoot();
    const store = await openSqliteStore({ path: sb.store });
    const held = await getIssued(store, "wild");
    await store.close();
    assert.deepEqual(held?.hosts, ["*.example.com", "example.com"]);
    assert.equal(held?.generation, 1);
    for (const host of ["a.example.com", "b.example.com"]) {
      const got = await get(host);
      assert.equal(got.status, 200, got.body);
      assert.equal(JSON.parse(got.body).name, "wild-backend");
      assert.equal(got.fingerprint, held!.fingerprint, `${host} is served the certificate the apply obtained`);
    }
    assert.ok(!stack.hz.rrsets("example.com").some((s) => s.type === "TXT"), "no challenge TXT rrset left");
    assert.ok(stack.hz.rrsets("example.com").some((s) => s.type === "A" && s.name === "@"), "the DNS record was written");
  });

  it("a second plan is empty", async () => {
    const plan = await hecate(["plan", dir]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /No changes/);
  });

  it("a renewal due, then Caddy failing: undo puts the held certificate back and the old one keeps serving", async () => {
    const store = await openSqliteStore({ path: sb.store });
    try {
      const held = (await getIssued(store, "wild"))!;
      const key = await store.getSecret("certificate:wild:key");
      const engine = createEngine({ store, actor: "t", stepTimeoutMs: 60_000 });
      const late = Date.parse(held.notBefore) + ((Date.parse(held.notAfter) - Date.parse(held.notBefore)) * 3) / 4;
      const plan = await engine.plan({ now: late });
      const certs = plan.steps.find((s) => s.system === "certs");
      assert.equal(certs?.changes[0]?.note?.startsWith("due for renewal"), true, JSON.stringify(plan.steps));
      let obtained: string | undefined;
      const result = await engine.apply(
        { now: late },
        {
          now: late,
          onEvent: async (e) => {
            if (e.type === "change.done" && e.system === "certs") obtained = (await getIssued(store, "wild"))?.fingerprint;
            if (e.type === "step.start" && e.system === "caddy") throw new Error("injected: Caddy refused");
          },
        },
      );
      assert.equal(result.status, "rolled-back", JSON.stringify(result.steps));
      assert.ok(obtained && obtained !== held.fingerprint, "a new certificate was obtained before Caddy's step");
      const now = (await getIssued(store, "wild"))!;
      assert.equal(now.fingerprint, held.fingerprint, "the previously held certificate is back");
      assert.equal(now.generation, held.generation);
      assert.equal(await store.getSecret("certificate:wild:key"), key, "with its own key");
      assert.equal((await get("a.example.com")).fingerprint, held.fingerprint, "and Caddy serves it");
      const journal = await store.readJournal(result.applyId);
      assert.ok(journal.some((e) => e.event === "undo.done" && e.system === "certs"), "the obtain was undone from the journal");
    } finally {
      await store.close();
    }
  });

  it("a failed obtain (pebble unreachable) fails the apply with the ACME reason; nothing is half-applied and the old certificate serves", async () => {
    const store = await openSqliteStore({ path: sb.store });
    const held = (await getIssued(store, "wild"))!;
    await store.close();
    await stack.pebble.proc.stop(); // unreachable; its files stay until after()
    writeFileSync(`${dir}/cert.yaml`, certificate(["*.example.com"]));
    writeFileSync(`${dir}/record2.yaml`, doc("DnsRecord", "www", `  name: www.example.com\n  type: A\n  values: ["127.0.0.1"]\n`));
    const plan = await hecate(["plan", dir]);
    assert.match(plan.stdout, /~ update certificate wild {2}\(Certificate\/wild\) \(obtain by dns-01 again, hosts changed: \*\.example\.com, example\.com -> \*\.example\.com\)/, plan.stdout);
    const applied = await hecate(["apply", dir, "--yes"]);
    assert.notEqual(applied.code, 0, applied.stdout);
    const said = applied.stdout + applied.stderr;
    assert.match(said, /certificate wild: ACME server https:\/\/127\.0\.0\.1:\d+\/dir cannot be reached: connect ECONNREFUSED/, said);
    assert.match(said, /keeps serving/, said);
    assert.match(said, /rolled back|rolled-back/i, said);
    assert.ok(!stack.hz.rrsets("example.com").some((s) => s.name === "www"), "the DNS record written before the failed obtain was undone");
    const after1 = await openSqliteStore({ path: sb.store });
    const now = (await getIssued(after1, "wild"))!;
    await after1.close();
    assert.equal(now.fingerprint, held.fingerprint);
    assert.ok(now.lastError?.message.includes("cannot be reached"), "list certs says why");
    assert.equal((await get("b.example.com")).fingerprint, held.fingerprint, "the old certificate keeps serving");
  });

  it("the reconcile loop: a due renewal that fails is not a failed round; the rest is still put back and the old certificate serves", async () => {
    const store = await openSqliteStore({ path: sb.store });
    try {
      const held = (await getIssued(store, "wild"))!;
      const engine = createEngine({ store, actor: "reconciler", stepTimeoutMs: 60_000 });
      const late = Date.parse(held.notBefore) + ((Date.parse(held.notAfter) - Date.parse(held.notBefore)) * 3) / 4;
      // Someone removes route a from Caddy by hand: the round must put it back despite the failed renewal.
      const removed = await fetch(`${stack.caddy.admin}/id/hecate-route-a`, { method: "DELETE" });
      assert.equal(removed.status, 200, await removed.text());
      const ac = new AbortController();
      const rounds: Parameters<NonNullable<ReconcileLoopOptions["onRound"]>>[0][] = [];
      await reconcileLoop(
        { store, actor: "reconciler", reconcile: (o) => engine.reconcile({ ...o, now: late }) },
        { intervalMs: 100, signal: ac.signal, onRound: (r) => { rounds.push(r); ac.abort(); } },
      );
      const [round] = rounds;
      assert.equal(round?.status, "ok", JSON.stringify(round));
      assert.deepEqual(round?.certificates?.failed.map((f) => f.name), ["wild"]);
      assert.match(round!.certificates!.failed[0]!.error, /cannot be reached/);
      assert.equal(await store.getSetting("reconcile.failures"), undefined, "not counted toward the breaker");
      assert.equal((await getIssued(store, "wild"))!.fingerprint, held.fingerprint);
      assert.equal(round?.result?.status, "succeeded", "the round's apply without certificates put route a back");
      const back = await get("a.example.com");
      assert.equal(back.status, 200);
      assert.equal(back.fingerprint, held.fingerprint);
    } finally {
      await store.close();
    }
  });

  it("the key is in no plan, journal, audit or output in clear", async () => {
    const store = await openSqliteStore({ path: sb.store });
    try {
      const key = (await store.getSecret("certificate:wild:key"))!;
      const body = key.split("\n").filter((l) => l && !l.startsWith("-----"))[0]!;
      const dump = JSON.stringify(await store.dump());
      assert.ok(!dump.includes(body), "journal, audit, settings: the key only sealed");
      for (const o of outputs) assert.ok(!o.includes(body));
      assert.ok(!stack.caddy.proc.output().includes(body));
    } finally {
      await store.close();
    }
  });
});
