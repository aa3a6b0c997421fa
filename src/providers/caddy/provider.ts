// The Caddy provider: reads Hecate's part of every node's live config, diffs it per route, and
// applies it as one If-Match-guarded whole-config swap per node, never touching what it does not own.
import { createHash } from "node:crypto";
import type { Diagnostic } from "../../diag.js";
import { HecateError } from "../../diag.js";
import type { ResolvedSettings, ResolvedState } from "../../model/resolved.js";
import { compileCaddy } from "../../compile/caddy/index.js";
import { resolveSecrets, secretRefs } from "../../compile/caddy/secrets.js";
import type { CaddyOwned, CaddyTarget } from "../../compile/caddy/types.js";
import type { Change, Provider, ProviderContext, StepRecord } from "../provider.js";
import { adminOptions, CaddyClient, CHANGED_MESSAGE, type LiveConfig } from "./client.js";
import { diffOwned } from "./diff.js";
import { DEFAULT_SERVER, type OwnedConfig, caddyText, canonical, extractOwned, isOwnedServerName, mergeOwned } from "./owned.js";

/** What read() returns: plain data (no secrets, no foreign config), safe to print and journal. */
export interface CaddyActual {
  /** Hecate's part of the first node's config, normalized, secrets redacted. */
  owned: OwnedConfig;
  /** Every node read, in settings order, with the Etag its config had (for If-Match). */
  nodes: { endpoint: string; etag: string }[];
  /** Problems found while reading, e.g. nodes of a fleet that disagree. */
  diagnostics: Diagnostic[];
}

/** What apply journals so undo() can put every node back, even from another process. */
export interface CaddyUndo {
  nodes: {
    endpoint: string;
    /** The node's whole config before apply (it may hold resolved secrets: keep the journal private). */
    previous: unknown;
    /**
     * sha256 of the exact text Hecate loaded (Caddy answers GET /config/ with those very bytes):
     * undo refuses to overwrite a node whose config no longer hashes to it (someone changed it since).
     */
    appliedHash?: string;
    /** The same check by Etag, as records journaled by earlier versions carry it. */
    appliedEtag?: string;
  }[];
}

export interface CaddyProviderOptions {
  /** Version/modules compile aims at (default: from settings). */
  target?: CaddyTarget;
  /** Admin API request timeout (default 120 s: big configs load slowly). */
  timeoutMs?: number;
}

interface LiveNode extends LiveConfig {
  endpoint: string;
  client: CaddyClient;
}

export function createCaddyProvider(settings: ResolvedSettings["caddy"], opts: CaddyProviderOptions = {}): Provider<CaddyOwned, CaddyActual> {
  const server = settings.server || DEFAULT_SERVER;
  const endpoints = settings.admin.length ? settings.admin : ["http://127.0.0.1:2019"];
  const target: CaddyTarget = opts.target ?? { version: settings.version, modules: settings.modules };
  // The whole live configs behind an Actual, for apply in the same process. Kept out of the
  // Actual itself because they hold foreign config and resolved secrets.
  const fullConfigs = new WeakMap<CaddyActual, LiveNode[]>();
  // Per desired config and node: the sha256 of the exact text apply sent. GET /config/ answering
  // that very text proves the node runs what was sent, so verify can skip the structural compare.
  const sent = new WeakMap<object, Map<string, string>>();
  // Per desired config: the undo data apply returned, so verify can settle its appliedHash.
  const undoFor = new WeakMap<object, CaddyUndo>();
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
  const clientFor = (endpoint: string, ctx?: ProviderContext) => new CaddyClient(endpoint, adminOptions(settings, { timeoutMs: opts.timeoutMs, signal: ctx?.signal }));

  async function readNodes(ctx: ProviderContext): Promise<LiveNode[]> {
    return Promise.all(
      endpoints.map(async (endpoint) => {
        const client = clientFor(endpoint, ctx);
        return { endpoint, client, ...(await client.getConfig()) };
      }),
    );
  }

  /** The live configs apply works on: the ones read for this Actual, or fresh ones if unchanged. */
  async function nodesFor(actual: CaddyActual, ctx: ProviderContext): Promise<LiveNode[]> {
    const cached = fullConfigs.get(actual);
    if (cached) return cached;
    const fresh = await readNodes(ctx);
    for (const node of fresh) {
      const seen = actual.nodes.find((n) => n.endpoint === node.endpoint);
      if (!seen || seen.etag !== node.etag) {
        throw new HecateError("caddy-changed", `${CHANGED_MESSAGE} (${node.client.label})`, { status: 409 });
      }
    }
    return fresh;
  }

  function desiredChecks(desired: CaddyOwned): void {
    const foreign = Object.keys(desired.apps.http.servers).filter((n) => !isOwnedServerName(n, server));
    if (foreign.length) {
      throw new HecateError("caddy-ownership", `Caddy server(s) ${foreign.join(", ")} are not Hecate's: Hecate owns "${server}" and servers named hecate*`);
    }
  }

  const provider: Provider<CaddyOwned, CaddyActual> = {
    system: "caddy",

    compile(state: ResolvedState) {
      const { config, diagnostics } = compileCaddy(state, target);
      return { desired: config, diagnostics };
    },

    async read(ctx) {
      const nodes = await readNodes(ctx);
      const owned = nodes.map((n) => extractOwned(n.config, server));
      const diagnostics: Diagnostic[] = [];
      const first = owned[0]!;
      for (let i = 1; i < nodes.length; i++) {
        const diff = diffOwned(first, owned[i]!);
        if (diff.length) {
          diagnostics.push({
            severity: "warning",
            code: "caddy-fleet-disagree",
            message: `Caddy node ${nodes[i]!.client.label} differs from ${nodes[0]!.client.label} in ${diff.length} object(s) (${diff
              .slice(0, 3)
              .map((c) => `${c.kind} ${c.id}`)
              .join(", ")}${diff.length > 3 ? ", …" : ""}); apply makes every node match`,
          });
        }
      }
      const actual: CaddyActual = { owned: first, nodes: nodes.map((n) => ({ endpoint: n.endpoint, etag: n.etag })), diagnostics };
      fullConfigs.set(actual, nodes);
      return actual;
    },

    diff(desired, actual) {
      return diffOwned(desired as unknown as OwnedConfig, actual.owned);
    },

    async apply(desired, actual, _changes: Change[], ctx) {
      desiredChecks(desired);
      // Secrets exist in resolved form only here, on the way to Caddy.
      const resolved = (secretRefs(desired).length ? await resolveSecrets(desired, ctx.secrets) : desired) as unknown as OwnedConfig;
      const nodes = await nodesFor(actual, ctx);
      const undo: CaddyUndo = { nodes: [] };
      const detail: { endpoint: string; reloaded: boolean }[] = [];
      const expected = new Map<string, string>();
      sent.set(desired, expected);
      for (const node of nodes) {
        // Sent as Caddy's own text, so what GET /config/ answers can be compared byte for byte.
        const text = caddyText(mergeOwned(node.config, resolved, server));
        expected.set(node.endpoint, sha256(text));
        if (node.text !== undefined ? text === node.text : canonical(JSON.parse(text)) === canonical(node.config)) {
          detail.push({ endpoint: node.endpoint, reloaded: false });
          continue; // same bytes: no reload at all
        }
        try {
          // A client carrying this apply's signal (node.client has the read's): a step timeout must reach the write.
          await clientFor(node.endpoint, ctx).putConfigText(text, node.etag);
        } catch (err) {
          const rollback = await rollBack(undo, ctx);
          if (err instanceof HecateError) {
            const msg = rollback.length ? `${err.message}; rolling back earlier nodes failed: ${rollback.join("; ")}` : err.message;
            throw new HecateError(err.code, msg, { diagnostics: err.diagnostics, status: err.status, cause: err });
          }
          throw err;
        }
        ctx.log?.(`caddy: loaded new config on ${node.client.label}`);
        // No read back for an Etag: the hash of what was sent identifies Hecate's config (and
        // verify, which reads anyway, corrects it should Caddy's text ever differ from ours).
        undo.nodes.push({ endpoint: node.endpoint, previous: node.config, appliedHash: expected.get(node.endpoint)! });
        detail.push({ endpoint: node.endpoint, reloaded: true });
      }
      fullConfigs.delete(actual); // its Etags are stale now
      undoFor.set(desired, undo);
      // Each node's whole previous config can hold secrets (Hecate's and other apps'): sensitive.
      return { undo, detail: { nodes: detail }, sensitive: true } satisfies StepRecord;
    },

    async undo(record, ctx) {
      const errors = await rollBack(record.undo as CaddyUndo, ctx);
      if (errors.length) throw new HecateError("caddy-undo-failed", `could not restore Caddy's previous config: ${errors.join("; ")}`, { status: 502 });
    },

    async verify(desired, ctx) {
      const expected = sent.get(desired);
      const diagnostics: Diagnostic[] = [];
      const perNode: Diagnostic[][] = [];
      await Promise.all(
        endpoints.map(async (endpoint, i) => {
          const client = clientFor(endpoint, ctx);
          const { text } = await client.getConfigText();
          const hash = sha256(text);
          // Exactly the text apply sent for this desired config: the node runs it, nothing to compare.
          if (expected?.get(endpoint) === hash) return;
          let config: unknown;
          try {
            config = JSON.parse(text);
          } catch {
            throw new HecateError("caddy-rejected", `Caddy at ${client.label} answered GET /config/ with something that is not JSON`, { status: 502 });
          }
          const found: Diagnostic[] = [];
          for (const c of diffOwned(desired as unknown as OwnedConfig, extractOwned(config, server))) {
            const what = c.action === "create" ? "is missing" : c.action === "delete" ? "should not be there" : `differs (${(c.fields ?? []).map((f) => f.path).slice(0, 3).join(", ")})`;
            found.push({
              severity: "error",
              code: "caddy-verify",
              message: `Caddy ${client.label}: ${c.kind} ${c.id} ${what}`,
              ...(c.resource ? { address: c.resource } : {}),
            });
          }
          perNode[i] = found;
          // Caddy runs what was sent, in bytes of its own (an encoding caddyText does not mirror):
          // those bytes, not ours, are what undo must recognise as Hecate's config.
          const node = found.length ? undefined : undoFor.get(desired)?.nodes.find((n) => n.endpoint === endpoint);
          if (node) node.appliedHash = hash;
        }),
      );
      for (const found of perNode) if (found) diagnostics.push(...found);
      return diagnostics;
    },
  };

  /**
   * Put nodes back to their previous config, last changed first. Safe to repeat: a node already
   * back is skipped; a node someone changed after Hecate's apply is left alone and reported.
   */
  async function rollBack(record: CaddyUndo, ctx: ProviderContext): Promise<string[]> {
    const errors: string[] = [];
    for (const node of [...(record?.nodes ?? [])].reverse()) {
      const client = clientFor(node.endpoint, ctx);
      try {
        const live = await client.getConfig();
        if (canonical(live.config) === canonical(node.previous)) continue;
        const changed = node.appliedHash ? live.text === undefined || sha256(live.text) !== node.appliedHash : !!node.appliedEtag && live.etag !== node.appliedEtag;
        if (changed) {
          errors.push(`${client.label}: changed by someone else since Hecate's apply; not overwriting it`);
          continue;
        }
        await client.putConfig(node.previous, live.etag);
        ctx.log?.(`caddy: restored previous config on ${client.label}`);
      } catch (err) {
        errors.push(`${client.label}: ${(err as Error).message}`);
      }
    }
    return errors;
  }

  return provider;
}
