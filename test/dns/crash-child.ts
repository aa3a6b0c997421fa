// Child process for the DNS crash test: applies the head revision to the Hetzner sandbox and stops
// dead after the k-th change is journaled, so the parent can SIGKILL it mid-apply.
// argv: storePath k
import { createEngine } from "../../src/engine/index.js";
import { openSqliteStore } from "../../src/store/index.js";

const [storePath, k] = process.argv.slice(2) as [string, string];
const store = await openSqliteStore({ path: storePath, secretKey: Buffer.from(process.env.HECATE_TEST_KEY!, "hex") });
const engine = createEngine({ store, actor: "child" });
let done = 0;
await engine.apply({ systems: ["dns"] }, {
  systems: ["dns"],
  onEvent: async (e) => {
    if (e.type === "change.done" && ++done === Number(k)) {
      process.stdout.write(`AT change:${k}\n`);
      await new Promise<void>(() => undefined);
    }
  },
});
process.stdout.write("FINISHED\n");
