import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileCerts, diffCerts, type CertHeld } from "./provider.js";
import * as k from "../../model/testkit.js";
import type { ResolvedCertificate } from "../../model/resolved.js";

const wild = (issued?: ResolvedCertificate["issued"]): ResolvedCertificate => ({
  name: "wild",
  hosts: ["example.com", "*.example.com"],
  issuer: "acme",
  acme: { challenge: "dns-01", ca: "https://ca.test/dir" },
  ...(issued ? { issued } : {}),
});
const held = (over: Partial<CertHeld> = {}): CertHeld => ({
  name: "wild",
  hosts: ["*.example.com", "example.com"],
  generation: 1,
  source: "acme https://ca.test/dir",
  notBefore: "2026-01-01T00:00:00.000Z",
  notAfter: "2026-04-01T00:00:00.000Z",
  fingerprint: "ab",
  ...over,
});
const plan = (c: ResolvedCertificate, actual: CertHeld[]) => diffCerts(compileCerts({ ...k.state([]), certificates: [c] }), { certificates: actual });

describe("certs provider: compile and diff", () => {
  it("a certificate to obtain is a create that says how and for which hosts", () => {
    const [c, ...rest] = plan(wild({ generation: 1, obtain: "missing" }), []);
    assert.equal(rest.length, 0);
    assert.deepEqual([c!.action, c!.kind, c!.id, c!.resource, c!.note], ["create", "certificate", "wild", "Certificate/wild", "obtain by dns-01: *.example.com, example.com"]);
  });

  it("hosts changed and due renewals are updates that say why", () => {
    const hosts = plan({ ...wild({ generation: 2, obtain: "hosts" }), hosts: ["*.example.com"] }, [held()]);
    assert.equal(hosts[0]!.action, "update");
    assert.equal(hosts[0]!.note, "obtain by dns-01 again, hosts changed: *.example.com, example.com -> *.example.com");
    const due = plan(wild({ generation: 2, obtain: "due" }), [held()]);
    assert.match(due[0]!.note!, /^due for renewal: .*2026-04-01/);
    assert.deepEqual(due[0]!.fields, [{ path: "generation", before: 1, after: 2 }]);
  });

  it("the held generation, or no view of the store at all (a restore target), is no change", () => {
    assert.deepEqual(plan(wild({ generation: 1 }), [held()]), []);
    assert.deepEqual(plan(wild(), [held({ generation: 7 })]), []);
    assert.deepEqual(plan(wild(), []), []);
  });

  it("held certificates no Certificate names are left alone (no prune)", () => {
    assert.deepEqual(diffCerts({ certificates: [] }, { certificates: [held()] }), []);
  });
});
