// checkChain's findings on real PEM made by openssl: dates judged at a given time, hosts covered by
// a wildcard one label deep only, a chain in the wrong order refused, the key's own role named.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../../test/helpers/proc.js";
import { checkChain } from "./chain.js";
import { certificateNamed, covers } from "./named.js";

const dir = tempDir("hecate-chain-");
after(() => dir.cleanup());
const f = (n: string) => join(dir.path, n);
const ossl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
ossl(["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "30", "-subj", "/CN=test root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign"]);
ossl(["req", ...ec, "-keyout", f("leaf.key"), "-out", f("leaf.csr"), "-subj", "/CN=leaf"]);
writeFileSync(f("ext"), "subjectAltName=DNS:*.example.com,DNS:example.com\n");
ossl(["x509", "-req", "-in", f("leaf.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("leaf.pem"), "-days", "10", "-extfile", f("ext")]);
const [leaf, ca, key] = ["leaf.pem", "ca.pem", "leaf.key"].map((n) => readFileSync(f(n), "utf8")) as [string, string, string];
const errors = (fs: ReturnType<typeof checkChain>) => fs.filter((x) => x.severity === "error").map((x) => `${x.check}: ${x.message}`);

test("a leaf and its CA, checked against that CA: no errors", () => {
  const fs = checkChain({ chain: leaf + ca, key, hosts: ["*.example.com", "a.example.com", "example.com"], chainCheck: { roots: [ca], rootsFrom: "ca.pem", strict: true } });
  assert.deepEqual(errors(fs), []);
  assert.match(fs.find((x) => x.check === "root")!.message, /ends at trusted root "test root"/);
});

test("dates are judged at the time given: expired, not yet valid", () => {
  const later = Date.now() + 40 * 86_400_000;
  assert.deepEqual(errors(checkChain({ chain: leaf + ca, key, hosts: ["example.com"], now: later, chainCheck: { roots: [ca], rootsFrom: "ca.pem", strict: true } })).map((e) => e.replace(/at .*/, "")), ['dates: leaf "leaf" expired ', 'dates: intermediate "test root" expired ']);
  assert.match(errors(checkChain({ chain: leaf, key, hosts: ["example.com"], now: Date.now() - 86_400_000 }))[0]!, /dates: leaf "leaf" is not valid before 20/);
});

test("hosts: a wildcard covers one label, not the base's sub-subdomains; the wrong key, the wrong order, a strict root miss", () => {
  assert.ok(covers("*.example.com", "a.example.com") && !covers("*.example.com", "a.b.example.com") && !covers("*.example.com", "*.b.example.com"));
  // The CA first: the "leaf" is then the CA, which leaf.key does not belong to and which names no hosts.
  const fs = checkChain({ chain: ca + leaf, key, hosts: ["a.b.example.com"], chainCheck: { roots: [], rootsFrom: "bundle.pem", strict: true }, expiryDays: 30 });
  assert.deepEqual(errors(fs), [
    "key: the private key does not belong to the leaf",
    "hosts: the leaf (no DNS names) does not cover a.b.example.com",
    'chain: "test root" is not signed by the next certificate in the chain, "leaf"',
    'root: "leaf" is not a root of bundle.pem, nor signed by one',
    "expiry: the leaf expires in 29 days (at most 30 asked)",
  ]);
});

test("a certificate named by a host: exact hosts, ambiguity named, a covering wildcard suggested", () => {
  const certs = [{ name: "w", hosts: ["*.example.com"] }, { name: "a1", hosts: ["api.example.org"] }, { name: "a2", hosts: ["api.example.org"] }];
  assert.equal(certificateNamed(certs, "*.example.com").name, "w");
  assert.throws(() => certificateNamed(certs, "api.example.org"), /2 certificates list api\.example\.org \(a1, a2\): name one of them/);
  assert.throws(() => certificateNamed(certs, "x.example.com"), /no Certificate named "x\.example\.com" or listing it as a host; w \(\*\.example\.com\) covers it: name that one/);
});
