// The key material behind a certificate key pair: an RSA key and a self-signed X.509 certificate,
// made on first use (the API only shows the pair's metadata) and kept for the sandbox's life.
// They sign ID tokens (RS256, published in the JWKS) and SAML assertions.

import { createHash, generateKeyPair, type KeyObject, X509Certificate } from "node:crypto";
import forge from "node-forge";
import type { Store } from "./store.js";

export interface KeyMaterial {
  privateKey: KeyObject;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  certPem: string;
  /** The certificate's DER bytes, base64 (x5c, SAML KeyInfo). */
  certBase64: string;
  cert: X509Certificate;
  /** authentik's key id: the MD5 hex digest of the private key's PEM. */
  kid: string;
}

const cache = new WeakMap<Store, Map<string, Promise<KeyMaterial>>>();

async function make(name: string): Promise<KeyMaterial> {
  const privateKey = await new Promise<KeyObject>((resolve, reject) =>
    generateKeyPair("rsa", { modulusLength: 2048 }, (err, _pub, priv) => (err ? reject(err) : resolve(priv))),
  );
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  // Node makes keys but not certificates: node-forge builds and signs the certificate.
  const k = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const c = forge.pki.createCertificate();
  c.publicKey = forge.pki.setRsaPublicKey(k.n, k.e);
  c.serialNumber = createHash("sha256").update(keyPem).digest("hex").slice(0, 16);
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const subject = [{ name: "commonName", value: name }, { name: "organizationName", value: "authentik" }];
  c.setSubject(subject);
  c.setIssuer(subject);
  c.sign(k, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(c);
  const cert = new X509Certificate(certPem);
  return { privateKey, keyPem, certPem, cert, certBase64: cert.raw.toString("base64"), kid: createHash("md5").update(keyPem).digest("hex") };
}

/** The key material of key pair `pk` (undefined when there is no such pair). */
export function keyMaterial(store: Store, pk: unknown): Promise<KeyMaterial> | undefined {
  const pair = store.keypairs.get(pk);
  if (!pair) return undefined;
  let perStore = cache.get(store);
  if (!perStore) cache.set(store, (perStore = new Map()));
  let m = perStore.get(String(pair.pk));
  if (!m) perStore.set(String(pair.pk), (m = make(String(pair.name))));
  return m;
}
