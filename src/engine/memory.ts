// What an engine keeps between calls so the next one does less: resolved states, the routes
// shared between them, each provider's last compile and what providers left for their next read.
// Engines on one store may share one (the server builds an engine per request, acting as its
// token): every request then finds what the last one built, as a long-running engine does.
// Nothing in it is trusted blindly: a provider confirms what it assumes (Provider.confirm).
import { DocumentCache } from "../model/doc-cache.js";
import { ResolveMemo } from "../model/resolve.js";
import type { ResolvedRoute, ResolvedState } from "../model/resolved.js";
import type { Resource } from "../model/schema.js";
import type { SystemName } from "../providers/provider.js";

export class EngineMemory {
  /** A few resolved states by revision hash (Core.remember). */
  readonly states = new Map<string, ResolvedState>();
  /**
   * The last state shared (Core.share): its other resources' hashes, its routes by body hash, and
   * the resources and routes themselves (in order) to line the next state up with.
   */
  shared?: { context: string; routes: Map<string, ResolvedRoute>; resources: readonly Resource[]; list: readonly ResolvedRoute[] };
  /** Per system, the memo its provider returned from the last compile (see Provider.compile). */
  readonly compileMemos = new Map<SystemName, unknown>();
  /** ProviderContext.memo: what providers keep between calls. */
  readonly providerMemo = new Map<string, unknown>();
  /** Documents checked and routes resolved before: a state that changed in one route resolves that route. */
  readonly resolveMemo = new ResolveMemo();
  /** YAML documents read before, by text: files sent again are read only where they changed. */
  readonly documents = new DocumentCache();
  /** Open grace windows of rotated store Secrets: name -> until (read with the issued certificates). */
  graces = new Map<string, string>();
  /** When each rotated store Secret was last rotated (its version in compiled config). */
  versions = new Map<string, string>();
}
