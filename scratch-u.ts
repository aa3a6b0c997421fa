import { loadPaths, resolveState } from "./src/model/index.js";
const r = await loadPaths(["examples"]);
const s = resolveState(r.docs).state!;
console.log(s.streams.map(x => `${x.name} ${x.protocol} ${x.listen.address ?? "*"}:${x.listen.port} -> ${x.upstreams.map(u=>u.address).join(",")} idle=${x.timeouts.idle}`).join("\n"));
console.log(s.dnsRecords.map(d => `${d.name} ${d.fqdn} ${d.type} ${d.values} ${d.ttl}`).join("\n"));
const w = s.routes.find(r => r.name === "nextcloud")!; console.log(JSON.stringify(w));
const wz = s.routes.find(r => r.name === "wazuh")!; console.log(JSON.stringify(wz.pool));
