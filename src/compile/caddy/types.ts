// The shape of the Caddy JSON Hecate owns, and the ids that mark it as Hecate's.

/** Every route/subroute object Hecate creates carries an "@id" starting with this. */
export const HECATE_ID_PREFIX = "hecate-";

/** A Caddy route object (apps.http.servers.*.routes[*] or a subroute's routes[*]). */
export interface CaddyRoute {
  "@id"?: string;
  group?: string;
  match?: Record<string, unknown>[];
  handle?: CaddyHandler[];
  terminal?: boolean;
}

export interface CaddyHandler {
  handler: string;
  [field: string]: unknown;
}

/** One Caddy HTTP server Hecate owns (whole). */
export type CaddyServer = {
  listen: string[];
  routes: CaddyRoute[];
  automatic_https?: { disable?: boolean; disable_redirects?: boolean; skip?: string[] };
  tls_connection_policies?: Record<string, unknown>[];
  logs?: { logger_names?: Record<string, string>; skip_unmapped_hosts?: boolean };
};

/**
 * The part of the Caddy config Hecate owns. The caddy provider merges it into the live config
 * (whole servers by name; tls automation policies / loaded certificates tagged by Hecate) and
 * never touches anything else.
 */
export interface CaddyOwned {
  /** Loggers Hecate defines (logging.logs entries named hecate-*): the access log of split routes. */
  logging?: { logs: Record<string, Record<string, unknown>> };
  apps: {
    http: { servers: Record<string, CaddyServer>; http_port?: number; https_port?: number };
    tls?: {
      automation?: { policies: Record<string, unknown>[] };
      certificates?: { load_pem: Record<string, unknown>[] };
    };
  };
}

/** Where compileCaddy should aim: Caddy version and the extra (non-standard) modules it has. */
export interface CaddyTarget {
  version?: string;
  modules?: string[];
}

export const DEFAULT_CADDY_VERSION = "2.6.2";
