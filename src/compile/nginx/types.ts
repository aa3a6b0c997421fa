// The nginx part of the desired state: the whole stream file Hecate owns plus its streams, normalized.

/** How nginx picks an upstream server for a new connection. */
export type StreamBalancing = "round_robin" | "least_conn" | "random" | "hash";

export interface NginxUpstreamServer {
  /** host:port, IPv6 in brackets. */
  address: string;
  weight: number;
  maxFails: number;
  /** nginx time, canonical form ("10s", "1m30s"). */
  failTimeout: string;
  /** Absent = unlimited. */
  maxConns?: number;
  backup: boolean;
}

/** One stream as nginx runs it; compile and read both produce exactly this shape. */
export interface NginxStream {
  name: string;
  protocol: "tcp" | "udp";
  /** What follows `listen`: "127.0.0.1:2525", "[::1]:2525" or just "2525" (all addresses). */
  listen: string;
  balancing: StreamBalancing;
  upstreams: NginxUpstreamServer[];
  connectTimeout: string;
  idleTimeout: string;
  proxyProtocol: boolean;
  /** UDP only: datagrams expected back per request (DNS, NTP); absent = until idle timeout. */
  proxyResponses?: number;
  /** Evaluated deny first, then allow; a non-empty allow list ends in `deny all`. */
  allow: string[];
  deny: string[];
}

export interface NginxOwned {
  /** Full text of the stream config file Hecate owns. */
  file: string;
  /** Sorted by name. */
  streams: NginxStream[];
}
