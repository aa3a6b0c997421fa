// The dashboard: server-rendered pages under /ui over the same actions as the JSON API (no second
// implementation): routes with their state, health, auth and DNS at a glance; a route made from
// a form; the pending plan and drift; history with a diff per revision; apply and rollback
// after a confirmation; the audit log. Signed in with an API token (session.ts); a read token
// sees everything and changes nothing.
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { html } from "hono/html";
import { HecateError, type Diagnostic } from "../../diag.js";
import * as model from "../../model/index.js";
import { API_VERSION, type Resource } from "../../model/schema.js";
import { renderDrift, renderPlan, resolveRevision } from "../../engine/index.js";
import type { Plan } from "../../engine/types.js";
import { addressOf, mustBeNew } from "../../engine/edit.js";
import { route as routeNoun } from "../../cli/nouns/route.js";
import { resourceDiff } from "../../cli/core/state.js";
import type { TokenRecord, TokenScope } from "../../store/store.js";
import type { App, Env, Server } from "../app.js";
import { summaryText } from "../actions.js";
import { errorAnswer } from "../errors.js";
import type { FailureLimiter } from "../ratelimit.js";
import { authenticate, scopeAllows } from "../tokens.js";
import { badge, csrfField, diffView, page, STYLE, type H, type PageOptions } from "./layout.js";
import { requireSession, sameOrigin, sessionToken, signIn, signOut, UI } from "./session.js";
import { routeStatuses } from "./status.js";
import { settingsPages } from "./settings.js";

type C = Context<Env>;

/** Page options for a signed-in page. */
export const shell = (c: C, title: string, section: string, notice?: PageOptions["notice"]): PageOptions => ({
  title,
  section,
  token: c.get("token") as TokenRecord,
  session: sessionToken(c),
  ...(notice ? { notice } : {}),
});

/** A notice carried over a redirect (?ok=... or ?error=...). */
const noticeOf = (c: C): PageOptions["notice"] => {
  const ok = c.req.query("ok"), error = c.req.query("error");
  return error ? { kind: "error", text: error } : ok ? { kind: "ok", text: ok } : undefined;
};

/** 403 as a page when the session's token may not do this. */
export function mayWrite(c: C, scope: TokenScope = "write"): H | undefined {
  const t = c.get("token");
  if (scopeAllows(t.scope, scope)) return undefined;
  return page(shell(c, "Not allowed", ""), html`<p>This needs a ${scope} token; the token “${t.name}” has scope ${t.scope}. Sign in with another token to do this.</p>`);
}

/** Any error of an action as an error notice (the CLI's message) plus its diagnostics. */
export function errorNotice(e: unknown): { notice: NonNullable<PageOptions["notice"]>; diagnostics: Diagnostic[]; status: number } {
  const { status, body } = errorAnswer(e);
  return { notice: { kind: "error", text: body.error.message }, diagnostics: body.error.diagnostics, status };
}

export const diagnosticList = (d: Diagnostic[]): H =>
  d.length ? html`<ul>${d.map((x) => html`<li>${x.field ? html`<code>${x.field}</code>: ` : ""}${x.message.replace(/^[\w.[\]]+: /, "")}</li>`)}</ul>` : html``;

/** What the reviewer confirmed: the desired revision and the actual state it was planned against. */
export function planDigest(p: Plan): string {
  return createHash("sha256").update(JSON.stringify([p.revision, p.fingerprints, p.summary])).digest("hex").slice(0, 32);
}

function statusBadge(kind: string): H {
  return kind === "up" ? badge("ok", "up") : kind === "degraded" ? badge("warn", "degraded") : kind === "down" ? badge("bad", "down") : badge("off", "unknown");
}

export function dashboardRoutes(app: App, s: Server, opts: { limiter: FailureLimiter }): void {
  const session = requireSession(s.store, opts.limiter, (reason) => s.metrics.authFailures.inc({ reason }));
  app.use(`${UI}/*`, sameOrigin());
  app.use(`${UI}/*`, async (c, next) => {
    await next();
    // Nothing from elsewhere, no framing, no caching of pages that show the state.
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "same-origin");
    if (!c.req.path.endsWith(".css")) c.header("Cache-Control", "no-store");
  });

  app.get("/", (c) => c.redirect(`${UI}/`, 302));
  app.get(UI, (c) => c.redirect(`${UI}/`, 302));
  app.get(`${UI}/style.css`, (c) => c.body(STYLE, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=300" }));

  const loginPage = (c: C, notice?: PageOptions["notice"], status: 200 | 401 | 429 = 200) =>
    c.html(
      page(
        { title: "Sign in", ...(notice ? { notice } : {}) },
        html`<form method="post" action="${UI}/login" class="stack">
  <div>
    <label for="token">API token</label>
    <span class="hint" id="token-hint">Make one with <code>hecate token create --scope write --name you</code>. It is kept in a cookie only these pages can use.</span>
    <input id="token" name="token" type="password" autocomplete="current-password" aria-describedby="token-hint" required spellcheck="false">
  </div>
  <div><button type="submit" class="primary">Sign in</button></div>
</form>`,
      ),
      status,
    );
  const WHY: Record<string, string> = { revoked: "Your token was revoked: sign in with another.", expired: "Your token has expired: sign in with another.", rotated: "Your token was rotated and its grace window has ended: sign in with the new one.", unknown: "That token is not valid.", malformed: "That token is not valid." };
  app.get(`${UI}/login`, (c) => {
    const why = WHY[c.req.query("why") ?? ""];
    return loginPage(c, why ? { kind: "error", text: why } : undefined);
  });
  app.post(`${UI}/login`, async (c) => {
    const address = c.get("address");
    const wait = opts.limiter.blockedFor(address);
    if (wait > 0) return loginPage(c, { kind: "error", text: `Too many refused tokens from ${address}: try again in ${Math.ceil(wait / 1000)} s.` }, 429);
    const form = await c.req.parseBody();
    const token = typeof form.token === "string" ? form.token.trim() : "";
    const r = await authenticate(s.store, token || undefined);
    if (!r.ok) {
      if (r.reason !== "missing") opts.limiter.fail(address);
      s.metrics.authFailures.inc({ reason: r.reason });
      return loginPage(c, { kind: "error", text: WHY[r.reason] ?? "Paste an API token." }, 401);
    }
    opts.limiter.succeed(address);
    signIn(c, token);
    s.logger.info({ requestId: c.get("requestId"), actor: r.token.name, address }, "dashboard sign-in");
    return c.redirect(`${UI}/routes`, 303);
  });
  app.post(`${UI}/logout`, session, (c) => {
    signOut(c);
    return c.redirect(`${UI}/login`, 303);
  });

  app.use(`${UI}/*`, async (c, next) => {
    if (c.req.path === `${UI}/login` || c.req.path === `${UI}/logout` || c.req.path === `${UI}/style.css`) return next();
    return session(c, next);
  });
  app.get(`${UI}/`, (c) => c.redirect(`${UI}/routes`, 302));

  // --- routes -------------------------------------------------------------------------------
  app.get(`${UI}/routes`, async (c) => {
    const rows = await routeStatuses(s.store, s.engine(c));
    const pending = rows.filter((r) => r.state === "pending").length;
    const down = rows.filter((r) => r.health.kind === "down" || r.health.kind === "degraded").length;
    return c.html(
      page(
        shell(c, "Routes", "routes", noticeOf(c)),
        html`<div class="summary" role="group" aria-label="Overview">
  <div><strong>${rows.length}</strong> routes</div>
  <div><strong>${pending}</strong> pending apply${pending ? html` · <a href="${UI}/plan">review the plan</a>` : ""}</div>
  <div><strong>${down}</strong> with upstreams not answering</div>
</div>
<div class="actions"><a class="button primary" href="${UI}/routes/new">Create a route</a> <a class="button" href="${UI}/plan">Plan</a> <a class="button" href="${UI}/drift">Drift</a></div>
${rows.length
  ? html`<table class="cards"><caption class="hint">Health: the server connects to each upstream now. State: applied means the systems run this route as stored.</caption>
<thead><tr><th scope="col">Route</th><th scope="col">Hosts</th><th scope="col">State</th><th scope="col">Health</th><th scope="col">Auth</th><th scope="col">DNS</th></tr></thead>
<tbody>${rows.map(
      (r) => html`<tr data-route="${r.name}">
  <td data-label="Route"><strong>${r.name}</strong></td>
  <td data-label="Hosts">${r.hosts.join(", ")}</td>
  <td data-label="State">${r.state === "applied" ? badge("ok", "applied") : badge("warn", "pending")}</td>
  <td data-label="Health">${statusBadge(r.health.kind)} <span class="hint">${r.health.detail}</span></td>
  <td data-label="Auth">${r.auth}</td>
  <td data-label="DNS">${r.dns}</td>
</tr>`,
    )}</tbody></table>`
  : html`<p>No routes yet.</p>`}`,
      ),
    );
  });

  const routeForm = async (c: C, values: Record<string, string> = {}, problem?: ReturnType<typeof errorNotice>) => {
    const head = await s.store.head();
    const policies = (head?.resources ?? []).filter((r) => r.kind === "AuthPolicy").map((r) => r.metadata.name).sort();
    const fieldError = (field: string) => problem?.diagnostics.filter((d) => d.field === field || d.field?.startsWith(`${field}[`) || d.field?.startsWith(`${field}.`)) ?? [];
    const input = (id: string, label: string, hint: string, field: string, required = false) => {
      const errs = fieldError(field);
      return html`<div>
  <label for="${id}">${label}</label>
  <span class="hint" id="${id}-hint">${hint}</span>
  <input id="${id}" name="${id}" type="text" value="${values[id] ?? ""}" aria-describedby="${id}-hint${errs.length ? ` ${id}-error` : ""}"${required ? html` required` : ""}${errs.length ? html` aria-invalid="true"` : ""} spellcheck="false">
  ${errs.length ? html`<span class="field-error" id="${id}-error">${errs.map((d) => d.message).join("; ")}</span>` : ""}
</div>`;
    };
    const access = values.access ?? "public";
    return c.html(
      page(
        shell(c, "Create a route", "routes", problem?.notice),
        html`${problem ? diagnosticList(problem.diagnostics) : ""}
<form method="post" action="${UI}/routes" class="stack">
  ${csrfField(sessionToken(c))}
  ${input("host", "Host", "The name users type, e.g. app.example.com (several: comma-separated).", "spec.hosts", true)}
  ${input("upstream", "Upstream", "Where requests go: host:port, e.g. 10.0.0.5:8080 (several: comma-separated).", "spec.upstreams", true)}
  ${input("name", "Name", "Optional: derived from the host when empty.", "metadata.name")}
  ${input("path", "Path prefix", "Optional: only this path prefix, e.g. /api (default: every path).", "spec.paths")}
  <div>
    <label for="access">Who may pass</label>
    <select id="access" name="access">
      <option value="public"${access === "public" ? html` selected` : ""}>Everyone (public)</option>
      ${policies.map((p) => html`<option value="policy:${p}"${access === `policy:${p}` ? html` selected` : ""}>Signed in through auth policy ${p}</option>`)}
    </select>
  </div>
  <div>
    <label for="tls">TLS certificate</label>
    <select id="tls" name="tls">
      ${[["auto", "Automatic (ACME)"], ["internal", "Internal CA"], ["off", "None: plain HTTP"]].map(([v, l]) => html`<option value="${v}"${(values.tls ?? "auto") === v ? html` selected` : ""}>${l}</option>`)}
    </select>
  </div>
  <div class="actions"><button type="submit" class="primary">Create route</button> <a class="button" href="${UI}/routes">Cancel</a></div>
  <p class="hint">Creating stores a new revision; nothing changes in the systems until you review the plan and apply it.</p>
</form>`,
      ),
      problem ? (problem.status as 400) : 200,
    );
  };
  app.get(`${UI}/routes/new`, async (c) => mayWrite(c) ? c.html(mayWrite(c)!, 403) : routeForm(c));
  app.post(`${UI}/routes`, async (c) => {
    const denied = mayWrite(c);
    if (denied) return c.html(denied, 403);
    const form = await c.req.parseBody();
    const v = Object.fromEntries(["host", "upstream", "name", "path", "access", "tls"].map((k) => [k, typeof form[k] === "string" ? (form[k] as string).trim() : ""]));
    try {
      // The CLI's own flags-to-spec code (`hecate create route --host --upstream ...`).
      const flags: Record<string, unknown> = { host: [v.host], upstream: [v.upstream], tls: v.tls || "auto" };
      if (v.path) flags.path = [v.path];
      if (v.access?.startsWith("policy:")) flags.authPolicy = v.access.slice("policy:".length);
      else flags.public = true;
      const name = v.name || routeNoun.defaultName?.(flags);
      if (!name) throw new HecateError("invalid", "give a host (or a name)", { diagnostics: [{ severity: "error", code: "required", message: "a host is needed", field: "spec.hosts" }] });
      const out = await s.actions.edit(c, async (resources) => {
        mustBeNew(resources, routeNoun, name);
        const built = await routeNoun.create(name, flags, undefined as never, resources);
        const r = { apiVersion: API_VERSION, kind: "Route", metadata: { name }, spec: built.spec } as Resource;
        return { after: [...resources, r], changed: [addressOf(r)], message: `create route ${name}` };
      });
      const rev = out.status === "stored" ? ` as revision #${out.revision.seq}` : "";
      return c.redirect(`${UI}/plan?ok=${encodeURIComponent(`Route ${name} created${rev}. Review the plan, then apply it.`)}`, 303);
    } catch (e) {
      return routeForm(c, v, errorNotice(e));
    }
  });

  // --- plan and apply -------------------------------------------------------------------------
  app.get(`${UI}/plan`, async (c) => {
    let plan: Plan;
    try {
      plan = await s.actions.plan(c);
    } catch (e) {
      const p = errorNotice(e);
      return c.html(page(shell(c, "Plan", "plan", p.notice), diagnosticList(p.diagnostics)), p.status as 400);
    }
    const canWrite = scopeAllows(c.get("token").scope, "write");
    const changes = plan.steps.length > 0;
    return c.html(
      page(
        shell(c, "Plan", "plan", noticeOf(c)),
        html`<p>What applying the head revision would change in each system: <strong>${summaryText(plan)}</strong>.</p>
<pre aria-label="The plan">${renderPlan(plan, { color: false })}</pre>
${diagnosticList(plan.diagnostics)}
${changes && canWrite
  ? html`<form method="post" action="${UI}/apply" class="stack">
  ${csrfField(sessionToken(c))}
  <input type="hidden" name="plan" value="${planDigest(plan)}">
  <label class="check"><input type="checkbox" name="confirm" value="yes" required> I reviewed this plan${plan.summary.delete ? html` (it <strong>deletes ${plan.summary.delete}</strong> object${plan.summary.delete === 1 ? "" : "s"})` : ""} and want to apply it</label>
  <div><button type="submit" class="${plan.summary.delete ? "danger" : "primary"}">Apply</button></div>
</form>`
  : changes ? html`<p class="hint">A write token can apply it.</p>` : html`<p>Nothing to apply: the systems match the head revision.</p>`}`,
      ),
    );
  });
  app.post(`${UI}/apply`, async (c) => {
    const denied = mayWrite(c);
    if (denied) return c.html(denied, 403);
    const form = await c.req.parseBody();
    if (form.confirm !== "yes") return c.redirect(`${UI}/plan?error=${encodeURIComponent("Tick the box to confirm you reviewed the plan.")}`, 303);
    try {
      const { result } = await s.actions.apply(c, { yes: true }, "the plan page", (plan) => {
        if (planDigest(plan) !== form.plan) {
          throw new HecateError("stale-plan", "the plan changed since you reviewed it (a new revision or a change in a system): review it again", { status: 409 });
        }
      });
      const text = result.status === "no-op" ? "Nothing to apply." : `Applied revision ${result.revision.slice(0, 12)} (${result.steps.map((x) => x.system).join(", ")}).`;
      return c.redirect(`${UI}/routes?ok=${encodeURIComponent(text)}`, 303);
    } catch (e) {
      return c.redirect(`${UI}/plan?error=${encodeURIComponent(errorNotice(e).notice.text)}`, 303);
    }
  });

  app.get(`${UI}/drift`, async (c) => {
    try {
      const report = await s.actions.drift(c);
      return c.html(
        page(
          shell(c, "Drift", "drift", noticeOf(c)),
          html`<p>${report.drifted ? badge("warn", "drifted") : badge("ok", "in sync")} Edits made in the systems behind Hecate's back since the last apply.</p>
<pre aria-label="Drift report">${report.text}</pre>
${report.drifted ? html`<p class="hint">Put them back with <code>hecate reconcile --yes</code>, or let <code>hecate serve --reconcile</code> do it.</p>` : ""}`,
        ),
      );
    } catch (e) {
      const p = errorNotice(e);
      const report = (e as { extra?: { report?: Parameters<typeof renderDrift>[0] } }).extra?.report;
      return c.html(page(shell(c, "Drift", "drift", p.notice), html`${report ? html`<pre>${renderDrift(report, { color: false })}</pre>` : ""}<p>An unreachable system is an outage, not drift.</p>`), 502);
    }
  });

  // --- history and rollback -----------------------------------------------------------------------
  app.get(`${UI}/history`, async (c) => {
    const revs = await s.store.listRevisions({ limit: 100 });
    const applied = (await s.store.lastApplied())?.hash;
    return c.html(
      page(
        shell(c, "History", "history", noticeOf(c)),
        revs.length
          ? html`<table class="cards"><thead><tr><th scope="col">Revision</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Message</th><th scope="col">Source</th></tr></thead><tbody>
${revs.map((r) => html`<tr><td data-label="Revision"><a href="${UI}/history/${r.seq}">#${r.seq}</a> <code>${r.hash.slice(0, 12)}</code>${r.hash === applied ? html` ${badge("ok", "applied")}` : ""}</td><td data-label="When"><time datetime="${r.createdAt}">${r.createdAt.replace("T", " ").slice(0, 19)}</time></td><td data-label="Who">${r.author}</td><td data-label="Message">${r.message}</td><td data-label="Source">${r.source.type}</td></tr>`)}
</tbody></table>`
          : html`<p>No revisions yet.</p>`,
      ),
    );
  });
  app.get(`${UI}/history/:seq{[0-9]+}`, async (c) => {
    const seq = Number(c.req.param("seq"));
    const rev = await s.store.getRevision(`#${seq}`);
    if (!rev) return c.html(page(shell(c, "Not found", "history"), html`<p>There is no revision #${seq}. <a href="${UI}/history">History</a></p>`), 404);
    const parent = seq > 1 ? await s.store.getRevision(`#${seq - 1}`) : undefined;
    const head = await s.store.head();
    const canWrite = scopeAllows(c.get("token").scope, "write");
    return c.html(
      page(
        shell(c, `Revision #${seq}`, "history"),
        html`<p><code>${rev.hash}</code> by ${rev.author}, ${rev.createdAt.replace("T", " ").slice(0, 19)}: ${rev.message}</p>
<h2>Changes from #${seq - 1}</h2>
${diffView(resourceDiff(model, parent?.resources ?? [], rev.resources))}
${canWrite && head && head.seq !== seq ? html`<div class="actions"><a class="button" href="${UI}/rollback?to=${seq}">Roll back to #${seq}…</a></div>` : ""}`,
      ),
    );
  });
  app.get(`${UI}/rollback`, async (c) => {
    const denied = mayWrite(c);
    if (denied) return c.html(denied, 403);
    const to = c.req.query("to") ?? "";
    try {
      const target = await resolveRevision(s.store, to);
      const preview = await s.actions.rollback(c, { to, dryRun: true });
      const plan = preview.plan;
      return c.html(
        page(
          shell(c, `Roll back to #${target.seq}`, "history"),
          html`<p>Rolling back stores revision #${target.seq}'s resources as a new revision and applies them${plan ? html`: <strong>${summaryText(plan)}</strong>` : ""}.</p>
${plan ? html`<pre aria-label="The rollback plan">${renderPlan(plan, { color: false })}</pre>` : ""}
<form method="post" action="${UI}/rollback" class="stack">
  ${csrfField(sessionToken(c))}
  <input type="hidden" name="to" value="${String(target.seq)}">
  <label class="check"><input type="checkbox" name="confirm" value="yes" required> I reviewed this plan and want to roll back to #${target.seq}</label>
  <div class="actions"><button type="submit" class="danger">Roll back</button> <a class="button" href="${UI}/history/${target.seq}">Cancel</a></div>
</form>`,
        ),
      );
    } catch (e) {
      const p = errorNotice(e);
      return c.html(page(shell(c, "Roll back", "history", p.notice), diagnosticList(p.diagnostics)), p.status as 400);
    }
  });
  app.post(`${UI}/rollback`, async (c) => {
    const denied = mayWrite(c);
    if (denied) return c.html(denied, 403);
    const form = await c.req.parseBody();
    const to = typeof form.to === "string" ? form.to : "";
    if (form.confirm !== "yes") return c.redirect(`${UI}/rollback?to=${encodeURIComponent(to)}`, 303);
    try {
      const { revision, result } = await s.actions.rollback(c, { to, yes: true });
      return c.redirect(`${UI}/history?ok=${encodeURIComponent(`Rolled back to #${to}: revision #${revision?.seq ?? "?"} ${result.status === "no-op" ? "(nothing to apply)" : "applied"}.`)}`, 303);
    } catch (e) {
      return c.redirect(`${UI}/history?error=${encodeURIComponent(errorNotice(e).notice.text)}`, 303);
    }
  });

  // --- audit ---------------------------------------------------------------------------------------
  app.get(`${UI}/audit`, async (c) => {
    const denied = mayWrite(c, "admin");
    if (denied) return c.html(denied, 403);
    const [entries, check] = await Promise.all([s.store.listAudit({ limit: 200 }), s.store.verifyAudit()]);
    return c.html(
      page(
        shell(c, "Audit", "audit"),
        html`<p>${check.ok ? badge("ok", "chain intact") : badge("bad", "chain broken")} ${check.entries} entries${check.ok ? "" : html`: ${check.problems.map((p) => p.message).join("; ")}`}</p>
<table class="cards"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">From</th></tr></thead><tbody>
${entries.map((e) => html`<tr><td data-label="When"><time datetime="${e.at ?? ""}">${(e.at ?? "").replace("T", " ").slice(0, 19)}</time></td><td data-label="Who">${e.actor}</td><td data-label="Action">${e.action}</td><td data-label="Target"><code>${e.target ?? ""}</code></td><td data-label="From">${e.address ?? ""}</td></tr>`)}
</tbody></table>`,
      ),
    );
  });

  settingsPages(app, s);
}
