// The Caddy provider: reads Hecate's part of every node's live config, diffs it per route, and
// applies it as one If-Match-guarded whole-config swap per node, never touching what it does not own.
import { createHash } from "node:crypto";
import type { Diagnostic } from "../../diag.js";
import { HecateError } from "../../diag.js";
import type { ResolvedSettings, ResolvedState } from "../../model/resolved.js";
import { compileCaddy } from "../../compile/caddy/index.js";
import { resolveSecrets, secretRefs } from "../../compile/caddy/secrets.js";
import type { CaddyOwned, CaddyTarget } from "../../compile/caddy/types.js";
import type { Provider, ProviderContext } from "../provider.js";
import { adminOptions, CaddyClient, CHANGED_MESSAGE, type LiveConfig } from "./client.js";
import { diffOwned } from "./diff.js";
import { DEFAULT_SERVER, type OwnedConfig, caddyText, canonical, extractOwned, isOwnedServerName, mergeOwned } from "./owned.js";

/**
 * What read() returns: plain data (no secrets, no foreign config), safe to print and journal.
 * The whole live configs it was read from travel with it in a private field, which never
 * serializes, so apply works on exactly what the plan saw without reading again.
 */
export class CaddyActual {
  readonly #live: LiveNode[];
  constructor(
    /** Hecate's part of the first node's config, normalized, secrets redacted. */
    readonly owned: OwnedConfig,
    /** Every node read, in settings order, with the Etag its config had (for If-Match). */
    readonly nodes: { endpoint: string; etag: string }[],
    /** Problems found while reading, e.g. nodes of a fleet that disagree. */
    readonly diagnostics: Diagnostic[],
    live: LiveNode[],
  ) {
    this.#live = live;
  }
  /** The live configs behind this reading (foreign config and resolved secrets included). */
  live(): LiveNode[] {
    return this.#live;
  }
}

/** What apply reports per node, so undo can put that node back, even from another process. */
export interface CaddyUndo {
  endpoint: string;
  /** The node's whole config before apply (it may hold resolved secrets: the record is sealed). */
  previous: unknown;
  /**
   * sha256 of the exact text Hecate loaded, in Caddy's own encoding: undo refuses to overwrite a
   * node whose config no longer is that (someone changed it since).
   */
  appliedHash: string;
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

  /**
   * The live configs apply works on: the ones read for this Actual, or (an Actual that came back
   * from a saved plan, without them) fresh ones, if their Etags are still the ones planned.
   */
  async function nodesFor(actual: CaddyActual, ctx: ProviderContext): Promise<LiveNode[]> {
    if (actual instanceof CaddyActual) return actual.live();
    const planned = actual as { nodes: { endpoint: string; etag: string }[] };
    const fresh = await readNodes(ctx);
    for (const node of fresh) {
      const seen = planned.nodes.find((n) => n.endpoint === node.endpoint);
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

  /** Whether the node still runs exactly what Hecate loaded (its bytes, or Caddy's encoding of them). */
  function stillOurs(live: LiveConfig, appliedHash: string): boolean {
    return (live.text !== undefined && sha256(live.text) === appliedHash) || sha256(caddyText(live.config)) === appliedHash;
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
      return new CaddyActual(first, nodes.map((n) => ({ endpoint: n.endpoint, etag: n.etag })), diagnostics, nodes);
    },

    diff(desired, actual) {
      return diffOwned(desired as unknown as OwnedConfig, actual.owned);
    },

    // One guarded whole-config swap per node, each node reported as one change as soon as it
    // took: a failure on node 3 leaves nodes 1 and 2 journaled for the engine to undo.
    async apply({ desired, actual, changes }, ctx) {
      desiredChecks(desired);
      // Secrets exist in resolved form only here, on the way to Caddy.
      const resolved = (secretRefs(desired).length ? await resolveSecrets(desired, ctx.secrets) : desired) as unknown as OwnedConfig;
      const nodes = await nodesFor(actual, ctx);
      const action = changes.every((c) => c.action === "delete") ? "delete" : changes.every((c) => c.action === "create") ? "create" : "update";
      for (const node of nodes) {
        // Sent as Caddy's own text, so what GET /config/ answers can be compared byte for byte.
        const text = caddyText(mergeOwned(node.config, resolved, server));
        if (node.text !== undefined ? text === node.text : canonical(JSON.parse(text)) === canonical(node.config)) continue; // same bytes: no reload
        // A client carrying this apply's signal (node.client has the read's): a step timeout must reach the write.
        await clientFor(node.endpoint, ctx).putConfigText(text, node.etag);
        ctx.log?.(`caddy: loaded new config on ${node.client.label}`);
        const undo: CaddyUndo = { endpoint: node.endpoint, previous: node.config, appliedHash: sha256(text) };
        // A node's whole previous config can hold secrets (Hecate's and other apps'): sensitive.
        await ctx.report({ change: { system: "caddy", action, kind: "config", id: node.endpoint }, undo, detail: { changes: changes.length }, sensitive: true });
      }
    },

    async undo(record, ctx) {
      const node = record.undo as CaddyUndo;
      const client = clientFor(node.endpoint, ctx);
      const live = await client.getConfig();
      if (canonical(live.config) === canonical(node.previous)) return; // already back
      if (!stillOurs(live, node.appliedHash)) {
        throw new HecateError("caddy-undo-failed", `could not restore Caddy's previous config on ${client.label}: changed by someone else since Hecate's apply; not overwriting it`, {
          status: 409,
        });
      }
      await client.putConfig(node.previous, live.etag);
      ctx.log?.(`caddy: restored previous config on ${client.label}`);
    },

    async verify(desired, records, ctx) {
      const diagnostics: Diagnostic[] = [];
      const perNode: Diagnostic[][] = [];
      await Promise.all(
        endpoints.map(async (endpoint, i) => {
          const client = clientFor(endpoint, ctx);
          const { text } = await client.getConfigText();
          // Exactly the text apply sent: the node runs it, nothing to compare.
          const sent = records.find((r) => r.change.id === endpoint)?.undo as CaddyUndo | undefined;
          if (sent && sha256(text) === sent.appliedHash) return;
          let config: unknown;
          try {
            config = JSON.parse(text);
          } catch {
            throw new HecateError("caddy-rejected", `Caddy at ${client.label} answered GET /config/ with something that is not JSON`, { status: 502 });
          }
          perNode[i] = diffOwned(desired as unknown as OwnedConfig, extractOwned(config, server)).map((c) => ({
            severity: "error" as const,
            code: "caddy-verify",
            message: `Caddy ${client.label}: ${c.kind} ${c.id} ${c.action === "create" ? "is missing" : c.action === "delete" ? "should not be there" : `differs (${(c.fields ?? []).map((f) => f.path).slice(0, 3).join(", ")})`}`,
            ...(c.resource ? { address: c.resource } : {}),
          }));
        }),
      );
      for (const found of perNode) if (found) diagnostics.push(...found);
      return diagnostics;
    },
  };
  return provider;
}
