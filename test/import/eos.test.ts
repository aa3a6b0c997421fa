// `hecate import eos` (and `eos-hecate create hecate -c FILE`): the eos apps file becomes the same
// routes, streams and policies as writing the presets by hand, and Hecate applies it to real Caddy.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePorts, tempDir } from "../helpers/proc.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { send } from "../caddy-traffic/harness.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";
import { resolveState } from "../../src/model/resolve.js";
import { connect } from "node:net";
import { startAuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { initNginxPrefix, startNginx } from "../../src/providers/nginx/index.js";
import type { Resource } from "../../src/model/schema.js";

const APPS = (up: string) => `base_domain: example.test
apps:
  chat:
    domain: chat
    backend: bionic.internal
    type: bionicgpt
    sso: true
  cloud:
    domain: cloud.example.test
    backend: nextcloud.internal
    type: nextcloud
    sso: true
    talk: true
  siem:
    backend: wazuh.internal
    type: wazuh
    sso: true
  ci:
    backend: ${up}
    type: jenkins
  mail:
    backend: mail.internal:8080
    type: mailcow
`;

/** The same setup written by hand from the presets. */
const HAND = `
apiVersion: hecate.io/v1
kind: AuthPolicy
metadata: {name: sso}
spec: {provider: authentik}
---
apiVersion: hecate.io/v1
kind: Route
metadata: {name: chat}
spec: {preset: bionicgpt, hosts: [chat.example.test], upstreams: [{address: bionic.internal}], authPolicy: sso}
---
apiVersion: hecate.io/v1
kind: Route
metadata: {name: cloud}
spec: {preset: nextcloud, hosts: [cloud.example.test], upstreams: [{address: nextcloud.internal}], authPolicy: sso, signIn: {protocol: forward-auth}}
---
apiVersion: hecate.io/v1
kind: Stream
metadata: {name: cloud-turn}
spec: {preset: coturn, upstreams: [{address: nextcloud.internal}]}
---
apiVersion: hecate.io/v1
kind: Route
metadata: {name: siem}
spec: {preset: wazuh, hosts: [siem.example.test], upstreams: [{address: wazuh.internal}], authPolicy: sso, signIn: {protocol: forward-auth}}
---
apiVersion: hecate.io/v1
kind: Stream
metadata: {name: siem}
spec: {preset: wazuh, upstreams: [{address: wazuh.internal}]}
---
apiVersion: hecate.io/v1
kind: Route
metadata: {name: ci}
spec: {preset: jenkins, hosts: [ci.example.test], upstreams: [{address: UP}], public: true}
---
apiVersion: hecate.io/v1
kind: Stream
metadata: {name: ci}
spec: {preset: jenkins, upstreams: [{address: UPHOST}]}
---
apiVersion: hecate.io/v1
kind: Route
metadata: {name: mail}
spec: {hosts: [mail.example.test], upstreams: [{address: "mail.internal:8080"}], public: true}
---
apiVersion: hecate.io/v1
kind: Stream
metadata: {name: mail}
spec: {preset: mailcow, upstreams: [{address: mail.internal}]}
`;

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJSON() as Resource);

describe("import eos: the apps file", () => {
  let up: Upstream, sb: Sandbox;
  const t = tempDir("hecate-import-eos-");
  before(async () => {
    up = await startUpstream("jenkins");
    sb = sandbox();
  });
  after(async () => {
    await up?.close();
    sb?.cleanup();
    t.cleanup();
  });

  it("imports to exactly what the presets give, through eos-hecate create hecate -c, and applies", async () => {
    const file = join(t.path, "config.yaml");
    writeFileSync(file, APPS(up.address));
    const out = join(t.path, "imported");
    const r = await sb.eos(["create", "hecate", "-c", file, "--out", out]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /config\.yaml:\d+:\d+ +app chat/);
    const imported = ["routes.yaml", "streams.yaml", "auth-policies.yaml"].flatMap((f) => docs(readFileSync(join(out, f), "utf8")));
    const hand = docs(HAND.replace("UPHOST", up.address.replace(/:\d+$/, "")).replace("UP", up.address));
    const settings = docs("apiVersion: hecate.io/v1\nkind: Settings\nmetadata: {name: settings}\nspec: {authentik: {url: 'http://127.0.0.1:9', token: 'env:T'}}\n");
    const a = resolveState([...imported, ...settings]), b = resolveState([...hand, ...settings]);
    assert.ok(a.state && b.state, JSON.stringify([...a.diagnostics, ...b.diagnostics]));
    assert.deepEqual(a.state, b.state);
    assert.deepEqual(a.state.streams.map((s) => `${s.name} ${s.listen.port}/${s.protocol}`).sort().slice(0, 4), ["ci-agent 50000/tcp", "cloud-turn-turn-tcp 3478/tcp", "cloud-turn-turn-udp 3478/udp", "cloud-turn-turns-tcp 5349/tcp"]);

    const caddy: Caddy = await startCaddy();
    try {
      const [http, https] = (await freePorts(2)) as [number, number];
      writeFileSync(join(out, "settings.yaml"), caddySettingsYaml(caddy.admin, { httpPort: http, httpsPort: https }).replace("spec:\n", "spec:\n  authentik:\n    url: http://127.0.0.1:9\n    token: env:NO_TOKEN\n"));
      const applied = await sb.hecate(["apply", out, "--yes", "--system", "caddy"]);
      assert.equal(applied.code, 0, applied.stdout + applied.stderr);
      // jenkins is public and on TLS auto: its http port redirects to https, the route exists.
      const res = await send(http, "ci.example.test", "/job/x");
      assert.equal(res.status, 308);
      assert.equal(res.headers.location, `https://ci.example.test:${https}/job/x`);
      const rendered = await sb.hecate(["render", "nginx", out]);
      assert.equal(rendered.code, 0, rendered.stderr);
      for (const port of [25, 465, 587, 143, 993, 1514, 1515, 55000, 50000, 3478]) assert.match(rendered.stdout, new RegExp(`listen ${port}[; ]`));
    } finally {
      await caddy.stop();
    }
  });

  it("applies whole: routes to real Caddy, the sso policy to authentik, every stream to real nginx", async () => {
    const TOKEN = "eos-import-token-0123456789";
    process.env["HECATE_TEST_EOS_IMPORT_TOKEN"] = TOKEN;
    // Stream backends nginx can resolve; the streams listen on an address of their own, so the
    // presets' well-known ports (25, 3478, 50000, …) clash with nothing else on this machine.
    const listen = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
    const file = join(t.path, "whole.yaml");
    writeFileSync(file, APPS(up.address).replace(/backend: (nextcloud|wazuh)\.internal/g, "backend: 127.0.0.1").replace("mail.internal:8080", "127.0.0.1:8080"));
    const out = join(t.path, "whole");
    const r = await sb.hecate(["import", "eos", "-c", file, "--listen", listen, "--out", out]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ak = await startAuthentikSandbox({ token: TOKEN, seed: { groups: [], users: [] } });
    const caddy: Caddy = await startCaddy();
    const nginx = initNginxPrefix(join(t.path, "nginx"));
    const n = await startNginx(nginx.prefix);
    try {
      const [http, https] = (await freePorts(2)) as [number, number];
      writeFileSync(
        join(out, "settings.yaml"),
        caddySettingsYaml(caddy.admin, { httpPort: http, httpsPort: https }, `  authentik:\n    url: ${ak.url}\n    token: env:HECATE_TEST_EOS_IMPORT_TOKEN\n    outpost: ${new URL(ak.url).host}\n  nginx:\n    binary: nginx\n    prefix: ${nginx.prefix}\n    config: ${nginx.config}\n    streamFile: ${nginx.streamFile}\n`),
      );
      const applied = await sb.hecate(["apply", out, "--yes"]);
      assert.equal(applied.code, 0, applied.stdout + applied.stderr);
      assert.match(applied.stdout, /authentik:\n  \+ create application hecate-chat  \(Route\/chat\)/);
      const ci = await send(http, "ci.example.test", "/job/x");
      assert.equal(ci.status, 308, "jenkins is public: its plain-HTTP port redirects to https");
      // Every stream preset's TCP port accepts a connection on the streams' address.
      for (const port of [25, 465, 587, 143, 993, 1514, 1515, 55000, 50000, 3478, 5349]) {
        await new Promise<void>((resolve, reject) => {
          const c = connect({ host: listen, port }, () => (c.destroy(), resolve()));
          c.once("error", (e) => reject(new Error(`${listen}:${port}: ${e.message}`)));
        });
      }
      const again = await sb.hecate(["plan", "--detailed-exitcode"]);
      assert.equal(again.code, 0, "applied whole: nothing left to change\n" + again.stdout + again.stderr);
    } finally {
      await n.stop();
      await caddy.stop();
      await ak.close();
    }
  });
});
