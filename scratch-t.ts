import { loadPaths, resolveState } from "./src/model/index.js";
import { formatDiagnostic } from "./src/diag.js";
const r = await loadPaths([process.argv[2]!]);
const s = resolveState(r.docs);
for (const d of [...r.diagnostics, ...s.diagnostics]) console.log(formatDiagnostic(d));
if (s.state && process.argv[3]) console.log(JSON.stringify(s.state, null, 1));
