import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startCaddy } from "../../test/caddy-provider/caddy.js";
import { freePorts, tempDir } from "../../test/helpers/proc.js";
const N = 10000;
function routesYaml(n: number, changed: number): string {
  const out: string[] = [`apiVersion: hecate.io/v1\nkind: AuthPolicy\nmetadata:\n  name: staff\nspec:\n  groups: [staff]\n  outpost: 127.0.0.1:9\n`];
  for (let i = 0; i < n; i++) {
    const port = i === changed ? 9090 : 8080;
    out.push(`apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: r${String(i).padStart(5, "0")}\nspec:\n  hosts: [r${i}.bench.example.com]\n  upstreams:\n    - address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${port}\n` + (i % 5 === 4 ? `  public: true\n` : `  authPolicy: staff\n`) + `  tls:\n    mode: "off"\n`);
  }
  return out.join("---\n");
}
const caddy = await startCaddy();
const dir = tempDir("hecate-cliprof-");
const key = randomBytes(32);
const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
const conf = join(dir.path, "conf"); mkdirSync(conf);
writeFileSync(join(conf, "settings.yaml"), `apiVersion: hecate.io/v1\nkind: Settings\nmetadata:\n  name: settings\nspec:\n  caddy:\n    admin: ["${caddy.admin}"]\n    listen: ["127.0.0.1:${httpsPort}"]\n    httpPort: ${httpPort}\n    httpsPort: ${httpsPort}\n`);
const mode = process.argv[2] ?? "tsx";
async function cli(args: string[], prof = false) {
  const t = performance.now();
  const flags = (process.env.CHILD_FLAGS ?? "").split(" ").filter(Boolean);
  const cmd = mode === "dist" ? ["--import", "/tmp/perf/cpuhook.mjs", join(process.cwd(), "bin/hecate.js")] : ["--import", "tsx", "--import", "/tmp/perf/cpuhook.mjs", join(process.cwd(), "bench/engine/cli-child.ts")];
  const p = spawn(process.execPath, [...flags, ...(prof ? ["--cpu-prof", "--cpu-prof-dir", "/tmp/perf/cliprof"] : []), ...cmd, ...args], { env: { ...process.env, HECATE_STORE: join(dir.path, "store.db"), HECATE_SECRET_KEY: key.toString("base64"), NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = ""; p.stdout.on("data", (c) => (out += c)); p.stderr.on("data", (c) => (out += c));
  const code = await new Promise<number>((r) => p.on("exit", (c) => r(c ?? 1)));
  const ms = performance.now() - t;
  if (code) throw new Error(out);
  return ms;
}
writeFileSync(join(conf, "routes.yaml"), routesYaml(N, -1));
await cli(["apply", conf, "--yes", "--system", "caddy", "--max-deletes", "100000"]);
for (let r = 1; r <= Number(process.argv[3] ?? 2); r++) {
  writeFileSync(join(conf, "routes.yaml"), routesYaml(N, r));
  const prev = await (await fetch(`${caddy.admin}/config/`)).text();
  const ms = await cli(["apply", conf, "--yes", "--system", "caddy"], r === 1 && process.argv[4] === "prof");
  const cfg = await (await fetch(`${caddy.admin}/config/`)).text();
  await fetch(`${caddy.admin}/load`, { method: "POST", headers: { "content-type": "application/json" }, body: prev });
  const t = performance.now();
  await fetch(`${caddy.admin}/load`, { method: "POST", headers: { "content-type": "application/json" }, body: cfg });
  const raw = performance.now() - t;
  console.log(mode, process.env.CHILD_FLAGS ?? "", "cpu", (await import("node:fs")).readFileSync("/tmp/perf/cpu.txt", "utf8"), "apply DIR", Math.round(ms), "raw load", Math.round(raw), (ms / raw).toFixed(2));
}
await caddy.stop(); dir.cleanup();
