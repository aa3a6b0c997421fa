// The SAML provider's single sign-on endpoints (/application/saml/<slug>/sso/binding/...): an
// AuthnRequest by the redirect or POST binding (or an IdP-initiated start) ends, for a user the
// application's bindings let in, in a SAML Response to the provider's ACS URL, its assertion
// signed with the signing key pair (exclusive c14n, the provider's digest and signature
// algorithms, the certificate in KeyInfo), shaped as authentik's assertion processor makes it.

import { createHash, randomBytes } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { DOMParser } from "@xmldom/xmldom";
import type { Context, Hono } from "hono";
import { SignedXml } from "xml-crypto";
import { gateSignIn } from "./flow-ui.js";
import { esc, hidden, page } from "./html.js";
import { keyMaterial } from "./keys.js";
import type { Ctx } from "./kind.js";
import { timedeltaMs, type Sessions } from "./sessions.js";
import type { Obj } from "./store.js";

export interface SamlDeps {
  ctx: Ctx;
  sessions: Sessions;
  log: (msg: string) => void;
}

const NS_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";
const NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:";
const NAMEID2 = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

/** What the managed SAML mappings' expressions return for a user (groups: the user's own). */
const MANAGED: Record<string, (ctx: Ctx, user: Obj) => string | string[]> = {
  "goauthentik.io/providers/saml/upn": (_c, u) => String((u.attributes as Obj | undefined)?.upn ?? u.email ?? ""),
  "goauthentik.io/providers/saml/name": (_c, u) => String(u.name ?? ""),
  "goauthentik.io/providers/saml/email": (_c, u) => String(u.email ?? ""),
  "goauthentik.io/providers/saml/username": (_c, u) => String(u.username),
  "goauthentik.io/providers/saml/uid": (_c, u) => String(u.pk),
  "goauthentik.io/providers/saml/groups": (c, u) => c.store.groups.all().filter((g) => (g.users as number[]).includes(u.pk as number)).map((g) => String(g.name)),
  "goauthentik.io/providers/saml/ms-windowsaccountname": (_c, u) => String(u.username),
};

interface AuthnRequest {
  id?: string;
  nameIdPolicy?: string;
}

/** The AuthnRequest's ID and NameIDPolicy; undefined when it is not one. */
function parseAuthnRequest(xml: string): AuthnRequest | undefined {
  let doc: ReturnType<DOMParser["parseFromString"]>;
  try {
    doc = new DOMParser({ onError: () => {} }).parseFromString(xml, "text/xml");
  } catch {
    return undefined;
  }
  const root = doc.documentElement;
  if (!root || root.localName !== "AuthnRequest" || root.namespaceURI !== NS_PROTOCOL) return undefined;
  const policy = root.getElementsByTagNameNS(NS_PROTOCOL, "NameIDPolicy")[0]?.getAttribute("Format") ?? undefined;
  return { ...(root.getAttribute("ID") ? { id: root.getAttribute("ID")! } : {}), ...(policy ? { nameIdPolicy: policy } : {}) };
}

const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const randomId = (): string => `_${randomBytes(16).toString("hex")}`;

/** The IdP's entity id: the override, else the provider's issuer URL. */
export function samlIssuer(ctx: Ctx, provider: Obj, app: Obj | undefined): string {
  const o = String(provider.issuer_override ?? "");
  return o || `${ctx.baseUrl()}/application/saml/${String(app?.slug ?? "")}/metadata/`;
}

function nameId(provider: Obj, user: Obj, format: string, sessionId: string): string {
  switch (format) {
    case `${NAMEID}emailAddress`:
      return String(user.email ?? "");
    case `${NAMEID2}transient`:
      return createHash("sha256").update(sessionId).digest("hex");
    case `${NAMEID}WindowsDomainQualifiedName`:
      return String((user.attributes as Obj | undefined)?.upn ?? user.uid);
    default:
      return String(user.uid); // persistent, unspecified, X509 (no LDAP here)
  }
}

async function buildResponse(d: SamlDeps, provider: Obj, app: Obj, user: Obj, req: AuthnRequest, sessionId: string): Promise<string> {
  const now = Date.now();
  const issuer = esc(samlIssuer(d.ctx, provider, app));
  const acs = esc(provider.acs_url);
  const assertionId = randomId();
  const at = (spec: unknown): string => time(now + (timedeltaMs(spec) ?? 0));
  const notBefore = at(provider.assertion_valid_not_before);
  const notOnOrAfter = at(provider.assertion_valid_not_on_or_after);
  const sessionEnd = at(provider.session_valid_not_on_or_after);
  const inResponseTo = req.id ? ` InResponseTo="${esc(req.id)}"` : "";
  const format = req.nameIdPolicy ?? String(provider.default_name_id_policy);
  const mappings = ((provider.property_mappings as string[] | undefined) ?? [])
    .flatMap((pk) => {
      const m = d.ctx.store.samlMappings.get(pk);
      return m ? [m] : [];
    })
    .sort((a, b) => String(a.saml_name).localeCompare(String(b.saml_name)));
  const attributes = mappings
    .map((m) => {
      const value = MANAGED[String(m.managed)]?.(d.ctx, user);
      if (value === undefined) return "";
      const values = (Array.isArray(value) ? value : [value]).map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join("");
      return `<saml:Attribute Name="${esc(m.saml_name)}">${values}</saml:Attribute>`;
    })
    .join("");
  const assertion =
    `<saml:Assertion xmlns:saml="${NS_ASSERTION}" Version="2.0" ID="${assertionId}" IssueInstant="${time(now)}">` +
    `<saml:Issuer>${issuer}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${esc(format)}">${esc(nameId(provider, user, format, sessionId))}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${notOnOrAfter}" Recipient="${acs}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
    (provider.audience ? `<saml:AudienceRestriction><saml:Audience>${esc(provider.audience)}</saml:Audience></saml:AudienceRestriction>` : "") +
    `</saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${notBefore}" SessionIndex="${assertionId}" SessionNotOnOrAfter="${sessionEnd}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` +
    `</saml:Assertion>`;
  let xml =
    `<samlp:Response xmlns:samlp="${NS_PROTOCOL}" xmlns:saml="${NS_ASSERTION}" Version="2.0" IssueInstant="${time(now)}" Destination="${acs}" ID="${randomId()}"${inResponseTo}>` +
    `<saml:Issuer>${issuer}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    assertion +
    `</samlp:Response>`;
  const material = provider.signing_kp ? await keyMaterial(d.ctx.store, provider.signing_kp) : undefined;
  if (!material) return xml;
  // The signature goes after the element's Issuer, over the element by its ID, enveloped, exclusive c14n.
  const sign = (doc: string, element: "Assertion" | "Response"): string => {
    const sig = new SignedXml({
      privateKey: material.keyPem,
      publicCert: material.certPem,
      signatureAlgorithm: String(provider.signature_algorithm),
      canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
    });
    const target = `//*[local-name(.)='${element}']`;
    sig.addReference({
      xpath: target,
      digestAlgorithm: String(provider.digest_algorithm),
      transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
    });
    sig.computeSignature(doc, { prefix: "ds", location: { reference: `${target}/*[local-name(.)='Issuer']`, action: "after" } });
    return sig.getSignedXml();
  };
  if (provider.sign_assertion !== false) xml = sign(xml, "Assertion");
  if (provider.sign_response === true) xml = sign(xml, "Response");
  return xml;
}

export function mountSaml(app: Hono, d: SamlDeps): void {
  const store = d.ctx.store;
  const bySlug = (slug: string): { provider: Obj; app: Obj } | undefined => {
    const a = store.applications.find((x) => x.slug === slug);
    const provider = a ? store.providers.saml.get(a.provider) : undefined;
    return a && provider ? { provider, app: a } : undefined;
  };

  /** Sign the user in (or resume), check the bindings, answer to the ACS URL. `deflated`: the AuthnRequest as the redirect binding carries it. */
  const sso = async (c: Context, slug: string, deflated: string | undefined, relayState: string | undefined): Promise<Response> => {
    const found = bySlug(slug);
    if (!found) return c.json({ detail: "Not found." }, 404);
    const { provider } = found;
    let req: AuthnRequest = {};
    if (deflated !== undefined) {
      let xml = "";
      try {
        xml = inflateRawSync(Buffer.from(deflated, "base64")).toString("utf8");
      } catch {
        xml = "";
      }
      const parsed = xml ? parseAuthnRequest(xml) : undefined;
      if (!parsed) return c.html(page("Bad Request", "<p>Invalid SAML request: not a deflated, base64-encoded AuthnRequest.</p>"), 400);
      req = parsed;
    }
    const query = new URLSearchParams({ ...(deflated !== undefined ? { SAMLRequest: deflated } : {}), ...(relayState !== undefined ? { RelayState: relayState } : {}) });
    const resume = `${d.ctx.baseUrl()}/application/saml/${slug}/sso/binding/${deflated !== undefined ? "redirect" : "init"}/?${query.toString()}`;
    const gate = gateSignIn(d, c, provider, found.app, resume);
    if (gate instanceof Response) return gate;
    const { user, sessionId } = gate;

    const xml = await buildResponse(d, provider, found.app, user, req, sessionId);
    const relay = relayState ?? (deflated === undefined ? String(provider.default_relay_state ?? "") : undefined);
    if (provider.sp_binding === "post") {
      const fields = { SAMLResponse: Buffer.from(xml).toString("base64"), RelayState: relay || undefined };
      return c.html(
        page("Redirecting", `<form method="post" action="${esc(provider.acs_url)}">${hidden(fields)}<button type="submit">Continue</button></form><script>document.forms[0].submit()</script>`),
      );
    }
    const to = new URL(String(provider.acs_url));
    to.searchParams.set("SAMLResponse", deflateRawSync(Buffer.from(xml)).toString("base64"));
    if (relay) to.searchParams.set("RelayState", relay);
    return c.redirect(to.toString(), 302);
  };

  app.get("/application/saml/:slug/sso/binding/redirect/", (c) => sso(c, c.req.param("slug"), c.req.query("SAMLRequest") ?? "", c.req.query("RelayState")));
  app.post("/application/saml/:slug/sso/binding/post/", async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const raw = typeof form["SAMLRequest"] === "string" ? Buffer.from(form["SAMLRequest"], "base64") : Buffer.alloc(0);
    // The POST binding carries the request base64 without deflate; the resume URL uses the redirect binding's form.
    return sso(c, c.req.param("slug"), deflateRawSync(raw).toString("base64"), typeof form["RelayState"] === "string" ? form["RelayState"] : undefined);
  });
  app.get("/application/saml/:slug/sso/binding/init/", (c) => sso(c, c.req.param("slug"), undefined, c.req.query("RelayState")));
}
