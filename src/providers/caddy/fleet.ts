// A fleet of Caddy nodes: which nodes count as down, how many must answer (a majority), and the
// validation of every node's new config before the first node switches.
//
// Caddy 2.6.2's admin API has no dry run: POST /load and POST /config/ validate by loading (the
// switch itself), POST /adapt only converts a Caddyfile. So the check is `caddy validate` of the
// local binary (the one compile already targets), fed each node's exact new document on stdin
// (it holds resolved secrets: never written to disk). It provisions every module, as a load does,
// without starting listeners or the admin endpoint: a missing module, a bad handler, two servers
// claiming one address with a node's own foreign servers are all refused here, before any node
// has changed.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HecateError } from "../../diag.js";

/** A node that could not be reached, and why (what the client said). */
export interface DownNode {
  endpoint: string;
  error: string;
}

/** How many of `total` nodes must answer to plan or apply: a majority (all of one or two). */
export function majority(total: number): number {
  return Math.floor(total / 2) + 1;
}

/**
 * Whether a failed request means the node is down rather than refusing: nothing answered (refused,
 * reset, no socket, a read that timed out), or the connection died under a write (the process was
 * killed while loading). A node that answers with an error is never down: it refused.
 */
export function isDown(e: unknown): boolean {
  if (!(e instanceof HecateError)) return false;
  if (e.code === "caddy-timeout") return !/was answered/.test(e.message);
  // Refused, reset, no socket, no route; or sent, then the connection broke (the process died).
  // A TLS failure is no outage: the node answers, and the setup is wrong.
  const cause = (e as { cause?: { code?: unknown } }).cause;
  return (e.code === "caddy-unreachable" || e.code === "caddy-outcome-unknown") && typeof cause?.code === "string" && CONNECTION_LOST.has(cause.code);
}

const CONNECTION_LOST = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ENOENT", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]);

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The error when fewer than a majority of the nodes answer: every down node named, with why. */
export function quorumError(total: number, down: readonly DownNode[], doing: string): HecateError {
  return new HecateError(
    "caddy-quorum",
    `${down.length} of ${total} Caddy nodes did not answer, and ${doing} needs a majority (${majority(total)}) of them: ${down.map((d) => `${d.endpoint}: ${d.error}`).join("; ")}`,
    { status: 503 },
  );
}

/** The Caddy binary that validates (the one compile targets): HECATE_CADDY_BINARY, else caddy on PATH. */
export function caddyBinary(): string {
  return process.env["HECATE_CADDY_BINARY"] || "caddy";
}

/** `caddy validate` of one document on stdin: undefined when valid, else Caddy's own error line. */
function validateOne(text: string, timeoutMs: number): Promise<string | undefined> {
  const home = mkdtempSync(join(tmpdir(), "hecate-validate-"));
  return new Promise<string | undefined>((resolve, reject) => {
    // A HOME of its own: provisioning may create Caddy's data directories under it.
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home };
    // Through `cat`: Caddy opens /dev/stdin by name, which a socket (node's stdin pipe) refuses.
    const child = spawn("sh", ["-c", 'cat | exec "$0" validate --config /dev/stdin', caddyBinary()], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const unavailable = (why: string) =>
      new HecateError(
        "caddy-validate-unavailable",
        `a Caddy fleet is validated with the local caddy binary before any node switches, and "${caddyBinary()}" could not be run (${why}): install Caddy (the nodes' version) here or set HECATE_CADDY_BINARY`,
      );
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unavailable(e.code ?? e.message));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(undefined);
      if (code === 126 || code === 127) return reject(unavailable(out.trim().split("\n").at(-1) ?? `exit code ${code}`));
      if (signal) return resolve(`caddy validate did not finish within ${timeoutMs} ms`);
      const error = out.split("\n").find((l) => l.startsWith("Error: "));
      resolve(error ? error.slice("Error: ".length) : out.trim().split("\n").at(-1) || `exit code ${code}`);
    });
    child.stdin.on("error", () => undefined); // a binary that exits early closes stdin under us
    child.stdin.end(text);
  }).finally(() => rmSync(home, { recursive: true, force: true }));
}

/**
 * Validate every node's new document (each node's own, foreign parts included), each distinct
 * text once, before any node switches; refuse naming every node that would refuse it.
 */
export async function validateEverywhere(docs: readonly { endpoint: string; text: string }[], timeoutMs: number): Promise<void> {
  const byText = new Map<string, { text: string; endpoints: string[] }>();
  for (const d of docs) {
    const key = createHash("sha256").update(d.text).digest("hex");
    const seen = byText.get(key);
    if (seen) seen.endpoints.push(d.endpoint);
    else byText.set(key, { text: d.text, endpoints: [d.endpoint] });
  }
  const groups = [...byText.values()];
  // One at a time: each provisions a whole config (10,000 routes: a second and ~150 MiB).
  const refused: string[] = [];
  for (const g of groups) {
    const error = await validateOne(g.text, timeoutMs);
    if (error) refused.push(`${g.endpoints.join(", ")}: ${error}`);
  }
  if (refused.length) {
    throw new HecateError(
      "caddy-invalid",
      `Caddy would refuse the new config on ${refused.length === groups.length && groups.length > 1 ? "every node" : "node"} ${refused.join("; ")} (checked with caddy validate before any node switched: no node was changed)`,
      { status: 422, diagnostics: refused.map((r) => ({ severity: "error" as const, code: "caddy-invalid", message: `Caddy ${r}` })) },
    );
  }
}
