// Public surface of the Caddy compiler.
export { compileCaddy, renderCaddy, ownedRouteIds } from "./compile.js";
export { compilePerSiteReference } from "./reference.js";
export { resolveSecrets, secretRefs, isSecretMarker, type SecretMarker } from "./secrets.js";
export { IDENTITY_HEADERS } from "./auth.js";
export { HECATE_ID_PREFIX, DEFAULT_CADDY_VERSION, type CaddyOwned, type CaddyServer, type CaddyRoute, type CaddyHandler, type CaddyTarget } from "./types.js";
