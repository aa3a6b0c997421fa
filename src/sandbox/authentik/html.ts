// Minimal HTML pages of the sandbox's login, MFA, denied and logged-out screens (all text escaped).

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)} - authentik sandbox</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function hidden(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join("");
}

export function loginForm(action: string, state: string | undefined, error?: string): string {
  return page(
    "Welcome to authentik!",
    `${error ? `<p role="alert">${esc(error)}</p>` : ""}<form method="post" action="${esc(action)}">${hidden({ state, step: "password" })}` +
      `<label>Username <input name="username" autocomplete="username" required></label>` +
      `<label>Password <input name="password" type="password" autocomplete="current-password" required></label>` +
      `<button type="submit">Log in</button></form>`,
  );
}

export function codeForm(action: string, state: string | undefined, error?: string): string {
  return page(
    "Authenticator validation",
    `${error ? `<p role="alert">${esc(error)}</p>` : ""}<form method="post" action="${esc(action)}">${hidden({ state, step: "code" })}` +
      `<label>Code <input name="code" autocomplete="one-time-code" required></label><button type="submit">Continue</button></form>`,
  );
}

/** What authentik shows a signed-in user whom the application's bindings deny (policy messages as given). */
export function deniedPage(messages: readonly string[]): string {
  return page("Permission denied", `<p>Request has been denied.</p>${messages.map((m) => `<p>${esc(m)}</p>`).join("")}`);
}
