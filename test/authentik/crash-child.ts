// Child process for the authentik crash test: applies the head revision (authentik and Caddy,
// no --system) and stops dead at the named point so the parent can SIGKILL it mid-apply.
// argv: storePath killAt   ("change:N": after the N-th journaled change; "step.done:caddy")
import { createEngine } from "../../src/engine/index.js";
import { openSqliteStore } from "../../src/store/index.js";

const [storePath, killAt] = process.argv.slice(2) as [string, string];
const store = await openSqliteStore({ path: storePath, secretKey: Buffer.from(process.env.HECATE_TEST_KEY!, "hex") });
const engine = createEngine({ store, actor: "child" });
let changes = 0;
const stop = async () => {
  process.stdout.write(`AT ${killAt}\n`);
  await new Promise<void>(() => undefined);
};
await engine.apply({}, {
  maxDeletes: 100,
  onEvent: async (e) => {
    if (e.type === "change.done" && `change:${++changes}` === killAt) await stop();
    if (e.type === "step.done" && `step.done:${e.system}` === killAt) await stop();
  },
});
process.stdout.write("FINISHED\n");
