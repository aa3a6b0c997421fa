// The nginx stream compiler: public entry points.
export { compileNginx, renderNginx, renderFile, renderStream, normalizeListen, splitHostPort, listenPort, HEADER_LINE, HASH_PREFIX, UPSTREAM_PREFIX, MAIL_IDLE_FLOOR_MS } from "./compile.js";
export type { StreamInput } from "./compile.js";
export { parseOwnedFile, parseDirectives } from "./parse.js";
export type { ParsedOwnedFile } from "./parse.js";
export { parseDuration, formatDuration, canonicalDuration } from "./time.js";
export type { NginxOwned, NginxStream, NginxUpstreamServer, StreamBalancing } from "./types.js";
