// `hecate import caddy` proven by behaviour: each Caddyfile of the corpus runs in a real Caddy
// against real upstreams; the same requests are sent; then the Caddyfile is imported, the
// resources applied by Hecate to a fresh real Caddy, and every answer must be the same (status,
// Location, chosen headers, body: for the echo upstream, who answered, the URL and the headers it saw).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePorts, startProcess, tempDir, waitForPort, type Proc } from "../helpers/proc.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { send, type Reply } from "../caddy-traffic/harness.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";
import { CORPUS, type CorpusCase, type Probe } from "./caddy-corpus.js";
import { startOutpost } from "./outpost.js";

function sendTls(port: number, host: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path, servername: host, headers: { host }, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** What a user would notice of an answer; the echo upstream's body reduced to what it proves. */
function observe(r: Reply): unknown {
  const pick = ["location", "x-served", "x-upstream", "x-frame-options", "x-content-type-options", "x-tls", "server"];
  const headers = Object.fromEntries(pick.filter((h) => r.headers[h] !== undefined).map((h) => [h, r.headers[h]]));
  let body: unknown = r.body;
  try {
    const e = JSON.parse(r.body) as { name: string; url: string; headers: Record<string, unknown> };
    const seen = ["x-authentik-username", "x-authentik-groups", "x-request-env", "x-admin", "x-forwarded-host"];
    body = { upstream: e.name, url: e.url, headers: Object.fromEntries(seen.filter((h) => e.headers[h] !== undefined).map((h) => [h, e.headers[h]])) };
  } catch {
    // not the echo upstream: the body as it is
  }
  return { status: r.status, headers, body };
}

async function probeAll(probes: Probe[], http: number, https: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const p of probes) out.push(observe(p.https ? await sendTls(https, p.host, p.path ?? "/") : await send(http, p.host, p.path ?? "/", p.headers ? { headers: p.headers } : {})));
  return out;
}

describe("import caddy: the imported routes serve what the Caddyfile served", () => {
  let a: Upstream, b: Upstream;
  let outpost: Awaited<ReturnType<typeof startOutpost>>;
  let sb: Sandbox;
  const procs: { stop: () => Promise<void> }[] = [];

  before(async () => {
    [a, b, outpost] = await Promise.all([startUpstream("a"), startUpstream("b"), startOutpost()]);
    sb = sandbox();
  });
  after(async () => {
    for (const p of procs) await p.stop();
    await Promise.all([a?.close(), b?.close(), outpost?.close()]);
    sb?.cleanup();
  });

  async function original(c: CorpusCase, dir: string): Promise<{ file: string; http: number; https: number; admin: string; proc: Proc }> {
    const [http, https, admin] = (await freePorts(3)) as [number, number, number];
    const fill = (text: string) => text.replace(/\{(A|B|OUTPOST|P|S|ADMIN)\}/g, (_m, k: string) => ({ A: a.address, B: b.address, OUTPOST: outpost.address, P: String(http), S: String(https), ADMIN: String(admin) })[k]!);
    const file = join(dir, `${c.name}.Caddyfile`);
    writeFileSync(file, fill(c.caddyfile));
    for (const [rel, text] of Object.entries(c.files ?? {})) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), fill(text));
    }
    const proc = startProcess("caddy", ["run", "--config", file, "--adapter", "caddyfile"], { env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } });
    procs.push(proc);
    try {
      await waitForPort(c.probes.some((p) => p.https) ? https : http);
    } catch (e) {
      throw new Error(`${String(e)}\n${proc.output()}`);
    }
    return { file, http, https, admin: `http://127.0.0.1:${admin}`, proc };
  }

  for (const c of CORPUS) {
    it(c.name, async () => {
      const t = tempDir(`hecate-import-${c.name}-`);
      try {
        const orig = await original(c, t.path);
        const before = await probeAll(c.probes, orig.http, orig.https);
        const out = join(t.path, "imported");
        const imp = await sb.hecate(["import", "caddy", "--caddyfile", orig.file, "--out", out]);
        if (c === CORPUS[0]) {
          // The live Caddy (GET /config/) and its adapter (POST /adapt) give the same routes.
          for (const [i, args] of [["--admin", orig.admin], ["--caddyfile", orig.file, "--admin", orig.admin]].entries()) {
            const r = await sb.hecate(["import", "caddy", ...args, "--out", join(t.path, `via-admin-${i}`)]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            assert.equal(readFileSync(join(t.path, `via-admin-${i}`, "routes.yaml"), "utf8"), readFileSync(join(out, "routes.yaml"), "utf8"));
          }
        }
        await orig.proc.stop();

        const refused = c.refused ?? [];
        assert.equal(imp.code, refused.length ? 1 : 0, imp.stdout + imp.stderr);
        const readme = readFileSync(join(out, "README.md"), "utf8");
        const rows = readme.split("\n").filter((l) => l.startsWith("| refused"));
        assert.deepEqual(rows.map((l) => l.split(" | ")[2]), refused, readme);
        for (const m of c.mapped ?? []) {
          const subject = m.replace("{OUTPOST}", outpost.address);
          assert.ok(readme.split("\n").some((l) => l.startsWith("| mapped") && l.split(" | ")[2] === subject), `${subject} should be mapped:\n${readme}`);
        }
        if (c.name === "snippets-and-import") assert.match(readFileSync(join(out, "middleware.yaml"), "utf8"), /type: headers/, "a snippet on several sites is one headers Middleware");
        if (!c.files) assert.match(imp.stdout, new RegExp(`${orig.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+`), "findings point at Caddyfile lines");
        if (c.files) assert.match(imp.stdout, new RegExp(`${join(t.path, "sites", "shop.caddy").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2 +static_response`), "a site in an imported file: its own file and line");

        const caddy: Caddy = await startCaddy({ config: { apps: { pki: { certificate_authorities: { local: { install_trust: false } } } } } });
        procs.push(caddy);
        const [http, https] = (await freePorts(2)) as [number, number];
        writeFileSync(join(out, "settings.yaml"), caddySettingsYaml(caddy.admin, { httpPort: http, httpsPort: https }));
        const applied = await sb.hecate(["apply", out, "--yes", "--system", "caddy"]);
        assert.equal(applied.code, 0, applied.stdout + applied.stderr);
        await waitForPort(c.probes.some((p) => p.https) ? https : http);
        const after = await probeAll(c.probes, http, https);
        assert.deepEqual(after, before);
        await caddy.stop();
      } finally {
        t.cleanup();
      }
    });
  }
});
