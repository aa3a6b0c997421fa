// Renders docs/resources.md (the resource reference) from the JSON Schema, the defaults table,
// the presets and the examples, so the reference cannot drift from the code.
import { API_VERSION, KINDS, type Kind } from "./schema.js";
import { jsonSchema } from "./jsonschema.js";
import { FIELD_DEFAULTS } from "./defaults.js";
import { listPresets } from "./presets.js";
import { loadPaths } from "./load.js";
import { toYaml } from "./serialize.js";
import type { Resource } from "./schema.js";

type JS = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JS>;
  required?: string[];
  items?: JS;
  anyOf?: JS[];
  oneOf?: JS[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  format?: string;
  additionalProperties?: JS | boolean;
};

/** The generated schema file's text (schema/hecate.schema.json). */
export function renderSchemaFile(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

function typeOf(s: JS): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(" \\| ");
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(" or ");
  const t = Array.isArray(s.type) ? s.type.join("/") : s.type;
  if (t === "string") {
    if (s.pattern?.includes("ms|s|m|h|d")) return "duration";
    if (s.pattern?.startsWith("^(secret|env|file)")) return "secret ref";
    if (s.pattern?.startsWith("^[a-z0-9]([-a-z0-9.]")) return "name";
    if (s.pattern === "^\\/.*") return "path";
    if (s.pattern?.includes("\\d{4}-")) return "date (YYYY-MM-DD)";
    if (s.format === "email") return "email";
    if (s.format === "uri") return "URL";
    return "string";
  }
  if (t === "integer" || t === "number") {
    const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
    const range = s.minimum !== undefined && max !== undefined ? ` ${s.minimum}–${max}` : s.minimum !== undefined ? ` ≥ ${s.minimum}` : "";
    return `${t}${range}`;
  }
  if (t === "array") return `list of ${s.items ? typeOf(s.items) : "any"}`;
  if (t === "object") return s.properties ? "mapping" : "map of string";
  if (t === "boolean") return "boolean";
  return t ?? "any";
}

interface Row {
  path: string;
  type: string;
  required: boolean;
  def: string;
  description: string;
}

function rows(s: JS, prefix: string, defKey: string, out: Row[], required = false): void {
  const objectAlt = (s.anyOf ?? s.oneOf)?.find((a) => a.properties);
  const obj = s.properties ? s : objectAlt;
  const here = prefix
    ? [{ path: prefix, type: typeOf(s), required, def: FIELD_DEFAULTS[defKey] ?? "", description: (s.description ?? obj?.description ?? "").replace(/\|/g, "\\|") }]
    : [];
  out.push(...here);
  if (obj?.properties) {
    for (const [k, v] of Object.entries(obj.properties)) rows(v, prefix ? `${prefix}.${k}` : k, `${defKey}.${k}`, out, (obj.required ?? []).includes(k));
  } else if (s.type === "array" && s.items?.properties) {
    for (const [k, v] of Object.entries(s.items.properties)) rows(v, `${prefix}[].${k}`, `${defKey}[].${k}`, out, (s.items.required ?? []).includes(k));
  }
}

function table(list: Row[]): string {
  const head = "| field | type | required | default | description |\n|---|---|---|---|---|\n";
  return head + list.map((r) => `| \`${r.path}\` | ${r.type} | ${r.required ? "yes" : ""} | ${r.def} | ${r.description} |`).join("\n") + "\n";
}

const INTRO: Record<Kind, string> = {
  Route: "Hosts (and optionally path prefixes) served by Caddy and where their requests go: inline `upstreams` or a named `upstream`, an `authPolicy` (authentik forward auth) or `public: true`, middleware in order, TLS, DNS.",
  Upstream: "A named pool of HTTP backends with load balancing, health checks, timeouts and upstream TLS, shared by routes (`spec.upstream`).",
  AuthPolicy: "Who may pass a protected route: an authentik proxy provider (forward_single per host, or forward_domain with a cookie domain shared by all hosts under it), groups, users, MFA.",
  Middleware: "A reusable request/response step a route lists in `spec.middleware`. `rate-limit` needs the Caddy module `http.handlers.rate_limit` listed in Settings `spec.caddy.modules` (Debian's Caddy 2.6.2 lacks it).",
  Stream: "A raw TCP/UDP port carried by nginx. With a `preset`, one Stream expands into one resolved stream per preset port, named `<name>-<suffix>`; upstream addresses are then host names only.",
  DnsRecord: "A DNS record set at Hetzner DNS that no route implies (routes with `dns:` get A/AAAA/CNAME records named `route:<name>`).",
  Certificate: "A TLS certificate: from ACME, from Caddy's internal CA, or imported from secret references.",
  Secret: "Where a secret value lives. Fields typed *secret ref* take `secret:NAME` (a Secret), `env:VAR` or `file:/path`; values never appear in YAML, plans or logs.",
  CompliancePolicy: "Rules checked against the routes its selector matches on every validate/plan/apply. Exemptions name a route, a reason and an expiry date; an expired exemption is an error.",
  Settings: "Global settings; at most one document. Missing fields take the defaults below.",
};

export async function renderResourcesDoc(examplesDir = "examples"): Promise<string> {
  const schema = jsonSchema() as JS;
  const docs = (schema.oneOf ?? schema.anyOf ?? []) as JS[];
  const { docs: located } = await loadPaths([examplesDir]);
  const examples = new Map<string, Resource[]>();
  for (const d of located) {
    const k = (d.resource as Resource).kind;
    examples.set(k, [...(examples.get(k) ?? []), d.resource]);
  }
  let md = `<!-- Generated by scripts/gen-docs.ts from src/model (schema, defaults, presets) and examples/. Do not edit: run \`node --import tsx scripts/gen-docs.ts\`. -->\n`;
  md += `# Resource reference (apiVersion ${API_VERSION})\n\n`;
  md += "Every document has `apiVersion: " + API_VERSION + "`, `kind`, `metadata` (`name`: lower-case letters, digits, `-` and `.`, unique per kind; optional `labels`, `annotations`, `protected`) and `spec`.\n";
  md += "Unknown fields are errors. Durations are Go-style (`500ms`, `30s`, `5m`, `1h30m`).\n\n";
  md += "## Editor support\n\nThe JSON Schema of every kind is committed at `schema/hecate.schema.json`; regenerate it with `hecate schema > schema/hecate.schema.json`. Put this first line in a YAML file to get completion and validation in editors using yaml-language-server (VS Code YAML, Neovim, Helix):\n\n```yaml\n# yaml-language-server: $schema=../schema/hecate.schema.json\n```\n\n";
  md += `## Kinds\n\n${KINDS.map((k) => `- [${k}](#${k.toLowerCase()})`).join("\n")}\n- [Presets](#presets)\n\n`;
  for (const kind of KINDS) {
    const doc = docs.find((d) => d.properties?.kind?.const === kind);
    const spec = doc?.properties?.spec;
    md += `## ${kind}\n\n${INTRO[kind]}\n\n`;
    if (spec?.oneOf || spec?.anyOf) {
      for (const alt of (spec.oneOf ?? spec.anyOf)!) {
        const t = alt.properties?.type?.const as string;
        const list: Row[] = [];
        for (const [k, v] of Object.entries(alt.properties ?? {})) if (k !== "type") rows(v, `spec.${k}`, `${kind}.${t}.${k}`, list, (alt.required ?? []).includes(k));
        md += `### type: ${t}\n\n${list.length ? table(list) : "No other fields.\n"}\n`;
      }
    } else if (spec) {
      const list: Row[] = [];
      rows(spec, "spec", `${kind}.spec`, list);
      md += table(list.slice(1)) + "\n";
    }
    const ex = examples.get(kind) ?? [];
    if (ex.length > 0) {
      const shown = kind === "Middleware" ? ex : ex.slice(0, 1);
      md += `### Example\n\n\`\`\`yaml\n${toYaml(shown).trimEnd()}\n\`\`\`\n\n`;
    }
  }
  md += "## Presets\n\nA route's own fields override its preset field by field (mappings merge; lists replace). Route presets also add their port to upstream addresses written without one. List them with `hecate presets`.\n\n";
  for (const p of listPresets()) {
    md += `### ${p.kind} preset \`${p.name}\`\n\n${p.description}\n\n`;
    if (p.port !== undefined) md += `Upstream port: ${p.port}. Defaults:\n\n\`\`\`json\n${JSON.stringify(p.defaults)}\n\`\`\`\n\n`;
    if (p.ports) md += `Ports: ${p.ports.map((x) => `\`${x.suffix}\` ${x.port}/${x.protocol}${x.idle ? ` (idle ${x.idle})` : ""}`).join(", ")}.\n\n`;
    if (p.notes) md += `${p.notes}\n\n`;
  }
  return md;
}
