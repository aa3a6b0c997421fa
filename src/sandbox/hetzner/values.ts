// Record value rules per rrset type, and the parse of a valid value into its fields (the nameserver's rdata).
import { isIPv4, isIPv6 } from "node:net";
import { isHostName } from "./names.js";

export const RRSET_TYPES = ["A", "AAAA", "CAA", "CNAME", "DS", "HINFO", "HTTPS", "MX", "NS", "PTR", "RP", "SOA", "SRV", "SVCB", "TLSA", "TXT"] as const;
export type RRSetType = (typeof RRSET_TYPES)[number];
export const isRRSetType = (t: unknown): t is RRSetType => typeof t === "string" && (RRSET_TYPES as readonly string[]).includes(t);

const uint = (s: string | undefined, max: number): boolean => s !== undefined && /^\d{1,10}$/.test(s) && Number(s) <= max;
const hex = (s: string | undefined): boolean => s !== undefined && /^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0;
const target = (s: string | undefined): boolean => s !== undefined && (s === "." || isHostName(s));

/**
 * Split a sequence of DNS character-strings: `"a" "b\"c"` → ['a', 'b"c']. Returns a problem string when the
 * text is not one or more double-quoted strings separated by single spaces, with only \" and \\ escaped.
 */
export function parseQuoted(text: string): string[] | string {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (out.length > 0) {
      if (text[i] !== " ") return "strings must be separated by one space";
      i++;
    }
    if (text[i] !== '"') return "must be one or more double-quoted strings";
    i++;
    let s = "";
    for (;;) {
      const ch = text[i];
      if (ch === undefined) return "has an unterminated quoted string";
      if (ch === '"') break;
      if (ch === "\\") {
        const next = text[i + 1];
        if (next !== '"' && next !== "\\") return 'only \\" and \\\\ may be escaped';
        s += next;
        i += 2;
        continue;
      }
      s += ch;
      i++;
    }
    i++;
    if (Buffer.byteLength(s) > 255) return "each quoted string must be at most 255 characters; split longer text into several strings";
    out.push(s);
  }
  if (out.length === 0) return "must be one or more double-quoted strings";
  return out;
}

/** Quote text for a TXT value, split into 255-byte strings: the form the API wants. */
export function quoteTxt(text: string): string {
  const parts: string[] = [];
  let rest = Buffer.from(text);
  do {
    let cut = Math.min(255, rest.length);
    // Never split inside a UTF-8 sequence.
    while (cut < rest.length && (rest[cut]! & 0xc0) === 0x80) cut--;
    parts.push(rest.subarray(0, cut).toString());
    rest = rest.subarray(cut);
  } while (rest.length > 0);
  return parts.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(" ");
}

/** Why a value is not valid for a type, or null when it is. */
export function valueProblem(type: RRSetType, value: string): string | null {
  if (/[^\x20-\x7e]/.test(value) && type !== "TXT") return "must be ASCII; transcribe internationalized names to punycode";
  if (/[\r\n\t]/.test(value)) return "must not contain control characters";
  const f = value.split(" ");
  switch (type) {
    case "A":
      return isIPv4(value) ? null : "is not an IPv4 address";
    case "AAAA":
      return isIPv6(value) && !value.includes("%") ? null : "is not an IPv6 address";
    case "CNAME":
    case "NS":
    case "PTR":
      return isHostName(value) ? null : "is not a host name";
    case "MX":
      return f.length === 2 && uint(f[0], 65535) && target(f[1]) ? null : 'must be "priority host"';
    case "SRV":
      return f.length === 4 && uint(f[0], 65535) && uint(f[1], 65535) && uint(f[2], 65535) && target(f[3])
        ? null
        : 'must be "priority weight port target"';
    case "CAA": {
      const m = /^(\d{1,3}) ([a-zA-Z0-9]+) (".*")$/.exec(value);
      if (!m || Number(m[1]) > 255) return 'must be flags tag "value"';
      const v = parseQuoted(m[3]!);
      return typeof v === "string" || v.length !== 1 ? 'must be flags tag "value" with one quoted value' : null;
    }
    case "TXT": {
      const v = parseQuoted(value);
      return typeof v === "string" ? v : null;
    }
    case "HINFO": {
      const v = parseQuoted(value);
      return typeof v === "string" || v.length !== 2 ? 'must be "cpu" "os"' : null;
    }
    case "DS":
      return f.length === 4 && uint(f[0], 65535) && uint(f[1], 255) && uint(f[2], 255) && hex(f[3])
        ? null
        : "must be key-tag algorithm digest-type hex-digest";
    case "TLSA":
      return f.length === 4 && uint(f[0], 255) && uint(f[1], 255) && uint(f[2], 255) && hex(f[3])
        ? null
        : "must be usage selector matching-type hex-data";
    case "RP":
      return f.length === 2 && target(f[0]) && target(f[1]) ? null : "must be mailbox-name txt-name";
    case "HTTPS":
    case "SVCB":
      return f.length >= 2 && uint(f[0], 65535) && target(f[1]) && f.slice(2).every((p) => /^[a-z0-9-]+(=\S+)?$/.test(p))
        ? null
        : "must be priority target [key=value …]";
    case "SOA":
      return f.length === 7 && target(f[0]) && target(f[1]) && f.slice(2).every((n) => uint(n, 4294967295))
        ? null
        : "must be mname rname serial refresh retry expire minimum";
  }
}

/** The fields of a valid SOA value. */
export function parseSoa(value: string): { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } {
  const [mname = "", rname = "", ...n] = value.split(" ");
  const [serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0] = n.map(Number);
  return { mname, rname, serial, refresh, retry, expire, minimum };
}
