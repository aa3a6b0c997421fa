// Backup and restore over the API (admin): the same signed archive `hecate backup` writes, sent as
// the answer; a restore takes that archive as the request body and answers the report `hecate
// restore` prints (dryRun shows it without changing anything). The engine does both, as locally;
// the server only holds the bytes in a private temporary directory while it works.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { HecateError } from "../../diag.js";
import { op, sent, type App, type Server } from "../app.js";
import { errors, json } from "../schemas.js";

/** Largest archive a restore accepts (a 10,000-route store with history is a few MB). */
const MAX_RESTORE_BYTES = 512 * 1024 * 1024;

const RestoreReport = z
  .object({
    dryRun: z.boolean(),
    file: z.string(),
    created: z.string(),
    signature: z.object({ status: z.enum(["valid", "skipped"]), keyId: z.string().optional(), reason: z.string().optional() }),
    revisions: z.object({ added: z.array(z.string()), removed: z.array(z.string()), total: z.number().int() }),
    headBefore: z.string().optional(),
    headAfter: z.string().optional(),
    appliedBefore: z.string().optional(),
    appliedAfter: z.string().optional(),
    audit: z.object({ before: z.number().int(), after: z.number().int(), added: z.number().int(), removed: z.number().int() }),
    secrets: z.object({ before: z.number().int(), after: z.number().int(), added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) }),
    settings: z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) }),
    applies: z.object({ before: z.number().int(), after: z.number().int(), abandoned: z.array(z.record(z.string(), z.unknown())) }),
  })
  .meta({ id: "RestoreReport" });

const Name = z.string().min(1).max(500).optional().describe("What the audit log and the report call the file (the CLI sends its path).");

/** A private scratch directory for one request, removed afterwards whatever happens. */
async function scratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "hecate-api-backup-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function backupRoutes(app: App, s: Server): void {
  app.openapi(
    op("admin", {
      method: "get",
      path: "/v1/backup",
      tags: ["admin"],
      summary: "The whole store as a signed backup archive (tar.gz; secrets stay encrypted), as `hecate backup` writes it",
      request: { query: z.object({ name: Name }) },
      responses: {
        200: {
          description: "the archive; its manifest (counts, key id) also in the Hecate-Backup-Manifest header, as JSON",
          content: { "application/gzip": { schema: z.string().meta({ format: "binary" }) } },
          headers: { "Hecate-Backup-Manifest": { schema: { type: "string" }, description: "The archive's manifest.json, as one line of JSON." } },
        },
        ...errors(400, 401, 403),
      },
    }),
    async (c) => {
      const name = c.req.valid("query").name ?? "download";
      const { bytes, manifest } = await scratch(async (dir) => {
        const file = join(dir, "backup.tar.gz");
        const manifest = await s.engine(c).backup(file, name);
        return { bytes: await readFile(file), manifest };
      });
      c.header("Hecate-Backup-Manifest", JSON.stringify(manifest));
      c.header("Content-Disposition", `attachment; filename="hecate-${manifest.created.slice(0, 10)}.tar.gz"`);
      return sent(c.body(bytes, 200, { "content-type": "application/gzip" }));
    },
  );

  app.openapi(
    op("admin", {
      method: "post",
      path: "/v1/restore",
      tags: ["admin"],
      summary: "Replace the store with a signed backup archive sent as the body (dryRun: only report what would change), as `hecate restore`",
      description:
        "The body is the archive (`content-type: application/gzip`). A restore that removes revisions or audit entries, or skips the signature, needs `yes=true` (else 409 confirmation-required, nothing changed); a bad or unsigned archive is 400 with the reason.",
      request: {
        query: z.object({
          dryRun: z.enum(["true", "false"]).optional(),
          yes: z.enum(["true", "false"]).optional().describe("Confirm a restore that removes revisions or audit entries (the CLI's --yes)."),
          skipSignature: z.enum(["true", "false"]).optional().describe("Restore even when the signature is missing or does not verify (audited; the CLI's --insecure-skip-signature)."),
          name: Name,
        }),
        body: { required: true, content: { "application/gzip": { schema: z.string().meta({ format: "binary" }) } } },
      },
      responses: { 200: json(RestoreReport, "restored, or what a restore would change (dryRun)"), ...errors(400, 401, 403, 409, 413) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const bytes = Buffer.from(await c.req.arrayBuffer());
      if (bytes.length === 0) throw new HecateError("invalid", "send the backup archive as the request body (content-type: application/gzip)", { diagnostics: [{ severity: "error", code: "body", message: "the request body is empty", field: "body" }] });
      if (bytes.length > MAX_RESTORE_BYTES) throw new HecateError("too-large", `the archive is larger than ${MAX_RESTORE_BYTES} bytes`, { status: 413 });
      const name = q.name ?? "upload";
      const skipSignature = q.skipSignature === "true";
      const report = await scratch(async (dir) => {
        const file = join(dir, "restore.tar.gz");
        await writeFile(file, bytes, { mode: 0o600 });
        const engine = s.engine(c);
        const preview = await engine.restore(file, { dryRun: true, skipSignature, name }).catch((e: unknown) => {
          // What is wrong with the archive is wrong with the request body: say so as a field.
          if (e instanceof HecateError && e.status === 400 && !e.diagnostics.length) throw new HecateError(e.code, e.message, { diagnostics: [{ severity: "error", code: e.code, message: e.message, field: "body" }] });
          throw e;
        });
        if (q.dryRun === "true") return preview;
        const destructive = preview.revisions.removed.length > 0 || preview.audit.removed > 0 || preview.signature.status !== "valid";
        if (destructive && q.yes !== "true") {
          throw new HecateError(
            "confirmation-required",
            `restoring ${name} would remove ${preview.revisions.removed.length} revision(s) and ${preview.audit.removed} audit row(s)${preview.signature.status === "skipped" ? " and its signature is not verified" : ""}; check with dryRun=true, then send it again with yes=true`,
            { status: 409 },
          );
        }
        return engine.restore(file, { skipSignature, name });
      });
      return sent(c.json(report, 200));
    },
  );
}
