// DNS through the CLI against the Hetzner sandbox, as an operator runs it: plan and apply with
// their API call counts, `check dns` by real UDP queries to the sandbox nameserver, `list dns
// --zone`, `export dns`, `import dns` adopting records without changing them, and the eos spellings.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startHetznerSandbox, type HetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { sandbox, type Sandbox } from "./helpers.js";

describe("dns commands", () => {
  let sb: Sandbox;
  let hz: HetznerSandbox;
  let conf: string;

  before(async () => {
    sb = sandbox();
    hz = await startHetznerSandbox({
      token: "cli-test-token",
      actionDelayMs: 5,
      zones: [{ name: "example.com", rrsets: [{ name: "legacy", type: "A", records: ["198.51.100.7"] }, { name: "@", type: "TXT", records: ['"v=spf1 -all"'] }] }],
    });
    writeFileSync(`${sb.dir}/token`, "cli-test-token\n");
    conf = `${sb.dir}/conf`;
    mkdirSync(conf);
    writeFileSync(
      `${conf}/settings.yaml`,
      `apiVersion: hecate.io/v1
kind: Settings
metadata: {name: settings}
spec:
  hetzner: {endpoint: "${hz.url}", token: "file:${sb.dir}/token"}
  dns: {target: 203.0.113.10, nameservers: ["${hz.dns.host}:${hz.dns.port}"], resolver: "${hz.dns.host}:${hz.dns.port}"}
`,
    );
    writeFileSync(
      `${conf}/app.yaml`,
      `apiVersion: hecate.io/v1
kind: Route
metadata: {name: app}
spec:
  hosts: [app.example.com]
  upstreams: [{address: "127.0.0.1:8080"}]
  public: true
  dns: {}
`,
    );
  });
  after(async () => {
    await hz?.close();
    sb?.cleanup();
  });

  it("plan and apply say how many API calls they made; check dns sees the record on the nameserver", async () => {
    const p = await sb.hecate(["plan", conf, "--system", "dns"]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /\+ create rrset example\.com\/app\/A {2}\(Route\/app\)/);
    assert.match(p.stdout, /^dns: 2 API calls \(2 reads, 0 writes\); rate limit: \d+ of 3600 left$/m);
    const a = await sb.hecate(["apply", conf, "--system", "dns", "--yes"]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^dns: \d+ API calls \(\d+ reads, 1 write\)/m);

    const c = await sb.hecate(["check", "dns", "app.example.com"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /authoritative\s+A\s+203\.0\.113\.10\s+203\.0\.113\.10\s+yes/);
    assert.match(c.stdout, /app\.example\.com: live on every authoritative server/);
    const eos = await sb.eos(["test", "hecate", "dns", "app.example.com"]);
    assert.equal(eos.code, 0, eos.stderr);
    // The tool operators reach for sees it too.
    // Not spawnSync: the sandbox answers from this process's event loop.
    const dig = await promisify(execFile)("dig", [`@${hz.dns.host}`, "-p", String(hz.dns.port), "app.example.com", "A", "+norecurse", "+time=5", "+tries=1"], { encoding: "utf8" });
    assert.match(dig.stdout, /flags: qr aa;/, "an authoritative answer");
    assert.match(dig.stdout, /^app\.example\.com\.\s+300\s+IN\s+A\s+203\.0\.113\.10$/m);
  });

  it("list dns --zone shows who owns each record set; export dns prints the zone file", async () => {
    const l = await sb.hecate(["list", "dns", "--zone", "example.com"]);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /^app\.example\.com\s+A\s+300\s+203\.0\.113\.10\s+hecate$/m);
    assert.match(l.stdout, /^legacy\.example\.com\s+A\s+-\s+198\.51\.100\.7\s+not hecate$/m);
    const bad = await sb.hecate(["list", "dns", "--zone", "app.example.com"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--zone app\.example\.com is not a zone: Hetzner holds registrable domains only \(this name lives in example\.com\)/);
    const e = await sb.hecate(["export", "dns", "--zone", "example.com"]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /^\$ORIGIN example\.com\.$/m);
    assert.match(e.stdout, /^legacy\s.*A\s+198\.51\.100\.7$/m);
    writeFileSync(`${sb.dir}/example.com.zone`, e.stdout);
  });

  it("import dns adopts what exists: labels at Hetzner, DnsRecords in the store, no record changed, the next plan empty", async () => {
    const records = () => JSON.stringify(hz.rrsets("example.com").filter((s) => s.type !== "SOA").map((s) => [s.name, s.type, s.ttl, s.records]));
    const was = records();
    const dry = await sb.hecate(["import", "dns", "--zonefile", `${sb.dir}/example.com.zone`, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would adopt 2 record set\(s\) of example\.com/);
    assert.ok(!hz.rrsets("example.com").some((s) => s.name === "legacy" && s.labels["hecate.io/managed-by"]), "a dry run labels nothing");

    const r = await sb.hecate(["import", "dns", "--zonefile", `${sb.dir}/example.com.zone`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /adopted 2 record set\(s\) of example\.com .*1 already Hecate's, skipped 0/);
    assert.equal(records(), was, "adoption changed no record");
    assert.equal(hz.rrsets("example.com").find((s) => s.name === "legacy")?.labels["hecate.io/managed-by"], "hecate");
    const list = await sb.hecate(["list", "dns"]);
    assert.match(list.stdout, /legacy\.example\.com\s+legacy\.example\.com\s+A\s+198\.51\.100\.7\s+3600/);
    const p = await sb.hecate(["plan", "--system", "dns", "--detailed-exitcode"]);
    assert.equal(p.code, 0, p.stdout);
    assert.match(p.stdout, /No changes/);
  });

  it("eos create hecate dns TYPE NAME, then apply: the record answers on the nameserver", async () => {
    const c = await sb.eos(["create", "hecate", "dns", "TXT", "note.example.com", "--value", "hello \"world\""]);
    assert.equal(c.code, 0, c.stderr);
    const before = await sb.hecate(["check", "dns", "note.example.com"]);
    assert.equal(before.code, 1, "stored, not applied yet: not live");
    assert.match(before.stderr, /note\.example\.com is not live yet on 127\.0\.0\.1:\d+ \(TXT\); wait with --wait 2m, or check that apply ran/);
    const a = await sb.hecate(["apply", "--system", "dns", "--yes"]);
    assert.equal(a.code, 0, a.stderr);
    const check = await sb.hecate(["check", "dns", "note.example.com", "-o", "json"]);
    assert.equal(check.code, 0, check.stderr);
    const j = JSON.parse(check.stdout) as { live: boolean; answers: { values: string[] }[] };
    assert.equal(j.live, true);
    assert.deepEqual(j.answers[0]!.values, ['"hello \\"world\\""']);
    const u = await sb.eos(["update", "hecate", "dns", "note.example.com", "--value", "bye"]);
    assert.equal(u.code, 0, u.stderr);
  });
});
