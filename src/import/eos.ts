// The eos hecate apps file (`base_domain`, `apps: {name: {domain, backend, type, sso, talk}}`, what
// `eos create hecate` renders its Caddyfile from) → Routes with the app's preset, Streams for the
// apps whose type has a stream preset (talk: the coturn preset), and one AuthPolicy for sso apps.
import { parseDocument, isMap, isScalar, LineCounter, type Node } from "yaml";
import { routePreset, streamPreset } from "../model/presets.js";
import { ResourceSet, type Finding, type ImportResult } from "./result.js";

/** Stream presets an app type brings besides its route (the app's TCP/UDP side). */
const STREAMS_OF_TYPE: Record<string, string> = { wazuh: "wazuh", jenkins: "jenkins", mailcow: "mailcow" };
const KNOWN_KEYS = ["domain", "backend", "type", "sso", "talk"];
export const EOS_SSO_POLICY = "sso";

export interface EosImportOptions {
  /** Address the streams listen on (default: every address, the presets' ports). */
  listen?: string;
}

export function importEosApps(text: string, file: string, opts: EosImportOptions = {}): ImportResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const at = (n: Node | null | undefined) => {
    const p = n?.range ? lc.linePos(n.range[0]) : undefined;
    return p ? `${file}:${p.line}:${p.col}` : file;
  };
  const errors = doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? 0}:${e.linePos?.[0]?.col ?? 0}: ${e.message}`);
  if (errors.length) throw new Error(errors.join("\n"));
  const root = doc.contents;
  const set = new ResourceSet();
  const findings: Finding[] = [];
  if (!isMap(root)) return { source: file, resources: [], findings: [{ outcome: "refused", where: at(root), subject: "document", why: "an eos apps file is a map with base_domain and apps" }] };
  const base = String(root.get("base_domain") ?? "").toLowerCase().replace(/\.$/, "");
  const apps = root.get("apps", true) as Node | undefined;
  for (const item of root.items) {
    const k = isScalar(item.key) ? String(item.key.value) : "";
    if (k !== "apps" && k !== "base_domain") findings.push({ outcome: "refused", where: at(item.key as Node), subject: k, why: "not part of the apps file Hecate knows (base_domain, apps)" });
  }
  if (!isMap(apps)) return { source: file, resources: [], findings: [...findings, { outcome: "refused", where: at(root), subject: "apps", why: "no apps map" }] };
  let sso = false;
  for (const item of apps.items) {
    const name = isScalar(item.key) ? String(item.key.value) : "";
    const where = at(item.key as Node);
    const app = item.value;
    if (!isMap(app)) {
      findings.push({ outcome: "refused", where, subject: `app ${name}`, why: "an app is a map of domain, backend, type, sso, talk" });
      continue;
    }
    const get = (key: string) => app.get(key) as unknown;
    for (const it of app.items) {
      const key = isScalar(it.key) ? String(it.key.value) : "";
      if (!KNOWN_KEYS.includes(key)) findings.push({ outcome: "refused", where: at(it.key as Node), subject: `${name}.${key}`, why: `unknown app field (Hecate reads ${KNOWN_KEYS.join(", ")})` });
    }
    const type = get("type") === undefined ? undefined : String(get("type")).toLowerCase();
    const backend = get("backend") === undefined ? "" : String(get("backend"));
    if (!backend) {
      findings.push({ outcome: "refused", where, subject: `app ${name}`, why: "no backend: nothing to proxy to" });
      continue;
    }
    const domain = get("domain") === undefined ? name : String(get("domain")).toLowerCase();
    const host = domain.includes(".") || !base ? domain : `${domain}.${base}`;
    const preset = type ? routePreset(type) : undefined;
    const route = set.name("Route", name);
    const spec: Record<string, unknown> = { ...(preset ? { preset: preset.name } : {}), hosts: [host], upstreams: [{ address: backend }] };
    const notes: string[] = [preset ? `preset ${preset.name}` : type ? `type ${type} has no route preset: plain proxy` : "no type: plain proxy"];
    if (!preset && !/:\d+$/.test(backend)) {
      findings.push({ outcome: "refused", where: at(app.get("backend", true) as Node), subject: `${name}.backend ${backend}`, why: `${type ? `type ${type} has no route preset (\`hecate presets\` lists them)` : "no type"}, so nothing supplies a port: write backend as host:port` });
      continue;
    }
    if (get("sso") === true) {
      spec.authPolicy = EOS_SSO_POLICY;
      sso = true;
      notes.push(`sign-in (AuthPolicy ${EOS_SSO_POLICY})`);
      // eos protects every sso app with forward auth in its Caddyfile: kept, so the app answers
      // as before (a preset that signs in by OIDC or SAML would need the app reconfigured).
      const protocol = preset?.spec.signIn?.protocol;
      if (protocol && protocol !== "forward-auth") {
        spec.signIn = { protocol: "forward-auth" };
        notes.push(`forward auth as eos set it up (preset ${preset!.name} would sign in by ${protocol}: set spec.signIn.protocol: ${protocol} and a clientSecret to switch)`);
      }
    } else {
      spec.public = true;
      if (preset?.sso) findings.push({ outcome: "mapped", where, subject: `${name}.sso`, into: `Route/${route}`, why: `preset ${preset.name} expects sign-in, but the apps file says sso is off: the route is public (set sso: true to protect it)` });
    }
    set.add("Route", route, spec);
    findings.push({ outcome: "mapped", where, subject: `app ${name}`, into: `Route/${route}`, why: `${host} → ${backend}; ${notes.join(", ")}` });
    const streamHost = backend.replace(/:\d+$/, "");
    const streams = [...(type && STREAMS_OF_TYPE[type] ? [STREAMS_OF_TYPE[type]!] : []), ...(get("talk") === true ? ["coturn"] : [])];
    if (get("talk") === true && type !== "nextcloud") findings.push({ outcome: "mapped", where: at(app.get("talk", true) as Node), subject: `${name}.talk`, why: "talk is Nextcloud's; the coturn streams are added anyway" });
    for (const sp of streams) {
      const p = streamPreset(sp)!;
      const sname = set.name("Stream", sp === "coturn" ? `${name}-turn` : name);
      set.add("Stream", sname, { preset: sp, ...(opts.listen ? { listen: opts.listen } : {}), upstreams: [{ address: streamHost }] });
      findings.push({ outcome: "mapped", where, subject: `${name} ${sp === "coturn" ? "talk" : "type " + type}`, into: `Stream/${sname}`, why: `preset ${sp}: ${p.ports.map((x) => `${x.port}/${x.protocol}`).join(", ")} to ${streamHost}` });
    }
  }
  if (sso) {
    set.add("AuthPolicy", EOS_SSO_POLICY, { provider: "authentik" });
    findings.push({ outcome: "mapped", where: at(apps), subject: "sso: true", into: `AuthPolicy/${EOS_SSO_POLICY}`, why: "one authentik policy for every sso app (any authentik user; add groups to narrow it)" });
  }
  return { source: file, resources: set.resources, findings };
}
