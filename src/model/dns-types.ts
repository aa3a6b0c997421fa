// The DNS record types a DnsRecord may have: every type the Hetzner Cloud API takes but SOA, which
// belongs to the zone. Kept free of zod so the CLI can list them without loading the schemas.
export const DNS_TYPES = ["A", "AAAA", "CAA", "CNAME", "DS", "HINFO", "HTTPS", "MX", "NS", "PTR", "RP", "SRV", "SVCB", "TLSA", "TXT"] as const;
