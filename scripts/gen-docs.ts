// Writes docs/resources.md and schema/hecate.schema.json from src/model. Run: node --import tsx scripts/gen-docs.ts
import { mkdir, writeFile } from "node:fs/promises";
import { renderResourcesDoc, renderSchemaFile } from "../src/model/docs.js";

await mkdir("docs", { recursive: true });
await mkdir("schema", { recursive: true });
await writeFile("docs/resources.md", await renderResourcesDoc("examples"));
await writeFile("schema/hecate.schema.json", renderSchemaFile());
console.log("wrote docs/resources.md and schema/hecate.schema.json");
