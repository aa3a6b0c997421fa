// The sandbox Hetzner Cloud DNS API over real HTTP: zones, rrsets, validation, pagination, selectors, zone files.
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { startHetznerSandbox, type HetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { client, TOKEN, waitAction } from "./hetzner-client.js";

describe("hetzner sandbox API", () => {
  let sb: HetznerSandbox;
  let call: ReturnType<typeof client>;
  before(async () => {
    sb = await startHetznerSandbox({
      token: TOKEN,
      actionDelayMs: 0,
      rateLimit: { limit: 10000, refillPerSecond: 1000 },
      zones: [{ name: "example.com", rrsets: [{ name: "www", type: "A", records: ["192.0.2.1"] }] }],
    });
    call = client(sb);
  });
  after(() => sb.close());

  it("refuses a missing or wrong token with 401 unauthorized", async () => {
    const r = await client(sb, "wrong")("GET", "/zones");
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, "unauthorized");
    const bare = await fetch(`${sb.url}/zones`);
    assert.equal(bare.status, 401);
  });

  it("creates zones only for registrable domains (Public Suffix List)", async () => {
    const ok = await call("POST", "/zones", { name: "example.net.au", mode: "primary", ttl: 600, labels: { env: "test" } });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.zone.name, "example.net.au");
    assert.equal(ok.body.zone.ttl, 600);
    assert.equal(typeof ok.body.zone.id, "number");
    assert.deepEqual(ok.body.zone.authoritative_nameservers.assigned.length, 3);
    assert.equal(ok.body.action.command, "create_zone");
    for (const name of ["net.au", "app.example.net.au", "Example.org", "example.org.", "bücher.de", "example.invalid"]) {
      const r = await call("POST", "/zones", { name, mode: "primary" });
      assert.equal(r.status, 422, name);
      assert.equal(r.body.error.code, "invalid_input");
      assert.equal(r.body.error.details.fields[0].name, "name");
    }
    const dup = await call("POST", "/zones", { name: "example.net.au", mode: "primary" });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "uniqueness_error");
  });

  it("reports every bad field of a body at once, and malformed JSON as 400 json_error", async () => {
    const r = await call("POST", "/zones", { name: "x", mode: "tertiary", ttl: 5, labels: { "hetzner.cloud/x": "y" }, extra: 1 });
    assert.equal(r.status, 422);
    const names = r.body.error.details.fields.map((f: { name: string }) => f.name).sort();
    assert.deepEqual(names, ["extra", "labels", "mode", "name", "ttl"]);
    const bad = await call("POST", "/zones", "{not json");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "json_error");
  });

  it("gets a zone by id or name, 404 for unknown, and updates labels only", async () => {
    const byName = await call("GET", "/zones/example.com");
    const byId = await call("GET", `/zones/${byName.body.zone.id}`);
    assert.deepEqual(byId.body.zone, byName.body.zone);
    assert.equal((await call("GET", "/zones/nope.com")).status, 404);
    const put = await call("PUT", "/zones/example.com", { labels: { team: "edge" } });
    assert.deepEqual(put.body.zone.labels, { team: "edge" });
    const ttl = await call("PUT", "/zones/example.com", { labels: {}, ttl: 60 });
    assert.equal(ttl.status, 422);
    assert.equal(ttl.body.error.details.fields[0].name, "ttl");
  });

  it("creates an rrset: 201 {rrset, action}; 409 when it exists; 404 for an unknown zone", async () => {
    const body = { name: "api", type: "A", ttl: 300, records: [{ value: "192.0.2.10", comment: "web" }], labels: { "hecate.io/owner": "x" } };
    const r = await call("POST", "/zones/example.com/rrsets", body);
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.rrset, { id: "api/A", name: "api", type: "A", ttl: 300, labels: { "hecate.io/owner": "x" }, protection: { change: false }, records: [{ value: "192.0.2.10", comment: "web" }], zone: r.body.rrset.zone });
    assert.equal(r.body.action.command, "create_rrset");
    assert.equal((await call("POST", "/zones/example.com/rrsets", body)).status, 409);
    assert.equal((await call("POST", "/zones/nope.com/rrsets", body)).status, 404);
    assert.equal((await call("GET", "/zones/example.com/rrsets/api/A")).body.rrset.ttl, 300);
    assert.equal((await call("GET", "/zones/example.com/rrsets/api/AAAA")).status, 404);
  });

  it("validates names and values per type with field errors", async () => {
    const cases: [unknown, string][] = [
      [{ name: "WWW", type: "A", records: [{ value: "192.0.2.1" }] }, "name"],
      [{ name: "www.example.com", type: "A", records: [{ value: "192.0.2.1" }] }, "name"],
      [{ name: "ä", type: "A", records: [{ value: "192.0.2.1" }] }, "name"],
      [{ name: "a1", type: "A", records: [{ value: "300.1.1.1" }] }, "records[0].value"],
      [{ name: "a2", type: "AAAA", records: [{ value: "192.0.2.1" }] }, "records[0].value"],
      [{ name: "a3", type: "MX", records: [{ value: "mail.example.com." }] }, "records[0].value"],
      [{ name: "a4", type: "SRV", records: [{ value: "10 5 sip.example.com." }] }, "records[0].value"],
      [{ name: "a5", type: "CAA", records: [{ value: "0 issue letsencrypt.org" }] }, "records[0].value"],
      [{ name: "a6", type: "A", records: [] }, "records"],
      [{ name: "a7", type: "A", records: [{ value: "192.0.2.1" }, { value: "192.0.2.1" }] }, "records[1].value"],
      [{ name: "a8", type: "SPF", records: [{ value: '"v=spf1"' }] }, "type"],
      [{ name: "a9", type: "CNAME", records: [{ value: "a.example.com." }, { value: "b.example.com." }] }, "records"],
      [{ name: "b1", type: "A", ttl: 10, records: [{ value: "192.0.2.1" }] }, "ttl"],
    ];
    for (const [body, field] of cases) {
      const r = await call("POST", "/zones/example.com/rrsets", body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, "invalid_input");
      assert.ok(r.body.error.details.fields.some((f: { name: string }) => f.name === field), `${JSON.stringify(body)} → ${JSON.stringify(r.body.error.details)}`);
    }
    for (const [type, value] of [["MX", "10 mail"], ["MX", "10 mail.example.com."], ["SRV", "10 5 5060 sip.example.com."], ["CAA", '0 issue "letsencrypt.org"'], ["NS", "ns1.other.net."], ["AAAA", "2001:db8::1"]] as const) {
      const r = await call("POST", "/zones/example.com/rrsets", { name: `ok-${type.toLowerCase()}-${value.length}`, type, records: [{ value }] });
      assert.equal(r.status, 201, `${type} ${value}: ${JSON.stringify(r.body)}`);
    }
  });

  it("applies the TXT quoting and 255-character rules", async () => {
    const long = "x".repeat(256);
    const bad = [`"${long}"`, "unquoted", '"a" b', '"a""b"', '"in"ner"', '"bad \\n escape"'];
    for (const value of bad) {
      const r = await call("POST", "/zones/example.com/rrsets", { name: "txt-bad", type: "TXT", records: [{ value }] });
      assert.equal(r.status, 422, value);
    }
    const good = [`"${"x".repeat(255)}" "${"y".repeat(10)}"`, '"say \\"hi\\""', '""', '"v=spf1 -all"'];
    const r = await call("POST", "/zones/example.com/rrsets", { name: "txt-good", type: "TXT", records: good.map((value) => ({ value })) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });

  it("keeps a CNAME alone at its name, and the SOA and apex NS managed by the zone", async () => {
    assert.equal((await call("POST", "/zones/example.com/rrsets", { name: "alias", type: "CNAME", records: [{ value: "www" }] })).status, 201);
    const beside = await call("POST", "/zones/example.com/rrsets", { name: "alias", type: "TXT", records: [{ value: '"x"' }] });
    assert.equal(beside.status, 422);
    const onA = await call("POST", "/zones/example.com/rrsets", { name: "www", type: "CNAME", records: [{ value: "alias" }] });
    assert.equal(onA.status, 422);
    const apex = await call("POST", "/zones/example.com/rrsets", { name: "@", type: "CNAME", records: [{ value: "www" }] });
    assert.equal(apex.status, 422);
    const soa = await call("POST", "/zones/example.com/rrsets", { name: "@", type: "SOA", records: [{ value: "a. b. 1 2 3 4 5" }] });
    assert.equal(soa.status, 409);
    const ns = await call("POST", "/zones/example.com/rrsets", { name: "@", type: "NS", records: [{ value: "ns.other.net." }] });
    assert.equal(ns.status, 409);
    assert.equal((await call("DELETE", "/zones/example.com/rrsets/@/SOA")).status, 422);
    assert.equal((await call("DELETE", "/zones/example.com/rrsets/@/NS")).status, 422);
  });

  it("set/add/remove records and change_ttl as actions, with their error cases", async () => {
    const base = "/zones/example.com/rrsets/multi/A/actions";
    assert.equal((await call("POST", `${base}/set_records`, { records: [{ value: "192.0.2.1" }] })).status, 404);
    const add = await call("POST", `${base}/add_records`, { records: [{ value: "192.0.2.1" }], ttl: 120 });
    assert.equal(add.status, 201);
    assert.equal(add.body.action.command, "add_rrset_records");
    const dup = await call("POST", `${base}/add_records`, { records: [{ value: "192.0.2.1" }] });
    assert.equal(dup.status, 422);
    assert.match(dup.body.error.message, /duplicate value/);
    assert.equal((await call("POST", `${base}/add_records`, { records: [{ value: "192.0.2.2" }] })).status, 201);
    const got = await call("GET", "/zones/example.com/rrsets/multi/A");
    assert.deepEqual(got.body.rrset.records.map((r: { value: string }) => r.value), ["192.0.2.1", "192.0.2.2"]);
    assert.equal(got.body.rrset.ttl, 120);
    assert.equal((await call("POST", `${base}/set_records`, { records: [{ value: "192.0.2.3" }] })).status, 201);
    assert.equal((await call("POST", `${base}/change_ttl`, { ttl: null })).status, 201);
    assert.equal((await call("GET", "/zones/example.com/rrsets/multi/A")).body.rrset.ttl, null);
    assert.equal((await call("POST", `${base}/remove_records`, { records: [{ value: "192.0.2.9" }] })).status, 422);
    assert.equal((await call("POST", `${base}/remove_records`, { records: [{ value: "192.0.2.3" }] })).status, 201);
    assert.equal((await call("GET", "/zones/example.com/rrsets/multi/A")).status, 404, "an emptied rrset is deleted");
  });

  it("pages 250 rrsets 100 at a time with meta.pagination, default 25, and refuses per_page > 100", async () => {
    const z = await call("POST", "/zones", { name: "paging.de", mode: "primary" });
    assert.equal(z.status, 201);
    for (let i = 0; i < 248; i++) sb.store.createRrset("paging.de", { name: `h${String(i).padStart(3, "0")}`, type: "A", ttl: null, records: [{ value: "192.0.2.1", comment: "" }], labels: {} });
    // 248 + the SOA and apex NS the zone made itself.
    const seen = new Set<string>();
    let page: number | null = 1;
    const metas = [];
    while (page !== null) {
      const r = await call("GET", `/zones/paging.de/rrsets?per_page=100&page=${page}`);
      assert.equal(r.status, 200);
      for (const rr of r.body.rrsets) seen.add(rr.id);
      metas.push(r.body.meta.pagination);
      page = r.body.meta.pagination.next_page;
    }
    assert.equal(seen.size, 250);
    assert.deepEqual(metas[0], { page: 1, per_page: 100, previous_page: null, next_page: 2, last_page: 3, total_entries: 250 });
    assert.deepEqual(metas[2], { page: 3, per_page: 100, previous_page: 2, next_page: null, last_page: 3, total_entries: 250 });
    const dflt = await call("GET", "/zones/paging.de/rrsets");
    assert.equal(dflt.body.rrsets.length, 25);
    assert.equal(dflt.body.meta.pagination.last_page, 10);
    assert.equal((await call("GET", "/zones/paging.de/rrsets?per_page=101")).status, 422);
    assert.equal((await call("GET", "/zones?per_page=51")).status, 422);
    assert.equal((await call("GET", "/zones/paging.de/rrsets?page=0")).status, 422);
  });

  it("filters rrsets by name, repeated type and label selector", async () => {
    const z = "/zones/example.com/rrsets";
    const labels = [{ env: "prod", tier: "web" }, { env: "staging", tier: "web" }, { env: "prod" }, {}];
    for (const [i, l] of labels.entries()) {
      assert.equal((await call("POST", z, { name: `sel${i}`, type: "TXT", records: [{ value: `"${i}"` }], labels: l })).status, 201);
    }
    const names = async (q: string): Promise<string[]> => {
      const r = await call("GET", `${z}?${q}&per_page=100`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.rrsets.map((x: { name: string }) => x.name).filter((n: string) => n.startsWith("sel"));
    };
    const sel = (s: string): Promise<string[]> => names(`label_selector=${encodeURIComponent(s)}`);
    assert.deepEqual(await sel("env==prod"), ["sel0", "sel2"]);
    assert.deepEqual(await sel("env=prod,tier=web"), ["sel0"]);
    assert.deepEqual(await sel("env!=prod"), ["sel1", "sel3"]);
    assert.deepEqual(await sel("tier"), ["sel0", "sel1"]);
    assert.deepEqual(await sel("!env"), ["sel3"]);
    assert.deepEqual(await sel("env in (prod,staging),!tier"), ["sel2"]);
    assert.deepEqual(await sel("env notin (prod)"), ["sel1", "sel3"]);
    assert.deepEqual(await names("name=sel1"), ["sel1"]);
    const types = await call("GET", `${z}?type=A&type=CNAME&per_page=100`);
    assert.ok(types.body.rrsets.length > 0 && types.body.rrsets.every((r: { type: string }) => r.type === "A" || r.type === "CNAME"));
    const bad = await call("GET", `${z}?label_selector=${encodeURIComponent("env in prod")}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_input");
    const zones = await call("GET", `/zones?label_selector=${encodeURIComponent("team==edge")}`);
    assert.deepEqual(zones.body.zones.map((x: { name: string }) => x.name), ["example.com"]);
  });

  it("exports and imports BIND zone files", async () => {
    const z = await call("POST", "/zones", { name: "zonefile.org", mode: "primary" });
    const file = [
      "$ORIGIN zonefile.org.",
      "$TTL 3600",
      "@ IN SOA ns1.example. hostmaster.example. ( 1 7200 3600 1209600 300 )",
      "@ IN NS ns1.example.",
      "www 300 IN A 192.0.2.5 ; the web",
      "    300 IN A 192.0.2.6",
      'txt IN TXT "hello" "world"',
      "mail.zonefile.org. IN MX 10 mx.zonefile.org.",
    ].join("\n");
    const imp = await call("POST", "/zones/zonefile.org/actions/import_zonefile", { zonefile: file });
    assert.equal(imp.status, 201, JSON.stringify(imp.body));
    assert.equal((await waitAction(call, imp.body.action.id)).body.action.status, "success");
    const www = await call("GET", "/zones/zonefile.org/rrsets/www/A");
    assert.deepEqual(www.body.rrset.records, [{ value: "192.0.2.5", comment: "the web" }, { value: "192.0.2.6", comment: "" }]);
    const ns = await call("GET", "/zones/zonefile.org/rrsets/@/NS");
    assert.equal(ns.body.rrset.records[0].value, "hydrogen.ns.hetzner.com.", "the apex NS stays managed");
    const out = await call("GET", "/zones/zonefile.org/zonefile");
    assert.match(out.body.zonefile, /^\$ORIGIN zonefile\.org\.\n\$TTL 3600\n@\tIN\tSOA\t/);
    assert.match(out.body.zonefile, /\nwww\t300\tIN\tA\t192\.0\.2\.5 ; the web\n/);
    const bad = await call("POST", "/zones/zonefile.org/actions/import_zonefile", { zonefile: "www IN A 999.1.1.1\nother.net. IN A 192.0.2.1" });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error.details.fields[0].messages.map((m: string) => m.split(":")[0]), ["line 1", "line 2"]);
    assert.equal(z.status, 201);
  });

  it("deletes rrsets and zones (201 {action}); protection blocks deletion with 423 protected", async () => {
    assert.equal((await call("DELETE", "/zones/example.com/rrsets/ok-ns-14/NS")).status, 201);
    assert.equal((await call("GET", "/zones/example.com/rrsets/ok-ns-14/NS")).status, 404);
    await call("POST", "/zones", { name: "keep.it", mode: "primary" });
    assert.equal((await call("POST", "/zones/keep.it/actions/change_protection", { delete: true })).status, 201);
    const del = await call("DELETE", "/zones/keep.it");
    assert.equal(del.status, 423);
    assert.equal(del.body.error.code, "protected");
    await call("POST", "/zones/keep.it/actions/change_protection", { delete: false });
    assert.equal((await call("DELETE", "/zones/keep.it")).status, 201);
    assert.equal((await call("GET", "/zones/keep.it")).status, 404);
  });
});
