// JSON Schema of a Hecate document (any kind), for editors (yaml-language-server) and `hecate schema`.
import { z } from "zod";
import { API_VERSION, ResourceDoc } from "./schema.js";

/**
 * Draft-07, which yaml-language-server and Ajv's default build both handle fully. The zod
 * schemas are the source; this only adds a title and id.
 */
export function jsonSchema(): Record<string, unknown> {
  const body = z.toJSONSchema(ResourceDoc, { target: "draft-7", io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  stripNonStandardFormats(body);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://hecate.io/schema/v1/hecate.schema.json",
    title: `Hecate resource (${API_VERSION})`,
    description: "One Hecate document: apiVersion, kind, metadata and spec. See docs/resources.md.",
    ...Object.fromEntries(Object.entries(body).filter(([k]) => k !== "$schema")),
  };
}

/** JSON Schema formats editors and validators know; zod also emits its own (e.g. "starts_with", covered by `pattern`). */
const STANDARD_FORMATS = new Set(["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uuid", "regex"]);

function stripNonStandardFormats(node: unknown): void {
  if (Array.isArray(node)) node.forEach(stripNonStandardFormats);
  else if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (typeof o.format === "string" && !STANDARD_FORMATS.has(o.format)) delete o.format;
    Object.values(o).forEach(stripNonStandardFormats);
  }
}
