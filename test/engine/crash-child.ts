// Child process for crash tests: applies the head revision and, at the step named in argv, tells
// the parent ("AT ...") and stops dead so the parent can SIGKILL it mid-apply.
// argv: storePath dir killAt   where killAt is "step.start:caddy", "step.done:nginx", "apply:caddy", ...
import { join } from "node:path";
import { createEngine } from "../../src/engine/index.js";
import type { SystemName } from "../../src/providers/provider.js";
import { openSqliteStore } from "../../src/store/index.js";
import { createFileProvider } from "./file-provider.js";

const [storePath, dir, killAt] = process.argv.slice(2) as [string, string, string];
const store = await openSqliteStore({ path: storePath, secretKey: Buffer.from(process.env.HECATE_TEST_KEY!, "hex") });
const caddy = createFileProvider("caddy", join(dir, "caddy.json"));
const nginx = createFileProvider("nginx", join(dir, "nginx.json"));
const stop = (what: string) => {
  process.stdout.write(`AT ${what}\n`);
  return new Promise<void>(() => undefined);
};
const [when, system] = killAt.split(":") as [string, SystemName];
if (when === "apply") {
  const p = system === "caddy" ? caddy : nginx;
  p.fault = "partial-hang";
  p.onHang = () => void stop(killAt);
}
const engine = createEngine({ store, actor: "child", providers: () => [caddy, nginx], secrets: { resolve: async () => "" } });
await engine.apply({}, {
  onEvent: async (e) => {
    if ((e.type === "step.start" || e.type === "step.done") && `${e.type}:${e.system}` === killAt) await stop(killAt);
  },
});
process.stdout.write("FINISHED\n");
