// A user signs in to a SAML app (the wazuh preset) with what Hecate provisioned: a service
// provider built on @node-saml/node-saml (the library passport-saml uses) sends an AuthnRequest by
// the redirect binding to the sandbox, the user signs in on its login page, and the SAML Response
// posted to the provisioned ACS URL passes the library's checks: the assertion's XML signature
// against the key pair's certificate (read from authentik's API), audience, recipient, times,
// InResponseTo. Another group is denied; a changed assertion fails the signature.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/proc.js";
import { KEY } from "../engine/setup.js";
import { TOKEN } from "../sandbox/authentik-helpers.js";

process.env["HECATE_TEST_AUTHENTIK_TOKEN"] = TOKEN;
const AK = { systems: ["authentik"] };
const ACS = "https://wazuh.example.com/_opendistro/_security/saml/acs";
const doc = (kind: string, name: string, spec: Record<string, unknown>): Resource => ({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as Resource;

describe("SAML sign-in with what Hecate provisions (wazuh preset, node-saml)", () => {
  let ak: AuthentikSandbox;
  let store: Store;
  let engine: Engine;
  let sp: SAML;
  let cache: Map<string, string>;
  const dir = tempDir("hecate-ak-saml-");
  const api = async (path: string) => (await (await fetch(`${ak.apiUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, unknown>;

  before(async () => {
    ak = await startAuthentikSandbox({
      token: TOKEN,
      seed: {
        groups: [{ name: "staff", parents: [], is_superuser: false }, { name: "other", parents: [], is_superuser: false }],
        users: [
          { username: "alice", password: "alice-pw", email: "alice@example.com", groups: ["staff"] },
          { username: "bob", password: "bob-pw", groups: ["other"] },
        ],
      },
    });
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "t" });
    await engine.commit(
      [
        doc("Settings", "s", { authentik: { url: ak.url, token: "env:HECATE_TEST_AUTHENTIK_TOKEN", outpost: "127.0.0.1:9" } }),
        doc("AuthPolicy", "staff", { groups: ["staff"] }),
        doc("Route", "siem", { preset: "wazuh", hosts: ["wazuh.example.com"], upstreams: [{ address: "127.0.0.1:9" }], authPolicy: "staff" }),
      ],
      { message: "t" },
    );
    const r = await engine.apply(AK, AK);
    assert.equal(r.status, "succeeded", JSON.stringify(r.steps) + JSON.stringify(r.diagnostics));

    // The SP is configured as an operator would: the provider's SSO URL and the signing certificate from authentik's API.
    const provider = ((await api("/providers/saml/?page_size=100")).results as Record<string, unknown>[]).find((p) => p["name"] === "hecate-siem_saml")!;
    const cert = (await api(`/crypto/certificatekeypairs/${String(provider["signing_kp"])}/view_certificate/`))["data"] as string;
    assert.match(cert, /^-----BEGIN CERTIFICATE-----/);
    cache = new Map();
    sp = new SAML({
      entryPoint: String(provider["url_sso_redirect"]),
      issuer: "wazuh-saml",
      callbackUrl: ACS,
      audience: "wazuh-saml",
      idpCert: cert,
      idpIssuer: String(provider["url_issuer"]),
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.always,
      cacheProvider: {
        saveAsync: async (k, v) => (cache.set(k, v), { value: v, createdAt: Date.now() }),
        getAsync: async (k) => cache.get(k) ?? null,
        removeAsync: async (k) => (k !== null && cache.delete(k) ? k : null),
      },
    });
  });
  after(async () => {
    await store?.close();
    await ak?.close();
    dir.cleanup();
  });

  /** The browser: from the SP's AuthnRequest through the sandbox's login to the form it posts to the ACS URL. */
  const signIn = async (username: string, password: string): Promise<{ status: number; form?: Record<string, string>; action?: string; page: string }> => {
    let res = await fetch(await sp.getAuthorizeUrlAsync("relay-123", undefined, {}), { redirect: "manual" });
    let cookie = "";
    for (let i = 0; i < 6 && res.status === 302; i++) {
      const location = res.headers.get("location")!;
      res = await fetch(new URL(location, ak.url), { redirect: "manual", headers: { cookie } });
      const page = await res.clone().text();
      if (res.status === 200 && /name="username"/.test(page)) {
        const state = /name="state" value="([^"]*)"/.exec(page)?.[1] ?? "";
        res = await fetch(`${ak.url}/if/flow/default-authentication-flow/`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ username, password, step: "password", state }),
        });
        cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
      }
    }
    const page = await res.text();
    const action = /<form method="post" action="([^"]*)"/.exec(page)?.[1];
    const form = Object.fromEntries([...page.matchAll(/name="([^"]*)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    return { status: res.status, page, ...(action ? { action, form } : {}) };
  };

  it("alice of staff: the response posted to the ACS URL passes node-saml's signature, audience and recipient checks", async () => {
    const r = await signIn("alice", "alice-pw");
    assert.equal(r.status, 200, r.page);
    assert.equal(r.action, ACS, "posted to the ACS URL Hecate provisioned");
    assert.equal(r.form!["RelayState"], "relay-123");
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: r.form!["SAMLResponse"]!, RelayState: r.form!["RelayState"]! });
    assert.ok(profile);
    assert.equal(profile["http://schemas.goauthentik.io/2021/02/saml/username"], "alice");
    assert.equal(profile["http://schemas.xmlsoap.org/claims/Group"], "staff", "groups reach wazuh (its roles)");
    assert.equal(profile["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"], "alice@example.com");
    const xml = Buffer.from(r.form!["SAMLResponse"]!, "base64").toString();
    assert.match(xml, /<saml:Audience>wazuh-saml<\/saml:Audience>/);
    assert.match(xml, new RegExp(`Recipient="${ACS.replace(/[.]/g, "\\.")}"`));
    assert.match(xml, new RegExp(`Destination="${ACS.replace(/[.]/g, "\\.")}"`));
    assert.match(xml, /<ds:SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"\/>/);
  });

  it("a changed assertion fails the signature check; a response to another SP's audience is refused", async () => {
    const r = await signIn("alice", "alice-pw");
    const xml = Buffer.from(r.form!["SAMLResponse"]!, "base64").toString();
    const forged = Buffer.from(xml.replace(/<saml:AttributeValue>alice<\/saml:AttributeValue>/, "<saml:AttributeValue>root</saml:AttributeValue>")).toString("base64");
    assert.notEqual(forged, r.form!["SAMLResponse"]);
    await assert.rejects(sp.validatePostResponseAsync({ SAMLResponse: forged }), /signature/i);
    const other = new SAML({ ...sp.options, audience: "another-sp", validateInResponseTo: ValidateInResponseTo.never });
    const again = await signIn("alice", "alice-pw");
    await assert.rejects(other.validatePostResponseAsync({ SAMLResponse: again.form!["SAMLResponse"]! }), /audience/i);
  });

  it("bob of another group is denied: no response is issued", async () => {
    const r = await signIn("bob", "bob-pw");
    assert.equal(r.status, 403);
    assert.match(r.page, /Permission denied/);
    assert.equal(r.action, undefined);
  });
});
