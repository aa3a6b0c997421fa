// Which YAML files a path names, for every reader of desired state (loadPaths here, the CLI's
// remote mode sending them to a server): kept apart from the parser so a client need not load it.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

const YAML_EXT = /\.ya?ml$/i;

/** The file itself, or a directory's *.yaml / *.yml files, recursively, in sorted order. */
export async function yamlFiles(p: string): Promise<string[]> {
  const st = await stat(p);
  if (!st.isDirectory()) return [p];
  const out: string[] = [];
  const entries = (await readdir(p, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue; // .git and editor droppings
    const full = join(p, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(full)));
    else if (YAML_EXT.test(e.name)) out.push(full);
  }
  return out;
}

/** Why a path could not be read, in an operator's words. */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : String((err as Error).message);
}
