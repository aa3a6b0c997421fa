// Child process for the contract test: applies the head revision with the REST double (as
// authentik) plus real Caddy and nginx, until the parent SIGKILLs it mid-apply.
// argv: storePath restUrl
import { createEngine } from "../../src/engine/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import { withRest } from "./rest-double.js";

const [storePath, restUrl] = process.argv.slice(2) as [string, string];
const store = await openSqliteStore({ path: storePath, secretKey: Buffer.from(process.env.HECATE_TEST_KEY!, "hex") });
const engine = createEngine({ store, actor: "child", providers: withRest(restUrl) });
await engine.apply({}, { maxDeletes: 100 });
process.stdout.write("FINISHED\n");
