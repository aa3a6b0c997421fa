// Every example (and so every preset) applied through the engine to real Caddy 2.6 and nginx:
// right after the apply the plan is empty. A phantom diff (two objects with one @id, a value
// Caddy or nginx writes back differently) shows here as a plan that never settles.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import { listPresets, loadPaths, type Resource } from "../../src/model/index.js";
import { streamPreset } from "../../src/model/presets.js";
import { providersFor } from "../../src/providers/index.js";
import type { SystemName } from "../../src/providers/provider.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { caddyHash } from "../caddy-traffic/harness.js";
import { freePort, tempDir } from "../helpers/proc.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { KEY } from "./setup.js";

// authentik and Hetzner DNS are not built: the AuthPolicies and records of the examples stay out.
const SYSTEMS: SystemName[] = ["caddy", "nginx"];

type Spec = Record<string, unknown>;

/** A loopback address of its own (any 127.x.y.z works on Linux), so fixed preset ports are free. */
const loopback = () => `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** A stream upstream's host becomes loopback when it is a name (nginx resolves names on load). */
function localUpstream(address: string): string {
  const m = /^(.*?)(:\d+)?$/.exec(address)!;
  return isIP(m[1]!) ? address : `127.0.0.1${m[2] ?? ""}`;
}

/**
 * The examples, pointed at this test's own Caddy and nginx: Settings take the test's admin
 * endpoint, listeners and nginx paths, and an ACME CA on a closed loopback port (no certificate is
 * ever requested from the Internet); streams listen on a private loopback address.
 */
async function forRealSystems(resources: Resource[], sys: RealSystems, acmeCa: string, logDir: string): Promise<Resource[]> {
  const addr = loopback();
  const out: Resource[] = [];
  for (const r of resources) {
    const spec = structuredClone(r.spec) as Spec;
    if (r.kind === "Settings") {
      const mine = sys.settings.spec as Spec;
      spec.caddy = { ...(spec.caddy as Spec), ...(mine.caddy as Spec) };
      // The split routes' access log goes where this test's Caddy may write it.
      if ((spec.caddy as Spec).accessLog) (spec.caddy as Spec).accessLog = join(logDir, "hecate-access.log");
      spec.nginx = mine.nginx;
      spec.acme = { ...(spec.acme as Spec), ca: acmeCa };
    }
    if (r.kind === "Stream") {
      const preset = typeof spec.preset === "string" ? streamPreset(spec.preset) : undefined;
      // A preset of several ports takes an address only; everything else gets a free port.
      spec.listen = preset && preset.ports.length > 1 ? addr : `${addr}:${await freePort()}`;
      spec.upstreams = (spec.upstreams as { address: string }[]).map((u) => ({ ...u, address: localUpstream(u.address) }));
    }
    out.push({ ...r, spec } as Resource);
  }
  return out;
}

describe("every example and preset on real Caddy and nginx", () => {
  let sys: RealSystems;
  let store: Store;
  let engine: Engine;
  let dir: ReturnType<typeof tempDir>;
  let resources: Resource[];

  before(async () => {
    // Caddy's local CA (tls internal) must not try to install its root into the system trust store.
    sys = await startRealSystems({ caddy: { config: { apps: { pki: { certificate_authorities: { local: { install_trust: false } } } } } } });
    dir = tempDir("hecate-examples-real-");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=legacy.example.com", "-keyout", join(dir.path, "k.pem"), "-out", join(dir.path, "c.pem")], { stdio: "ignore" });
    const secrets: Record<string, string> = {
      "secret:legacy-cert": readFileSync(join(dir.path, "c.pem"), "utf8"),
      "secret:legacy-key": readFileSync(join(dir.path, "k.pem"), "utf8"),
      "secret:wazuh-root-ca": readFileSync(join(dir.path, "c.pem"), "utf8"),
      "secret:metrics-password-hash": caddyHash("pw"),
    };
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    engine = createEngine({
      store,
      actor: "alice",
      providers: providersFor,
      secrets: { resolve: async (ref) => secrets[ref] ?? Promise.reject(new Error(`no test value for ${ref}`)) },
    });
    const { docs, diagnostics } = await loadPaths(["examples"]);
    assert.deepEqual(diagnostics, []);
    resources = await forRealSystems(docs.map((d) => d.resource as Resource), sys, `https://127.0.0.1:${await freePort()}/directory`, dir.path);
  });

  after(async () => {
    await sys?.stop();
    await store?.close();
    dir?.cleanup();
  });

  it("uses every preset", () => {
    for (const p of listPresets()) assert.ok(resources.some((r) => r.kind === p.kind && (r.spec as Spec).preset === p.name), `no ${p.kind} with preset ${p.name}`);
  });

  it("applies them all, then plans nothing", async () => {
    await engine.commit(resources, { message: "examples" });
    const res = await engine.apply({ systems: SYSTEMS });
    assert.equal(res.status, "succeeded", JSON.stringify(res.steps).slice(0, 2000) + JSON.stringify(res.diagnostics));
    for (let round = 0; round < 2; round++) {
      const plan = await engine.plan({ systems: SYSTEMS });
      const changes = plan.steps.flatMap((s) => s.changes.map((c) => `${s.system} ${c.action} ${c.kind} ${c.id} ${JSON.stringify(c.fields ?? []).slice(0, 300)}`));
      assert.deepEqual(changes, [], `phantom diff on round ${round}`);
      assert.equal((await engine.apply({ systems: SYSTEMS })).status, "no-op");
    }
  });

  it("adding an ACME issuer and a route only creates: existing objects keep their ids", async () => {
    const meta = (name: string) => ({ apiVersion: "hecate.io/v1", metadata: { name } });
    const added = [
      // "a@" sorts before the examples' issuer: a positional id would move that one.
      { ...meta("shop"), kind: "Certificate", spec: { hosts: ["shop.example.com"], issuer: "acme", acme: { email: "a@example.com" } } },
      { ...meta("shop"), kind: "Route", spec: { hosts: ["shop.example.com"], upstreams: [{ address: "127.0.0.1:9" }], public: true, tls: { certificate: "shop" }, ipFilter: { deny: ["203.0.113.7"] } } },
    ] as Resource[];
    await engine.commit([...resources, ...added], { message: "examples + shop" });
    const plan = await engine.plan({ systems: SYSTEMS });
    const changes = plan.steps.flatMap((s) => s.changes);
    // Besides the new objects, only those that list hosts (a bucket, the https redirect) change.
    const listsHosts = /^hecate-(http-)?(bucket-\d+|wildcards|https-redirect|outpost-|forward-auth-)/;
    const moved = changes.filter((c) => c.action === "delete" || (c.action === "update" && c.kind !== "server" && !listsHosts.test(c.id)));
    assert.deepEqual(moved.map((c) => `${c.action} ${c.kind} ${c.id}`), [], "existing objects keep their ids");
    assert.equal(changes.filter((c) => c.kind === "tls-policy").length, 1);
    assert.equal((await engine.apply({ systems: SYSTEMS })).status, "succeeded");
    assert.deepEqual((await engine.plan({ systems: SYSTEMS })).steps, []);
  });
});
