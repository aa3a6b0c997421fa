// Child process for crash tests against real Caddy and nginx: applies the head revision with the
// real providers and stops dead at the step named in argv so the parent can SIGKILL it.
// argv: storePath killAt   (e.g. "step.done:caddy")
import { createEngine } from "../../src/engine/index.js";
import { openSqliteStore } from "../../src/store/index.js";

const [storePath, killAt] = process.argv.slice(2) as [string, string];
const store = await openSqliteStore({ path: storePath, secretKey: Buffer.from(process.env.HECATE_TEST_KEY!, "hex") });
const engine = createEngine({ store, actor: "child" });
await engine.apply({}, {
  onEvent: async (e) => {
    if ((e.type === "step.start" || e.type === "step.done") && `${e.type}:${e.system}` === killAt) {
      process.stdout.write(`AT ${killAt}\n`);
      await new Promise<void>(() => undefined);
    }
  },
});
process.stdout.write("FINISHED\n");
