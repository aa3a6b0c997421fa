// Every kind the CLI has a noun for, as a collection: list, create, read, replace, delete. Bodies
// are whole documents checked by the model's schemas (the YAML ones) with the CLI's messages;
// each resource has an ETag (its content hash) and If-Match on replace and delete answers 412 when
// the resource changed since it was read. Writes go through the engine's edits (group-committed in a queue), like the CLI's.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Context } from "hono";
import { HecateError, type Diagnostic } from "../../diag.js";
import * as model from "../../model/index.js";
import type { Resource } from "../../model/schema.js";
import { addressOf, deletion, mustBeNew, mustFind, type Edit, type EditOutcome } from "../../engine/edit.js";
import { NOUNS, type NounDef } from "../../cli/nouns/index.js";
import { op, sent, type App, type Env, type Server } from "../app.js";
import { DOCS, EditResult, errors, json, RevisionRef } from "../schemas.js";

/** Strong ETag of one resource: its canonical content's hash. */
export function etagOf(r: Resource): string {
  return `"${createHash("sha256").update(model.canonicalJson(r)).digest("hex").slice(0, 32)}"`;
}

/** 412 unless If-Match (when given) names the resource as it is now. */
function checkIfMatch(c: Context<Env>, noun: NounDef, current: Resource): void {
  const header = c.req.header("if-match");
  if (header === undefined || header.trim() === "*") return;
  const given = header.split(",").map((t) => t.trim());
  const now = etagOf(current);
  if (!given.includes(now)) {
    throw new HecateError("precondition-failed", `${noun.noun} "${current.metadata.name}" has changed since it was read (its ETag is now ${now}, If-Match gave ${header}); read it again and redo the change`, { status: 412 });
  }
}


const Name = z.object({ name: z.string().min(1).describe("Resource name (a route also answers to one of its hosts).") });
const WriteQuery = z.object({
  dryRun: z.enum(["true", "false"]).optional().describe("Validate and show what would change; store nothing."),
  message: z.string().optional().describe("Revision message (default generated, e.g. \"create route app\")."),
});
const IfMatch = z.object({ "if-match": z.string().optional().describe("The ETag from a read: the change is made only if the resource is still that (else 412).") });

/** A resource body that failed its schema: the CLI's messages for the same document, or the kind mismatch. */
function bodyError(noun: NounDef, data: unknown): HecateError {
  const kind = data && typeof data === "object" ? (data as { kind?: unknown }).kind : undefined;
  const diagnostics: Diagnostic[] =
    kind !== undefined && kind !== noun.kind && typeof kind === "string"
      ? [{ severity: "error", code: "kind", message: `expected kind ${noun.kind} here (this is \`${noun.noun}\`), found ${kind}`, field: "kind" }]
      : model.checkDocument(data, addressIn(data)).diagnostics;
  const errs = diagnostics.filter((d) => d.severity === "error");
  return new HecateError("invalid", `the request body is not a valid ${noun.kind} (${errs.length} error${errs.length === 1 ? "" : "s"})`, { diagnostics: errs });
}

export function addressIn(data: unknown): { address?: string } {
  const name = (data as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  const kind = (data as { kind?: unknown } | undefined)?.kind;
  return typeof name === "string" && typeof kind === "string" ? { address: `${kind}/${name}` } : {};
}

/** The answer to a write: 201/200 with the revision, or the dry run; the ETag of what is stored now. */
function answer(c: Context<Env>, out: EditOutcome, status: 200 | 201, resource?: Resource): never {
  if (out.status === "unchanged") return sent(c.json({ revision: null, changed: [], message: "no changes", warnings: [] as Diagnostic[], ...(resource ? { resource } : {}) }, 200));
  const { change, warnings } = out;
  const body = {
    revision: out.status === "stored" ? { seq: out.revision.seq, hash: out.revision.hash } : null,
    changed: change.changed,
    message: change.message,
    warnings,
    ...(out.status === "dry-run" ? { dryRun: true } : {}),
    ...(resource ? { resource } : {}),
  };
  if (resource && out.status === "stored") c.header("ETag", etagOf(resource));
  return sent(c.json(body, out.status === "stored" ? status : 200));
}

export function resourceRoutes(app: App, s: Server): void {
  for (const noun of NOUNS) {
    const base = `/v1/${noun.plural}`;
    const Doc = DOCS[noun.kind];
    const tags = [noun.plural];
    const edit = (c: Context<Env>, fn: Edit) => s.actions.edit(c, fn);
    const bodyHook = (result: { success: boolean; target: string }, c: Context<Env>) => {
      if (result.success || result.target !== "json") return undefined;
      // The raw body (already read and parsed by the validator; Hono keeps it).
      return c.req.json().then((data: unknown) => {
        throw bodyError(noun, data);
      });
    };

    app.openapi(
      op("read", {
        method: "get",
        path: base,
        tags,
        summary: `List ${noun.plural} (the head revision)`,
        request: { query: z.object({ selector: z.string().optional().describe("Only resources with these labels: key=value[,key=value]") }) },
        responses: { 200: json(z.object({ items: z.array(Doc), revision: RevisionRef.nullable() }), `the ${noun.plural}`), ...errors(400, 401, 403) },
      }),
      async (c) => {
        const selector: Record<string, string> = {};
        for (const item of (c.req.valid("query").selector ?? "").split(",").filter(Boolean)) {
          const eq = item.indexOf("=");
          if (eq <= 0) throw new HecateError("usage", `selector expects KEY=VALUE, got "${item}"`, { diagnostics: [{ severity: "error", code: "usage", message: `selector expects KEY=VALUE, got "${item}"`, field: "selector" }] });
          selector[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
        }
        const head = await s.store.head();
        const items = (head?.resources ?? [])
          .filter((r) => r.kind === noun.kind && Object.entries(selector).every(([k, v]) => r.metadata.labels?.[k] === v))
          .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
        return c.json({ items, revision: head ? { seq: head.seq, hash: head.hash } : null }, 200);
      },
    );

    app.openapi(
      op("read", {
        method: "get",
        path: `${base}/{name}`,
        tags,
        summary: `Read one ${noun.noun} as stored, with its ETag`,
        request: { params: Name },
        responses: { 200: { ...json(Doc, `the ${noun.noun}`), headers: { ETag: { schema: { type: "string" }, description: "Give it as If-Match to change this version only." } } }, ...errors(401, 403, 404) },
      }),
      async (c) => {
        const head = await s.store.head();
        const r = mustFind(head?.resources ?? [], noun, c.req.valid("param").name);
        c.header("ETag", etagOf(r));
        return c.json(r, 200);
      },
    );

    app.openapi(
      op("write", {
        method: "post",
        path: base,
        tags,
        summary: `Create ${noun.noun === "auth-policy" || noun.noun === "upstream" ? "an" : "a"} ${noun.noun} (a new revision)`,
        request: { query: WriteQuery, body: { required: true, content: { "application/json": { schema: Doc } } } },
        responses: { 201: json(EditResult, "stored"), 200: json(EditResult, "dry run"), ...errors(400, 401, 403, 409) },
      }),
      async (c) => {
        const raw = (await c.req.json()) as Resource;
        const q = c.req.valid("query");
        const out = await edit(c, async (resources) => {
          mustBeNew(resources, noun, raw.metadata.name);
          return { after: [...resources, raw], changed: [addressOf(raw)], message: q.message ?? `create ${noun.noun} ${raw.metadata.name}`, dryRun: q.dryRun === "true" };
        });
        if (out.status === "stored") c.header("Location", `${base}/${raw.metadata.name}`);
        return answer(c, out, 201, raw);
      },
      bodyHook,
    );

    app.openapi(
      op("write", {
        method: "put",
        path: `${base}/{name}`,
        tags,
        summary: `Replace ${noun.noun} NAME with the body (If-Match: only if unchanged since read)`,
        request: { params: Name, query: WriteQuery, headers: IfMatch, body: { required: true, content: { "application/json": { schema: Doc } } } },
        responses: { 200: json(EditResult, "stored, unchanged, or a dry run"), ...errors(400, 401, 403, 404, 412) },
      }),
      async (c) => {
        const raw = (await c.req.json()) as Resource;
        const q = c.req.valid("query");
        const name = c.req.valid("param").name;
        const out = await edit(c, async (resources) => {
          const current = mustFind(resources, noun, name);
          checkIfMatch(c, noun, current);
          if (raw.metadata.name !== current.metadata.name) {
            const message = `the body names ${noun.kind} "${raw.metadata.name}", but the path names "${current.metadata.name}" (a resource is renamed by creating the new one and deleting the old)`;
            throw new HecateError("invalid", message, { diagnostics: [{ severity: "error", code: "name", message, field: "metadata.name" }] });
          }
          if (model.canonicalJson(raw) === model.canonicalJson(current)) return undefined;
          return { after: resources.map((r) => (r === current ? raw : r)), changed: [addressOf(raw)], message: q.message ?? `update ${noun.noun} ${current.metadata.name}`, dryRun: q.dryRun === "true" };
        });
        if (out.status === "unchanged") c.header("ETag", etagOf(raw));
        return answer(c, out, 200, raw);
      },
      bodyHook,
    );

    app.openapi(
      op("write", {
        method: "delete",
        path: `${base}/{name}`,
        tags,
        summary: `Delete ${noun.noun} NAME (refused while referenced, unless cascade)`,
        request: {
          params: Name,
          query: WriteQuery.extend({ cascade: z.enum(["true", "false"]).optional().describe("Also delete every resource that refers to it.") }),
          headers: IfMatch,
        },
        responses: { 200: json(EditResult, "deleted, or a dry run"), ...errors(400, 401, 403, 404, 409, 412) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const name = c.req.valid("param").name;
        const out = await edit(c, async (resources) => {
          const target = mustFind(resources, noun, name);
          checkIfMatch(c, noun, target);
          const gone = deletion(model, resources, noun, target, q.cascade === "true", name);
          const extra = gone.filter((r) => r !== target);
          return {
            after: resources.filter((r) => !gone.includes(r)),
            changed: gone.map(addressOf),
            message: q.message ?? `delete ${noun.noun} ${name}${extra.length ? ` (cascade: ${extra.map(addressOf).join(", ")})` : ""}`,
            dryRun: q.dryRun === "true",
          };
        });
        return answer(c, out, 200);
      },
    );
  }
}
