// The dashboard in a real browser: Debian's chromium driven by playwright-core against a server
// on a free loopback port, a real store and a real Caddy. Sign in with a token, see the routes,
// create one from the form, review the plan, confirm and apply it, and reach it through Caddy;
// history with its diff, rollback's confirmation, the audit page's scope, a phone-sized screen,
// labels on every field, and forms refused without their CSRF token or from another origin.
// Screenshots go to HECATE_SCREENSHOTS (a directory, kept) when set, else into the test's own
// temp dir, removed with it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { get, startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { tempDir } from "../helpers/proc.js";
import type { SqliteStore } from "../../src/store/sqlite.js";
import { storeWithCaddy } from "./setup.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";

const CHROMIUM = process.env.HECATE_CHROMIUM ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? false : `chromium is not installed at ${CHROMIUM} (apt-get install chromium; scripts/install.sh does it)`;

const dir = tempDir("hecate-dash-");
const shots = process.env.HECATE_SCREENSHOTS ?? join(dir.path, "screenshots");
let store: SqliteStore;
let caddy: Caddy;
let up: Upstream;
let server: RunningServer;
let browser: Browser;
let httpPort: number;
const tokens = { read: "", write: "", admin: "" };

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(p: Page, token: string): Promise<void> {
  await p.goto(`${server.url}/ui/`);
  await p.getByLabel("API token").fill(token);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/ui\/routes/);
}

before(async () => {
  if (missing) return;
  const key = randomBytes(32);
  caddy = await startCaddy();
  up = await startUpstream("dash-backend");
  ({ store, httpPort } = await storeWithCaddy(`${dir.path}/hecate.db`, key, caddy));
  for (const scope of ["read", "write", "admin"] as const) tokens[scope] = (await createToken(store, { name: `${scope}-person`, scope, createdBy: "operator" })).token;
  server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined) });
  // As root (CI), chromium's own sandbox cannot start; the test's pages are our own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  mkdirSync(shots, { recursive: true });
  if (process.env.HECATE_SCREENSHOTS) console.log(`dashboard screenshots: ${shots}`);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  await caddy?.stop();
  await up?.close();
  dir.cleanup();
});

describe("the dashboard in chromium", { skip: missing }, () => {
  it("signs in with a token, creates a route from the form, reviews the plan, applies it, and Caddy serves it", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await ctx.newPage();
    try {
      await p.goto(`${server.url}/`);
      await p.waitForURL(/\/ui\/login/);
      await shot(p, "01-sign-in");
      await p.getByLabel("API token").fill("hct_AAAAAAAAAAAA_" + "B".repeat(43));
      await p.getByRole("button", { name: "Sign in" }).click();
      assert.match(await p.getByRole("alert").innerText(), /not valid/);

      await signIn(p, tokens.write);
      const cookie = (await ctx.cookies()).find((k) => k.name === "hecate_session")!;
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Strict");
      assert.equal(cookie.path, "/ui");
      assert.match(await p.locator("main").innerText(), /No routes yet/);

      // A bad upstream: the form comes back with the field marked and the model's reason.
      await p.getByRole("link", { name: "Create a route" }).first().click();
      await p.getByLabel("Host", { exact: true }).fill("blog.test");
      await p.getByLabel("Upstream", { exact: true }).fill("not an address");
      await p.getByLabel("TLS certificate").selectOption("off");
      await p.getByRole("button", { name: "Create route" }).click();
      assert.match(await p.getByRole("alert").innerText(), /not valid|upstream/i);
      assert.equal(await p.getByLabel("Host", { exact: true }).inputValue(), "blog.test", "what was typed stays");
      await shot(p, "02-create-route-error");

      await p.getByLabel("Upstream", { exact: true }).fill(up.address);
      await p.getByRole("button", { name: "Create route" }).click();
      await p.waitForURL(/\/ui\/plan/);
      assert.match(await p.getByRole("status").innerText(), /Route blog.test created as revision #2/);
      const planText = await p.getByLabel("The plan").innerText();
      assert.match(planText, /\+ create/);
      assert.match(planText, /blog/);
      await shot(p, "03-plan");

      // Apply needs the confirmation box (the browser refuses the form without it).
      await p.getByRole("button", { name: "Apply" }).click();
      assert.match(p.url(), /\/ui\/plan/);
      await p.getByLabel(/I reviewed this plan/).check();
      await p.getByRole("button", { name: "Apply" }).click();
      await p.waitForURL(/\/ui\/routes/);
      assert.match(await p.getByRole("status").innerText(), /Applied revision [0-9a-f]{12} \(caddy\)/);
      const row = p.locator('tr[data-route="blog.test"]');
      assert.match(await row.innerText(), /applied/);
      assert.match(await row.innerText(), /up\s+1 of 1 upstreams answer/);
      assert.match(await row.innerText(), /public/);
      assert.match(await row.innerText(), /not managed/);
      await shot(p, "04-routes-applied");

      const res = await get(httpPort, "blog.test", "/hello");
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).name, "dash-backend", "the route made in the browser answers through real Caddy");

      await p.getByRole("link", { name: "Plan" }).first().click();
      assert.match(await p.locator("main").innerText(), /Nothing to apply/);
    } finally {
      await ctx.close();
    }
  });

  it("shows history with a diff, asks before a rollback, and rolls back", async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    try {
      await signIn(p, tokens.write);
      await p.getByRole("link", { name: "History" }).click();
      await p.getByRole("link", { name: "#2" }).click();
      const diff = await p.locator("pre.diff").innerText();
      assert.match(diff, /\+\+\+ b\/Route\/blog.test/);
      assert.match(diff, /\+\s+- blog\.test/);
      await shot(p, "05-history-diff");

      await p.getByRole("link", { name: /Roll back to #1/ }).count().then((n) => assert.equal(n, 0, "no rollback to... itself"));
      await p.goto(`${server.url}/ui/history/1`);
      await p.getByRole("link", { name: "Roll back to #1…" }).click();
      const plan = await p.getByLabel("The rollback plan").innerText();
      assert.match(plan, /- delete/);
      await shot(p, "06-rollback-confirm");
      await p.getByLabel(/I reviewed this plan/).check();
      await p.getByRole("button", { name: "Roll back" }).click();
      await p.waitForURL(/\/ui\/history/);
      assert.match(await p.getByRole("status").innerText(), /Rolled back to #1: revision #3 applied/);
      const gone = await get(httpPort, "blog.test", "/hello").catch((e: NodeJS.ErrnoException) => ({ status: e.code }));
      assert.notEqual(gone.status, 200, "the rollback removed the route from Caddy");
    } finally {
      await ctx.close();
    }
  });

  it("fits a phone, labels every field, and keeps scopes: read sees no Apply, audit needs admin", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p = await phone.newPage();
    try {
      await signIn(p, tokens.write);
      await p.goto(`${server.url}/ui/routes/new`);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);
      const unlabeled = await p.$$eval("input:not([type=hidden]), select", (els) => els.filter((e) => !e.id || !document.querySelector(`label[for="${e.id}"]`)).map((e) => e.outerHTML));
      assert.deepEqual(unlabeled, [], "every field has a label");
      await shot(p, "07-phone-create-route");
      await p.goto(`${server.url}/ui/history`);
      assert.ok((await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0);
      await shot(p, "08-phone-history");

      await p.goto(`${server.url}/ui/audit`);
      assert.match(await p.locator("main").innerText(), /needs a admin token|needs an? admin token/);
      await p.getByRole("button", { name: "Sign out" }).click();
      await p.waitForURL(/\/ui\/login/);
      await p.goto(`${server.url}/ui/routes`);
      await p.waitForURL(/\/ui\/login/);

      await signIn(p, tokens.admin);
      await p.goto(`${server.url}/ui/audit`);
      const audit = await p.locator("main").innerText();
      assert.match(audit, /chain intact/);
      assert.match(audit, /write-person\s+rollback/);
      await shot(p, "09-phone-audit");

      await p.getByRole("link", { name: "Settings" }).click();
      await p.getByLabel("URL", { exact: true }).fill("http://127.0.0.1:9/hooks");
      await p.getByLabel("drift.detected").uncheck();
      await p.getByRole("button", { name: "Add webhook" }).click();
      assert.match(await p.getByLabel(/Signing secret/).inputValue(), /^whsec_/);
      const [hook] = await store.getSetting("webhooks").then((v) => JSON.parse(v!) as { events: string[] }[]);
      assert.ok(!hook!.events.includes("drift.detected") && hook!.events.includes("apply.failed"), "the ticked events only");
      await shot(p, "10-phone-webhook-secret");
    } finally {
      await phone.close();
    }
    const ro = await browser.newContext();
    const r = await ro.newPage();
    try {
      await signIn(r, tokens.read);
      await r.goto(`${server.url}/ui/history/2`);
      assert.equal(await r.getByRole("link", { name: /Roll back/ }).count(), 0, "a read token is offered no rollback");
      const res = await r.goto(`${server.url}/ui/routes/new`);
      assert.equal(res?.status(), 403);
    } finally {
      await ro.close();
    }
  });

  it("refuses a form without its CSRF token, from another origin, and a revoked token's session", async () => {
    const session = `hecate_session=${tokens.write}`;
    const noCsrf = await fetch(`${server.url}/ui/apply`, { method: "POST", redirect: "manual", headers: { cookie: session, origin: server.url, "content-type": "application/x-www-form-urlencoded" }, body: "confirm=yes" });
    assert.equal(noCsrf.status, 403);
    const elsewhere = await fetch(`${server.url}/ui/apply`, { method: "POST", redirect: "manual", headers: { cookie: session, origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" }, body: "confirm=yes" });
    assert.equal(elsewhere.status, 403);
    assert.equal((await fetch(`${server.url}/ui/routes`, { redirect: "manual" })).status, 303, "no cookie: to the sign-in page");
    assert.equal((await fetch(`${server.url}/v1/routes`, { headers: { cookie: session } })).status, 401, "the API never takes the cookie");

    const made = await createToken(store, { name: "soon-revoked", scope: "read", createdBy: "operator" });
    const ok = await fetch(`${server.url}/ui/routes`, { redirect: "manual", headers: { cookie: `hecate_session=${made.token}` } });
    assert.equal(ok.status, 200);
    await store.revokeToken("soon-revoked");
    const after = await fetch(`${server.url}/ui/routes`, { redirect: "manual", headers: { cookie: `hecate_session=${made.token}` } });
    assert.equal(after.status, 303);
    assert.match(after.headers.get("location")!, /\/ui\/login\?why=revoked/);
  });
});
