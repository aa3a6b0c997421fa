import { jsonSchema, loadPaths } from "./src/model/index.js";
import Ajv from "ajv";
const s = jsonSchema();
const ajv = new (Ajv as any)({ strict: false, allErrors: true });
const v = ajv.compile(s);
const r = await loadPaths(["examples"]);
let bad = 0;
for (const d of r.docs) if (!v(d.resource)) { bad++; console.log(d.file, JSON.stringify(v.errors).slice(0, 300)); }
console.log("docs", r.docs.length, "bad", bad, JSON.stringify(s).length);
