// Application presets: defaults for well-known apps behind this stack (routes) and the port sets
// of well-known TCP/UDP services (streams). A route's own fields override a preset field by field.
import type { z } from "zod";
import type { RouteSpec } from "./schema.js";

type RouteSpecT = z.infer<typeof RouteSpec>;

export interface RoutePreset {
  name: string;
  description: string;
  /** Port added to upstream addresses written without one ("app.internal" → "app.internal:8513"). */
  port: number;
  /** The app expects sign-in: a route using it must name an authPolicy (or say public: true). */
  sso?: boolean;
  /** Defaults merged under the route's own spec (deep merge; arrays are replaced, not joined). */
  spec: Partial<RouteSpecT>;
  /** Why the preset does what it does, where that is not obvious. */
  notes?: string;
}

export interface StreamPort {
  /** Suffix of the resolved stream's name: `<stream>-<suffix>`. */
  suffix: string;
  port: number;
  protocol: "tcp" | "udp";
  idle?: string;
  connect?: string;
}

export interface StreamPreset {
  name: string;
  description: string;
  ports: StreamPort[];
  notes?: string;
}

export const ROUTE_PRESETS: readonly RoutePreset[] = [
  {
    name: "authentik",
    description: "authentik itself (server on 9000): websockets, public (it is the sign-in service), health check.",
    port: 9000,
    spec: { websockets: true, public: true, healthCheck: { active: { path: "/-/health/live/" } } },
    notes: "Never put authentik behind its own forward auth: that is a redirect loop.",
  },
  {
    name: "bionicgpt",
    description: "BionicGPT on 8513: websockets, /health check, sign-in required.",
    port: 8513,
    sso: true,
    spec: { websockets: true, healthCheck: { active: { path: "/health" } } },
  },
  {
    name: "consul",
    description: "Consul UI/API on 8500, health check on /v1/status/leader.",
    port: 8500,
    spec: { healthCheck: { active: { path: "/v1/status/leader" } } },
  },
  {
    name: "grafana",
    description: "Grafana on 3000: websockets (live), /api/health check; with an authPolicy it signs users in by OIDC (generic OAuth, callback /login/generic_oauth).",
    port: 3000,
    spec: { websockets: true, healthCheck: { active: { path: "/api/health" } }, signIn: { protocol: "oidc", redirectPaths: ["/login/generic_oauth"] } },
    notes: "Grafana maps authentik groups to its roles itself (role_attribute_path), which forward auth cannot do; its API keys and service accounts keep working because Caddy asks nobody. Set signIn.clientSecret and configure [auth.generic_oauth] with the same client id and secret.",
  },
  {
    name: "jenkins",
    description: "Jenkins on 8080: websockets (UI and WebSocket agents), /login check. Inbound TCP agents: the jenkins stream preset (50000).",
    port: 8080,
    spec: { websockets: true, healthCheck: { active: { path: "/login" } }, timeouts: { read: "5m" } },
  },
  {
    name: "minio",
    description: "MinIO S3 API on 9000, /minio/health/live check; public because S3 clients sign requests themselves.",
    port: 9000,
    spec: { public: true, healthCheck: { active: { path: "/minio/health/live" } } },
    notes: "S3 clients cannot do a browser sign-in, so forward auth would break them; MinIO checks its own signatures. Put the console (9001) on its own route with an authPolicy.",
  },
  {
    name: "nextcloud",
    description: "Nextcloud on 80: websockets (notify_push), sign-in bypass for WebDAV/CalDAV/CardDAV, public shares, OCS API and status.",
    port: 80,
    spec: {
      websockets: true,
      ssoBypass: ["/remote.php/dav", "/public.php", "/ocs/", "/status.php"],
      healthCheck: { active: { path: "/status.php" } },
      signIn: { protocol: "oidc", redirectPaths: ["/apps/user_oidc/code"] },
    },
    notes:
      "With an authPolicy Nextcloud signs users in by OIDC (the user_oidc app, callback /apps/user_oidc/code): sync clients, share links and app passwords keep working. With signIn.protocol: forward-auth the bypass paths apply instead (desktop/mobile clients cannot follow a browser sign-in). Talk also needs the coturn stream preset.",
  },
  {
    name: "openwebui",
    description: "Open WebUI on 8501: websockets, /health check, sign-in required.",
    port: 8501,
    sso: true,
    spec: { websockets: true, healthCheck: { active: { path: "/health" } } },
  },
  {
    name: "umami",
    description: "Umami analytics on 3000: /api/heartbeat check; the tracker script and collection endpoint bypass sign-in.",
    port: 3000,
    spec: { ssoBypass: ["/script.js", "/api/send"], healthCheck: { active: { path: "/api/heartbeat" } } },
    notes: "Visitors of the tracked sites load /script.js and post to /api/send; they never sign in.",
  },
  {
    name: "vault",
    description: "HashiCorp Vault on 8200: health check on /v1/sys/health (standbys count as healthy); the /v1/ API bypasses sign-in (Vault tokens authenticate it).",
    port: 8200,
    spec: { ssoBypass: ["/v1/"], healthCheck: { active: { path: "/v1/sys/health?standbyok=true&perfstandbyok=true" } } },
    notes: "Vault answers 429/473 on /v1/sys/health for standbys; the query parameters make them healthy.",
  },
  {
    name: "wazuh",
    description: "Wazuh dashboard: HTTPS upstream on 443 with its own self-signed certificate (verification skipped); with an authPolicy it signs users in by SAML (ACS /_opendistro/_security/saml/acs, entity id wazuh-saml). Agents: the wazuh stream preset.",
    port: 443,
    spec: {
      upstreamTls: { enabled: true, insecureSkipVerify: true },
      signIn: { protocol: "saml", acsPath: "/_opendistro/_security/saml/acs", audience: "wazuh-saml", binding: "post" },
    },
    notes:
      "The Wazuh dashboard only speaks HTTPS and the installer generates a self-signed certificate, so Caddy cannot verify it out of the box. Better: set upstreamTls.ca to Wazuh's root-ca.pem (a secret ref) and insecureSkipVerify: false.",
  },
];

const MAIL_IDLE = "10m";
/** IMAP IDLE clients re-issue IDLE every 29 minutes (RFC 2177); the proxy must outlast that. */
const IMAP_IDLE = "31m";

export const STREAM_PRESETS: readonly StreamPreset[] = [
  {
    name: "coturn",
    description: "TURN/STUN (e.g. Nextcloud Talk): 3478 and 5349 on both TCP and UDP.",
    ports: [
      { suffix: "turn-tcp", port: 3478, protocol: "tcp", idle: "1h" },
      { suffix: "turn-udp", port: 3478, protocol: "udp", idle: "1m" },
      { suffix: "turns-tcp", port: 5349, protocol: "tcp", idle: "1h" },
      { suffix: "turns-udp", port: 5349, protocol: "udp", idle: "1m" },
    ],
    notes:
      "The relay range (e.g. 49160-49200/udp) is not proxied: TURN hands clients its own relay address, so those ports must reach coturn directly (firewall/port forward to the coturn host, with coturn's external-ip set). Hecate rejects port ranges in listen.",
  },
  {
    name: "jenkins",
    description: "Jenkins inbound TCP agents on 50000 (long-lived connections).",
    ports: [{ suffix: "agent", port: 50000, protocol: "tcp", idle: "1h" }],
  },
  {
    name: "mailcow",
    description: "Mail: SMTP 25, SMTPS 465, submission 587, IMAP 143, IMAPS 993, POP3 110, POP3S 995 with mail-safe idle timeouts.",
    ports: [
      { suffix: "smtp", port: 25, protocol: "tcp", idle: MAIL_IDLE },
      { suffix: "smtps", port: 465, protocol: "tcp", idle: MAIL_IDLE },
      { suffix: "submission", port: 587, protocol: "tcp", idle: MAIL_IDLE },
      { suffix: "imap", port: 143, protocol: "tcp", idle: IMAP_IDLE },
      { suffix: "imaps", port: 993, protocol: "tcp", idle: IMAP_IDLE },
      { suffix: "pop3", port: 110, protocol: "tcp", idle: MAIL_IDLE },
      { suffix: "pop3s", port: 995, protocol: "tcp", idle: MAIL_IDLE },
    ],
    notes: "IMAP streams idle 31m because IMAP IDLE clients re-issue IDLE every 29 minutes.",
  },
  {
    name: "postgres",
    description: "PostgreSQL on 5432 (pooled connections idle up to 1h).",
    ports: [{ suffix: "postgres", port: 5432, protocol: "tcp", idle: "1h" }],
  },
  {
    name: "redis",
    description: "Redis on 6379 (pooled connections idle up to 1h).",
    ports: [{ suffix: "redis", port: 6379, protocol: "tcp", idle: "1h" }],
  },
  {
    name: "wazuh",
    description: "Wazuh manager: agent events 1514, agent enrollment 1515, API 55000 (TCP).",
    ports: [
      { suffix: "events", port: 1514, protocol: "tcp", idle: "1h" },
      { suffix: "enrollment", port: 1515, protocol: "tcp" },
      { suffix: "api", port: 55000, protocol: "tcp" },
    ],
  },
];

export function routePreset(name: string): RoutePreset | undefined {
  return ROUTE_PRESETS.find((p) => p.name === name);
}
export function streamPreset(name: string): StreamPreset | undefined {
  return STREAM_PRESETS.find((p) => p.name === name);
}

export interface PresetInfo {
  kind: "Route" | "Stream";
  name: string;
  description: string;
  notes?: string;
  /** Route presets: the default upstream port and the defaults filled in. Stream presets: the ports. */
  port?: number;
  defaults?: unknown;
  ports?: StreamPort[];
}

/** Every preset with what it fills in, for `hecate presets` and the docs. Sorted by kind, name. */
export function listPresets(): PresetInfo[] {
  const routes: PresetInfo[] = ROUTE_PRESETS.map((p) => ({
    kind: "Route",
    name: p.name,
    description: p.description,
    port: p.port,
    defaults: p.sso ? { ...p.spec, signInRequired: true } : p.spec,
    ...(p.notes ? { notes: p.notes } : {}),
  }));
  const streams: PresetInfo[] = STREAM_PRESETS.map((p) => ({ kind: "Stream", name: p.name, description: p.description, ports: p.ports, ...(p.notes ? { notes: p.notes } : {}) }));
  const byName = (a: PresetInfo, b: PresetInfo) => (a.name < b.name ? -1 : 1);
  return [...routes.sort(byName), ...streams.sort(byName)];
}

/** Deep merge: `over` wins field by field; arrays and scalars replace; plain objects merge. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (!isPlain(base) || !isPlain(over)) return over as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out as T;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
