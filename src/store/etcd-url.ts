// The etcd store URL: its own module so picking a store does not load the etcd client (start-up).
import { HecateError } from "../diag.js";

/** "etcd://h1:2379,h2:2379[/prefix]" → endpoints and prefix. */
export function parseEtcdUrl(url: string): { endpoints: string[]; prefix: string } {
  const m = /^etcd:\/\/([^/]*)(\/.*)?$/i.exec(url.trim());
  const hosts = (m?.[1] ?? "").split(",").filter(Boolean);
  if (!m || hosts.length === 0) throw new HecateError("store-url", `store URL ${url} names no etcd member: use etcd://host:port[,host:port...][/prefix]`);
  for (const h of hosts) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(h)) throw new HecateError("store-url", `store URL ${url}: "${h}" is not host:port`);
  }
  const path = (m[2] ?? "").replace(/\/+$/, "");
  return { endpoints: hosts, prefix: `${path || "/hecate"}/` };
}
