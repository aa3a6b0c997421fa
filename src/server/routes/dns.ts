// The DNS commands that talk to the DNS provider with the store's credentials, on the server's side:
// a zone as it is held (`list dns --zone`, `export dns`), what the nameservers answer for a host
// (`check dns`), and adopting existing rrsets by labelling them (`import dns`). The token for the
// provider never leaves the server.
import { z } from "zod";
import { normalizeHost, zoneOf } from "../../model/net.js";
import { op, type App, type Server } from "../app.js";
import { errors, json } from "../schemas.js";

const isZone = (v: string) => {
  const n = normalizeHost(v, { wildcard: false });
  return n.ok && zoneOf(n.value) === n.value;
};
const Zone = z.object({ zone: z.string().refine(isZone, "not a zone: Hetzner holds registrable domains only, e.g. example.com").describe("The zone, e.g. example.com.") });
const RRSet = z
  .object({
    zone: z.string(),
    name: z.string().describe('Relative to the zone; "@" is the apex.'),
    type: z.string(),
    ttl: z.number().int().nullable().describe("null: the zone's default."),
    records: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
    resource: z.string().optional(),
  })
  .meta({ id: "RRSet" });
const HeldRRSet = RRSet.extend({ owned: z.boolean().describe("Labelled as Hecate's."), protected: z.boolean() }).meta({ id: "HeldRRSet" });
const CheckRow = z
  .object({
    server: z.string(),
    role: z.enum(["authoritative", "resolver"]),
    type: z.string(),
    want: z.array(z.string()),
    rcode: z.string(),
    authoritative: z.boolean(),
    values: z.array(z.string()),
    cname: z.string().optional(),
    error: z.string().optional(),
    live: z.boolean(),
  })
  .meta({ id: "DnsAnswer" });
const AdoptReport = z.object({ adopted: z.array(RRSet), owned: z.array(RRSet), skipped: z.array(z.object({ rrset: RRSet, why: z.string() })) }).meta({ id: "AdoptReport" });

export function dnsRoutes(app: App, s: Server): void {
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/dns/zones/{zone}",
      tags: ["dns"],
      summary: "A zone's rrsets as the DNS provider holds them now, with who owns each (`hecate list dns --zone`)",
      request: { params: Zone },
      responses: { 200: json(z.object({ items: z.array(HeldRRSet) }), "rrsets"), ...errors(400, 401, 403, 404, 502) },
    }),
    async (c) => c.json({ items: await s.engine(c).dnsZone(c.req.valid("param").zone) }, 200),
  );
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/dns/zones/{zone}/zonefile",
      tags: ["dns"],
      summary: "A zone as a BIND zone file, in the DNS provider's own export (`hecate export dns`)",
      request: { params: Zone },
      responses: { 200: json(z.object({ zonefile: z.string() }), "the zone file"), ...errors(400, 401, 403, 404, 502) },
    }),
    async (c) => c.json({ zonefile: await s.engine(c).dnsZoneFile(c.req.valid("param").zone) }, 200),
  );
  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/dns/zones/{zone}/adopt",
      tags: ["dns"],
      summary: "Label rrsets that exist at the DNS provider as Hecate's, changing no record (`hecate import dns`); survey: only say what would be adopted",
      request: { params: Zone, body: { required: true, content: { "application/json": { schema: z.strictObject({ rrsets: z.array(RRSet), survey: z.boolean() }).meta({ id: "AdoptRequest" }) } } } },
      responses: { 200: json(AdoptReport, "adopted, already Hecate's, skipped and why"), ...errors(400, 401, 403, 404, 502) },
    }),
    async (c) => {
      const b = c.req.valid("json");
      return c.json(await s.engine(c).adoptDns(c.req.valid("param").zone, b.rrsets, b.survey), 200);
    },
  );
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/dns/check/{host}",
      tags: ["dns"],
      summary: "What each authoritative server and the resolver answer for a host, against what the head wants (`hecate check dns`, one round)",
      request: {
        params: z.object({ host: z.string().refine((h) => normalizeHost(h, { wildcard: true, service: true }).ok, "not a host name") }),
        query: z.object({ servers: z.string().min(1).optional().describe("Comma-separated host[:port] to ask instead of the zone's nameservers."), resolver: z.string().min(1).optional() }),
      },
      responses: { 200: json(z.object({ items: z.array(CheckRow) }), "answers"), ...errors(400, 401, 403, 502) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const servers = q.servers?.split(",").map((x) => x.trim()).filter(Boolean);
      return c.json({ items: await s.engine(c).checkDns(c.req.valid("param").host, { ...(servers?.length ? { servers } : {}), ...(q.resolver ? { resolver: q.resolver } : {}) }) }, 200);
    },
  );
}
