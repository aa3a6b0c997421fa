// The dashboard's Settings page: who is signed in, and the webhooks (admin): register one (its
// secret shown once, on the page that follows), remove one, its delivery log, send a delivery again.
import { html } from "hono/html";
import { scopeAllows } from "../tokens.js";
import type { App, Server } from "../app.js";
import { EVENTS } from "../webhooks.js";
import { badge, csrfField, page } from "./layout.js";
import { diagnosticList, errorNotice, mayWrite, shell } from "./index.js";
import { sessionToken, UI } from "./session.js";

export function settingsPages(app: App, s: Server): void {
  app.get(`${UI}/settings`, async (c) => {
    const t = c.get("token");
    const admin = scopeAllows(t.scope, "admin");
    const hooks = admin ? await s.webhooks.list() : [];
    const ok = c.req.query("ok"), error = c.req.query("error");
    return c.html(
      page(
        shell(c, "Settings", "settings", error ? { kind: "error", text: error } : ok ? { kind: "ok", text: ok } : undefined),
        html`<h2>Signed in</h2><p>Token <strong>${t.name}</strong>, scope ${t.scope}${t.expiresAt ? `, expires ${t.expiresAt}` : ""}.</p>
<h2>Webhooks</h2>
${!admin
  ? html`<p class="hint">An admin token manages webhooks.</p>`
  : html`${hooks.length
      ? html`<table class="cards"><thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Made</th><th scope="col"><span class="hint">Actions</span></th></tr></thead><tbody>
${hooks.map((w) => html`<tr><td data-label="URL"><a href="${UI}/settings/webhooks/${w.id}">${w.url}</a>${w.description ? html`<span class="hint">${w.description}</span>` : ""}</td><td data-label="Events">${w.events.join(", ")}</td><td data-label="Made">${w.createdBy}, ${w.createdAt.slice(0, 10)}</td>
<td data-label="Actions"><form method="post" action="${UI}/settings/webhooks/${w.id}/delete">${csrfField(sessionToken(c))}<button type="submit" aria-label="Remove the webhook to ${w.url}">Remove</button></form></td></tr>`)}
</tbody></table>`
      : html`<p>No webhooks yet.</p>`}
<h3>Add a webhook</h3>
<form method="post" action="${UI}/settings/webhooks" class="stack">
  ${csrfField(sessionToken(c))}
  <div><label for="url">URL</label><span class="hint" id="url-hint">Events are POSTed here as JSON, signed with the header Hecate-Signature: t=UNIX,v1=HMAC-SHA256(secret, "UNIX.BODY").</span>
  <input id="url" name="url" type="text" required aria-describedby="url-hint" spellcheck="false"></div>
  <fieldset><legend>Events</legend>
  ${EVENTS.map((e) => html`<label class="check" for="ev-${e}"><input type="checkbox" id="ev-${e}" name="events" value="${e}" checked> ${e}</label>`)}
  </fieldset>
  <div><label for="description">Description</label><input id="description" name="description" type="text"></div>
  <div><button type="submit" class="primary">Add webhook</button></div>
</form>`}`,
      ),
    );
  });

  app.post(`${UI}/settings/webhooks`, async (c) => {
    const denied = mayWrite(c, "admin");
    if (denied) return c.html(denied, 403);
    const form = await c.req.parseBody({ all: true });
    const events = ([] as unknown[]).concat(form.events ?? []).map(String);
    try {
      const { webhook, secret } = await s.webhooks.create({ url: String(form.url ?? "").trim(), events, description: String(form.description ?? "").trim() || undefined }, c.get("token").name);
      return c.html(
        page(
          shell(c, "Webhook added", "settings", { kind: "ok", text: `Webhook ${webhook.id} added: events go to ${webhook.url}.` }),
          html`<p><label for="secret">Signing secret: copy it now, it is not shown again</label>
<input id="secret" type="text" readonly value="${secret}"></p>
<p><a class="button" href="${UI}/settings">Back to Settings</a></p>`,
        ),
        201,
      );
    } catch (e) {
      const p = errorNotice(e);
      return c.html(page(shell(c, "Settings", "settings", p.notice), html`${diagnosticList(p.diagnostics)}<p><a href="${UI}/settings">Back</a></p>`), p.status as 400);
    }
  });

  app.post(`${UI}/settings/webhooks/:id/delete`, async (c) => {
    const denied = mayWrite(c, "admin");
    if (denied) return c.html(denied, 403);
    try {
      const w = await s.webhooks.remove(c.req.param("id"), c.get("token").name);
      return c.redirect(`${UI}/settings?ok=${encodeURIComponent(`Removed the webhook to ${w.url}.`)}`, 303);
    } catch (e) {
      return c.redirect(`${UI}/settings?error=${encodeURIComponent(errorNotice(e).notice.text)}`, 303);
    }
  });

  app.get(`${UI}/settings/webhooks/:id`, async (c) => {
    const denied = mayWrite(c, "admin");
    if (denied) return c.html(denied, 403);
    const id = c.req.param("id");
    const w = await s.webhooks.get(id);
    const log = await s.webhooks.deliveries(id);
    const ok = c.req.query("ok");
    return c.html(
      page(
        shell(c, `Deliveries to ${w.url}`, "settings", ok ? { kind: "ok", text: ok } : undefined),
        log.length
          ? html`<table class="cards"><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col"><span class="hint">Actions</span></th></tr></thead><tbody>
${log.map((d) => html`<tr><td data-label="When">${d.createdAt.replace("T", " ").slice(0, 19)}</td><td data-label="Event">${d.event}${d.redeliveryOf ? html` <span class="hint">redelivery</span>` : ""}</td>
<td data-label="Status">${d.status === "succeeded" ? badge("ok", "delivered") : d.status === "failed" ? badge("bad", "failed") : badge("warn", "retrying")}</td>
<td data-label="Attempts">${d.attempts.map((a) => `${a.status ?? a.error ?? "?"}`).join(", ")}</td>
<td data-label="Actions"><form method="post" action="${UI}/settings/webhooks/${w.id}/deliveries/${d.id}/redeliver">${csrfField(sessionToken(c))}<button type="submit" aria-label="Send the ${d.event} delivery again">Send again</button></form></td></tr>`)}
</tbody></table>`
          : html`<p>No deliveries yet.</p>`,
      ),
    );
  });

  app.post(`${UI}/settings/webhooks/:id/deliveries/:delivery/redeliver`, async (c) => {
    const denied = mayWrite(c, "admin");
    if (denied) return c.html(denied, 403);
    const id = c.req.param("id");
    await s.storeFor(c).audit({ actor: c.get("token").name, action: "webhook.redeliver", target: id, detail: { delivery: c.req.param("delivery") } });
    const d = await s.webhooks.redeliver(id, c.req.param("delivery"));
    return c.redirect(`${UI}/settings/webhooks/${id}?ok=${encodeURIComponent(`Sent ${d.event} again.`)}`, 303);
  });
}
