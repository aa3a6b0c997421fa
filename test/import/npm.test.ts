// `hecate import npm --db` proven by requests: a database built by Nginx Proxy Manager's own
// migrations (proxy_host, redirection_host, dead_host, stream, access_list with clients and users,
// certificate) is served first by real nginx with the config NPM's templates generate for it, then
// imported and applied by Hecate to real Caddy and nginx; the same requests get the same answers.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import knex from "knex";
import { fileURLToPath } from "node:url";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePorts, tempDir, waitForPort } from "../helpers/proc.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { send, caddyHash, type Reply } from "../caddy-traffic/harness.js";
import { initNginxPrefix, startNginx, STREAM_MODULE_PATH } from "../../src/providers/nginx/index.js";
import { startTcpEcho, tcpRequest, type TcpEcho } from "../nginx/helpers.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";

/** An empty database with exactly the schema Nginx Proxy Manager creates: its own migrations, run by knex as NPM runs them. */
async function npmDatabase(file: string): Promise<void> {
  const db = knex({ client: "better-sqlite3", connection: { filename: file }, useNullAsDefault: true, migrations: { directory: fileURLToPath(new URL("../fixtures/npm/migrations", import.meta.url)), loadExtensions: [".js"] } });
  try {
    const [, done] = (await db.migrate.latest()) as [number, string[]];
    assert.equal(done.length, 19, "every NPM migration ran");
  } finally {
    await db.destroy();
  }
}

describe("import npm: the imported hosts serve what NPM's nginx served", () => {
  let a: Upstream, b: Upstream, tcp: TcpEcho, sb: Sandbox;
  const t = tempDir("hecate-import-npm-");
  before(async () => {
    [a, b, tcp] = await Promise.all([startUpstream("a"), startUpstream("b"), startTcpEcho("t")]);
    sb = sandbox();
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close(), tcp?.close()]);
    sb?.cleanup();
    t.cleanup();
  });

  it("proxy hosts, locations, access lists, redirections, 404 hosts and streams", async () => {
    const [p, s] = (await freePorts(2)) as [number, number];
    const dbFile = join(t.path, "database.sqlite");
    await npmDatabase(dbFile);
    const db = new Database(dbFile);
    const now = "2024-01-01 00:00:00";
    const ins = (table: string, row: Record<string, unknown>) => {
      const keys = Object.keys(row);
      db.prepare(`INSERT INTO ${table} (created_on, modified_on, ${keys.join(", ")}) VALUES ('${now}', '${now}', ${keys.map(() => "?").join(", ")})`).run(...Object.values(row));
    };
    const [ah, ap] = a.address.split(":") as [string, string];
    const [bh, bp] = b.address.split(":") as [string, string];
    ins("access_list", { owner_user_id: 1, name: "office", meta: "{}" });
    ins("access_list_client", { access_list_id: 1, address: "127.0.0.1", directive: "allow", meta: "{}" });
    ins("access_list_client", { access_list_id: 1, address: "10.0.0.0/8", directive: "deny", meta: "{}" });
    ins("access_list", { owner_user_id: 1, name: "vpn only", meta: "{}" });
    ins("access_list_client", { access_list_id: 2, address: "10.9.9.9", directive: "allow", meta: "{}" });
    ins("access_list", { owner_user_id: 1, name: "staff", meta: "{}" });
    ins("access_list_client", { access_list_id: 3, address: "all", directive: "allow", meta: "{}" });
    ins("access_list_auth", { access_list_id: 3, username: "bob", password: "builder", meta: "{}" });
    ins("certificate", { owner_user_id: 1, provider: "letsencrypt", nice_name: "secure", domain_names: '["secure.test"]', expires_on: now, meta: '{"letsencrypt_email":"ops@example.test"}' });
    ins("proxy_host", { owner_user_id: 1, domain_names: '["app.test","www.app.test"]', forward_host: ah, forward_port: Number(ap), access_list_id: 1, allow_websocket_upgrade: 1, meta: "{}", locations: "[]" });
    ins("proxy_host", { owner_user_id: 1, domain_names: '["blocked.test"]', forward_host: ah, forward_port: Number(ap), access_list_id: 2, meta: "{}", locations: "[]" });
    ins("proxy_host", { owner_user_id: 1, domain_names: '["locs.test"]', forward_host: ah, forward_port: Number(ap), meta: "{}", locations: JSON.stringify([{ path: "/api", forward_scheme: "http", forward_host: bh, forward_port: Number(bp) }]) });
    ins("proxy_host", { owner_user_id: 1, domain_names: '["off.test"]', forward_host: ah, forward_port: Number(ap), enabled: 0, meta: "{}", locations: "[]" });
    ins("proxy_host", { owner_user_id: 1, domain_names: '["basic.test"]', forward_host: bh, forward_port: Number(bp), access_list_id: 3, meta: "{}", locations: "[]" });
    ins("proxy_host", { owner_user_id: 1, domain_names: '["secure.test"]', forward_host: ah, forward_port: Number(ap), certificate_id: 1, ssl_forced: 1, hsts_enabled: 1, block_exploits: 1, meta: "{}", locations: "[]" });
    ins("redirection_host", { owner_user_id: 1, domain_names: '["old.test"]', forward_domain_name: "new.test", preserve_path: 1, forward_scheme: "$scheme", forward_http_code: 301, meta: "{}" });
    ins("dead_host", { owner_user_id: 1, domain_names: '["gone.test"]', meta: "{}" });
    ins("stream", { owner_user_id: 1, incoming_port: s, forwarding_host: "127.0.0.1", forwarding_port: tcp.port, tcp_forwarding: 1, meta: "{}" });
    // NPM ends TLS on this one (a stream with a certificate): refused, never imported as plain TCP.
    ins("stream", { owner_user_id: 1, incoming_port: 1, forwarding_host: "127.0.0.1", forwarding_port: tcp.port, tcp_forwarding: 1, certificate_id: 1, meta: "{}" });
    db.close();

    const probes: [string, string, Record<string, string>?][] = [
      ["app.test", "/x?y=1"],
      ["www.app.test", "/"],
      ["blocked.test", "/"],
      ["locs.test", "/api/users"],
      ["locs.test", "/home"],
      ["basic.test", "/"],
      ["basic.test", "/", { authorization: `Basic ${Buffer.from("bob:builder").toString("base64")}` }],
      ["old.test", "/a/b?c=d"],
      ["gone.test", "/"],
    ];
    const observe = (r: Reply) => {
      let body: unknown = undefined;
      try {
        const e = JSON.parse(r.body) as { name: string; url: string; headers: Record<string, string> };
        body = { upstream: e.name, url: e.url, host: e.headers.host };
      } catch {
        // an answer of the proxy itself: status and location say it
      }
      return { status: r.status, location: r.headers.location, body };
    };
    const probe = async (port: number) => {
      const out: unknown[] = [];
      for (const [host, path, headers] of probes) out.push(observe(await send(port, host, path, headers ? { headers } : {})));
      out.push(await tcpRequest(s, "hello"));
      return out;
    };

    // What NPM's templates generate for these rows (proxy_host.conf, redirection_host.conf,
    // dead_host.conf, _access.conf, stream.conf), on loopback ports.
    const htpasswd = join(t.path, "access-3");
    // NPM writes the file with htpasswd -b (apr1 MD5); openssl writes the same form.
    writeFileSync(htpasswd, `bob:${execFileSync("openssl", ["passwd", "-apr1", "builder"], { encoding: "utf8" }).trim()}\n`, { mode: 0o644 });
    chmodSync(t.path, 0o755); // nginx's workers (nobody, when the test runs as root) read the file
    const site = (names: string, body: string) => `  server {\n    listen 127.0.0.1:${p};\n    server_name ${names};\n${body}\n  }\n`;
    const proxy = (to: string) => `      proxy_set_header Host $host;\n      proxy_pass http://${to};`;
    const nginxConf = [
      `load_module ${STREAM_MODULE_PATH};`,
      "events {}",
      "http {",
      `  server { listen 127.0.0.1:${p} default_server; return 404; }`,
      site("app.test www.app.test", `    location / {\n      allow 127.0.0.1;\n      deny 10.0.0.0/8;\n      deny all;\n      satisfy all;\n${proxy(a.address)}\n    }`),
      site("blocked.test", `    location / {\n      allow 10.9.9.9;\n      deny all;\n      satisfy all;\n${proxy(a.address)}\n    }`),
      site("locs.test", `    location /api {\n${proxy(b.address)}\n    }\n    location / {\n${proxy(a.address)}\n    }`),
      site("basic.test", `    location / {\n      auth_basic "Authorization required";\n      auth_basic_user_file ${htpasswd};\n      proxy_set_header Authorization "";\n      allow all;\n      deny all;\n      satisfy all;\n${proxy(b.address)}\n    }`),
      site("old.test", `    location / {\n      return 301 $scheme://new.test$request_uri;\n    }`),
      site("gone.test", "    return 404;"),
      "}",
      "stream {",
      `  server { listen 127.0.0.1:${s}; proxy_pass 127.0.0.1:${tcp.port}; }`,
      "}",
      "",
    ].join("\n");
    const orig = initNginxPrefix(join(t.path, "npm"));
    writeFileSync(orig.config, `pid ${orig.pidFile};\nerror_log ${orig.errorLog} notice;\n${nginxConf}`);
    const n1 = await startNginx(orig.prefix);
    let before: unknown[];
    try {
      before = await probe(p);
    } finally {
      await n1.stop();
    }
    assert.equal((before[2] as { status: number }).status, 403, "the vpn-only host refuses loopback");
    assert.equal((before[5] as { status: number }).status, 401, "the staff host asks for a password");

    const out = join(t.path, "imported");
    const imp = await sb.hecate(["import", "npm", "--db", dbFile, "--out", out]);
    assert.equal(imp.code, 1, "disabled host and exploit blocking are refused\n" + imp.stdout + imp.stderr);
    assert.match(imp.stdout, /refused +\S+database\.sqlite: proxy_host #4 +proxy_host off\.test/);
    assert.match(imp.stdout, /refused +\S+database\.sqlite: proxy_host #6 +block common exploits/);
    assert.match(imp.stdout, /refused +\S+database\.sqlite: stream #2 +stream 1 with SSL +- +NPM ends TLS on this stream/);
    const all = ["routes.yaml", "middleware.yaml", "secrets.yaml", "certificates.yaml", "streams.yaml"].map((f) => readFileSync(join(out, f), "utf8")).join("");
    assert.ok(!all.includes("builder"), "NPM's password is never copied");
    assert.match(all, /passwordHash: secret:access-staff-bob/);
    assert.match(all, /certificate: secure\n/);

    // The operator stores bob's bcrypt hash as the import told them to.
    const hashFile = join(t.path, "bob.hash");
    writeFileSync(hashFile, caddyHash("builder"));
    const caddy: Caddy = await startCaddy();
    const fresh = initNginxPrefix(join(t.path, "hecate-nginx"));
    const n2 = await startNginx(fresh.prefix);
    try {
      const [http, https] = (await freePorts(2)) as [number, number];
      writeFileSync(
        join(out, "settings.yaml"),
        caddySettingsYaml(caddy.admin, { httpPort: http, httpsPort: https }) + `  nginx:\n    binary: nginx\n    prefix: ${fresh.prefix}\n    config: ${fresh.config}\n    streamFile: ${fresh.streamFile}\n`,
      );
      const secret = await sb.hecate(["create", "secret", "access-staff-bob", "--value-from", `file:${hashFile}`]);
      assert.equal(secret.code, 0, secret.stderr);
      const applied = await sb.hecate(["apply", out, "--yes", "--system", "caddy,nginx"]);
      assert.equal(applied.code, 0, applied.stdout + applied.stderr);
      await waitForPort(http);
      assert.deepEqual(await probe(http), before);
    } finally {
      await n2.stop();
      await caddy.stop();
    }
  });
});
