// Where the embedded store, the secret key and caches live by default (XDG base directories).
import { homedir } from "node:os";
import { join } from "node:path";

/** `$HECATE_STORE`, else `$XDG_STATE_HOME/hecate/hecate.db` (XDG default ~/.local/state). */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HECATE_STORE) return env.HECATE_STORE;
  const state = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(state, "hecate", "hecate.db");
}

/** `$XDG_CONFIG_HOME/hecate/secret.key` (XDG default ~/.config). */
export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(config, "hecate", "secret.key");
}

/** `$XDG_CACHE_HOME/hecate` (XDG default ~/.cache): what can be rebuilt, kept to save time. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "hecate");
}
