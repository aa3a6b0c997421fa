// The dashboard's Settings page: who is signed in, and (with webhooks) where events go.
import { html } from "hono/html";
import type { App, Server } from "../app.js";
import { page } from "./layout.js";
import { shell } from "./index.js";
import { UI } from "./session.js";

export function settingsPages(app: App, _s: Server): void {
  app.get(`${UI}/settings`, (c) => {
    const t = c.get("token");
    return c.html(page(shell(c, "Settings", "settings"), html`<h2>Signed in</h2><p>Token <strong>${t.name}</strong>, scope ${t.scope}${t.expiresAt ? `, expires ${t.expiresAt}` : ""}.</p>`));
  });
}
