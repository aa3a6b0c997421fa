// JSON Schema of a Hecate document (any kind), for editors (yaml-language-server) and `hecate schema`.
import { z } from "zod";
import { API_VERSION, ResourceDoc } from "./schema.js";

/**
 * Draft-07, which yaml-language-server and Ajv's default build both handle fully. The zod
 * schemas are the source; this only adds a title and id.
 */
export function jsonSchema(): Record<string, unknown> {
  const body = z.toJSONSchema(ResourceDoc, { target: "draft-7", io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://hecate.io/schema/v1/hecate.schema.json",
    title: `Hecate resource (${API_VERSION})`,
    description: "One Hecate document: apiVersion, kind, metadata and spec. See docs/resources.md.",
    ...Object.fromEntries(Object.entries(body).filter(([k]) => k !== "$schema")),
  };
}
