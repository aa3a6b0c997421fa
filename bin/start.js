// Starts the CLI: the build (npm run build: dist/) when it is there and not older than the
// sources, otherwise the TypeScript sources through tsx. A build left behind by an older checkout
// would otherwise run old code after a `git pull` without anyone noticing.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Newest modification time of a .ts file under dir (0 when there is none). */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(".ts")) max = Math.max(max, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return max;
}

/** Whether the build of entry `name` is there and not older than any source. */
export function fresh(name) {
  const built = join(root, "dist", `${name}.js`);
  const source = join(root, "src", `${name}.ts`);
  return existsSync(built) && (!existsSync(source) || statSync(built).mtimeMs >= newest(join(root, "src")));
}

/** `name`: the entry module under src/ and dist/ without extension, e.g. "cli/main". */
export async function start(name) {
  const built = join(root, "dist", `${name}.js`);
  const source = join(root, "src", `${name}.ts`);
  if (fresh(name) && !process.env.HECATE_FROM_SOURCE) {
    await import(pathToFileURL(built).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(source).href);
  }
}
