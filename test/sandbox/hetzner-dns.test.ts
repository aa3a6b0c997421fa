// The sandbox's authoritative nameserver over real UDP and TCP: answers follow API changes at once.
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { startHetznerSandbox, type HetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { client, dnsQuery, dnsQueryTcp, TOKEN } from "./hetzner-client.js";

describe("hetzner sandbox nameserver", () => {
  let sb: HetznerSandbox;
  let call: ReturnType<typeof client>;
  before(async () => {
    sb = await startHetznerSandbox({
      token: TOKEN,
      actionDelayMs: 0,
      zones: [
        {
          name: "example.com",
          ttl: 600,
          rrsets: [
            { name: "www", type: "A", ttl: 300, records: ["192.0.2.1", "192.0.2.2"] },
            { name: "www", type: "AAAA", records: ["2001:db8::1"] },
            { name: "alias", type: "CNAME", records: ["www"] },
            { name: "@", type: "MX", records: ["10 mail", "20 mx.other.net."] },
            { name: "@", type: "TXT", records: ['"v=spf1 -all"', `"${"a".repeat(255)}" "tail"`] },
            { name: "@", type: "CAA", records: ['0 issue "letsencrypt.org"'] },
            { name: "_sip._tcp", type: "SRV", records: ["10 5 5060 sip"] },
            { name: "deep.empty", type: "A", records: ["192.0.2.9"] },
            { name: "*.wild", type: "A", records: ["192.0.2.7"] },
            { name: "sub", type: "NS", records: ["ns1.other.net."] },
          ],
        },
      ],
    });
    call = client(sb);
  });
  after(() => sb.close());

  it("answers A with AA, the rrset TTL, and the zone TTL when the rrset has none", async () => {
    const r = await dnsQuery(sb.dns.port, "www.example.com", "A");
    assert.equal(r.rcode, "NOERROR");
    assert.ok(r.flag_aa);
    assert.deepEqual(r.answers?.map((a) => [a.type, (a as { data: string }).data, (a as { ttl: number }).ttl]).sort(), [["A", "192.0.2.1", 300], ["A", "192.0.2.2", 300]]);
    const v6 = await dnsQuery(sb.dns.port, "WWW.example.com.", "AAAA");
    assert.deepEqual(v6.answers?.map((a) => [(a as { data: string }).data, (a as { ttl: number }).ttl]), [["2001:db8::1", 600]]);
  });

  it("answers CNAME without following it, MX/SRV with relative targets made absolute, TXT strings, CAA, SOA, NS", async () => {
    const c = await dnsQuery(sb.dns.port, "alias.example.com", "A");
    assert.deepEqual(c.answers?.map((a) => [a.type, (a as { data: string }).data]), [["CNAME", "www.example.com"]]);
    const mx = await dnsQuery(sb.dns.port, "example.com", "MX");
    assert.deepEqual(mx.answers?.map((a) => (a as { data: unknown }).data), [{ preference: 10, exchange: "mail.example.com" }, { preference: 20, exchange: "mx.other.net" }]);
    const srv = await dnsQuery(sb.dns.port, "_sip._tcp.example.com", "SRV");
    assert.deepEqual(srv.answers?.map((a) => (a as { data: unknown }).data), [{ priority: 10, weight: 5, port: 5060, target: "sip.example.com" }]);
    const txt = await dnsQuery(sb.dns.port, "example.com", "TXT");
    const strings = txt.answers?.map((a) => ((a as { data: Buffer[] }).data).map((b) => b.toString()));
    assert.deepEqual(strings, [["v=spf1 -all"], ["a".repeat(255), "tail"]]);
    const caa = await dnsQuery(sb.dns.port, "example.com", "CAA");
    assert.equal((caa.answers?.[0] as { data: { value: string } }).data.value, "letsencrypt.org");
    const soa = await dnsQuery(sb.dns.port, "example.com", "SOA");
    assert.equal((soa.answers?.[0] as { data: { mname: string } }).data.mname, "hydrogen.ns.hetzner.com");
    const ns = await dnsQuery(sb.dns.port, "example.com", "NS");
    assert.equal(ns.answers?.length, 3);
  });

  it("NXDOMAIN with the SOA for missing names, NODATA for missing types and empty non-terminals, REFUSED outside", async () => {
    const nx = await dnsQuery(sb.dns.port, "nope.example.com", "A");
    assert.equal(nx.rcode, "NXDOMAIN");
    assert.ok(nx.flag_aa);
    assert.equal(nx.authorities?.[0]?.type, "SOA");
    const nodata = await dnsQuery(sb.dns.port, "www.example.com", "TXT");
    assert.equal(nodata.rcode, "NOERROR");
    assert.equal(nodata.answers?.length, 0);
    assert.equal(nodata.authorities?.[0]?.type, "SOA");
    const ent = await dnsQuery(sb.dns.port, "empty.example.com", "A");
    assert.equal(ent.rcode, "NOERROR");
    assert.equal(ent.answers?.length, 0);
    const refused = await dnsQuery(sb.dns.port, "example.org", "A");
    assert.equal(refused.rcode, "REFUSED");
    assert.ok(!refused.flag_aa);
  });

  it("synthesizes from wildcards and refers below delegations", async () => {
    const w = await dnsQuery(sb.dns.port, "anything.wild.example.com", "A");
    assert.deepEqual(w.answers?.map((a) => [a.name, (a as { data: string }).data]), [["anything.wild.example.com", "192.0.2.7"]]);
    const ref = await dnsQuery(sb.dns.port, "host.sub.example.com", "A");
    assert.equal(ref.rcode, "NOERROR");
    assert.ok(!ref.flag_aa);
    assert.deepEqual(ref.authorities?.map((a) => [a.type, (a as { data: string }).data]), [["NS", "ns1.other.net"]]);
  });

  it("serves a record right after the API creates it, and NXDOMAIN right after it is deleted", async () => {
    assert.equal((await dnsQuery(sb.dns.port, "fresh.example.com", "A")).rcode, "NXDOMAIN");
    const r = await call("POST", "/zones/example.com/rrsets", { name: "fresh", type: "A", ttl: 60, records: [{ value: "198.51.100.4" }] });
    assert.equal(r.status, 201);
    const ans = await dnsQuery(sb.dns.port, "fresh.example.com", "A");
    assert.deepEqual(ans.answers?.map((a) => (a as { data: string }).data), ["198.51.100.4"]);
    assert.equal((await call("DELETE", "/zones/example.com/rrsets/fresh/A")).status, 201);
    assert.equal((await dnsQuery(sb.dns.port, "fresh.example.com", "A")).rcode, "NXDOMAIN");
  });

  it("answers over TCP on the same port, and bumps the SOA serial on every change", async () => {
    const before = await dnsQueryTcp(sb.dns.port, "example.com", "SOA");
    const serial = (before.answers?.[0] as { data: { serial: number } }).data.serial;
    await call("POST", "/zones/example.com/rrsets/www/A/actions/add_records", { records: [{ value: "192.0.2.3" }] });
    const afterChange = await dnsQueryTcp(sb.dns.port, "example.com", "SOA");
    assert.ok((afterChange.answers?.[0] as { data: { serial: number } }).data.serial > serial);
    const www = await dnsQueryTcp(sb.dns.port, "www.example.com", "A");
    assert.equal(www.answers?.length, 3);
  });
});
