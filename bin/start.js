// Starts the CLI: the build (npm run build: dist/) when it is there and not older than the
// sources, otherwise the TypeScript sources through tsx. A build left behind by an older checkout
// would otherwise run old code after a `git pull` without anyone noticing.
import { existsSync, readdirSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
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

/** newest(), with the stats in libuv's thread pool: it runs while the main thread loads modules. */
async function newestAsync(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const times = await Promise.all(entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => stat(join(e.parentPath ?? e.path, e.name)).then((s) => s.mtimeMs)));
  return times.reduce((a, b) => Math.max(a, b), 0);
}

/** Whether the build of entry `name` is there and not older than any source. */
export function fresh(name) {
  const built = join(root, "dist", `${name}.js`);
  const source = join(root, "src", `${name}.ts`);
  return existsSync(built) && (!existsSync(source) || statSync(built).mtimeMs >= newest(join(root, "src")));
}

/**
 * `name`: the entry module under src/ and dist/ without extension, e.g. "cli/main". `warm`: a
 * module of the build with no side effects that the entry imports (e.g. "cli/run"): it is loaded
 * while the sources are checked, so the check costs start-up almost nothing (issue 17); if the
 * build turns out to be old, what was loaded is simply not used.
 */
export async function start(name, warm) {
  const built = join(root, "dist", `${name}.js`);
  const source = join(root, "src", `${name}.ts`);
  const useBuild = !process.env.HECATE_FROM_SOURCE && existsSync(built);
  const current = useBuild ? (existsSync(source) ? newestAsync(join(root, "src")).then((t) => statSync(built).mtimeMs >= t) : Promise.resolve(true)) : Promise.resolve(false);
  if (useBuild && warm) await import(pathToFileURL(join(root, "dist", `${warm}.js`)).href).catch(() => undefined);
  if (await current) {
    await import(pathToFileURL(built).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(source).href);
  }
}
