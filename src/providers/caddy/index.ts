// The Caddy provider's public surface: the provider, its admin API client, and ownership helpers.
export { createCaddyProvider, type CaddyActual, type CaddyUndo, type CaddyProviderOptions } from "./provider.js";
export { CaddyClient, adminOptions, parseAdminEndpoint, detectCaddyBuild, parseCaddyVersion, compareVersions, CHANGED_MESSAGE, type AdminEndpoint, type AdminTls, type CaddyBuild, type LiveConfig, type UpstreamStatus } from "./client.js";
export { extractOwned, mergeOwned, isOwnedServerName, canonical, ID_PREFIX, type OwnedConfig } from "./owned.js";
export { diffOwned } from "./diff.js";
