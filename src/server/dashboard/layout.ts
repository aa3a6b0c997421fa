// The dashboard's page shell and small view helpers: one stylesheet (responsive: tables become
// cards on a phone), a navigation with the signed-in token, every value escaped by hono/html.
// No script at all: forms and links do everything, so the pages work without a build step.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { TokenRecord } from "../../store/store.js";
import { csrfToken, UI } from "./session.js";

export type H = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV: [string, string][] = [
  ["routes", "Routes"],
  ["plan", "Plan"],
  ["drift", "Drift"],
  ["history", "History"],
  ["audit", "Audit"],
  ["settings", "Settings"],
];

export interface PageOptions {
  title: string;
  /** Which navigation entry is this page's. */
  section?: string;
  token?: TokenRecord;
  /** The session token, for the sign-out form's CSRF field. */
  session?: string;
  /** A notice above the content (after an action). */
  notice?: { kind: "ok" | "error"; text: string };
}

export function page(o: PageOptions, body: H): H {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Hecate</title>
<link rel="stylesheet" href="${UI}/style.css">
</head>
<body>
<header>
  <a class="brand" href="${UI}/">Hecate</a>
  ${o.token
    ? html`<nav aria-label="Main">${NAV.map(([id, label]) => html`<a href="${UI}/${id}"${o.section === id ? raw(' aria-current="page"') : ""}>${label}</a>`)}</nav>
  <form method="post" action="${UI}/logout" class="who">${csrfField(o.session ?? "")}<span>${o.token.name} (${o.token.scope})</span> <button type="submit">Sign out</button></form>`
    : ""}
</header>
<main id="main">
<h1>${o.title}</h1>
${o.notice ? html`<p class="notice ${o.notice.kind}" role="${o.notice.kind === "error" ? "alert" : "status"}">${o.notice.text}</p>` : ""}
${body}
</main>
</body>
</html>`;
}

export function csrfField(session: string): H {
  return html`<input type="hidden" name="csrf" value="${csrfToken(session)}">`;
}

/** A state badge: ok (green), warn (amber), bad (red), off (grey); the text says it, colour only helps. */
export function badge(kind: "ok" | "warn" | "bad" | "off", text: string): H {
  return html`<span class="badge ${kind}">${text}</span>`;
}

/** A unified diff with added and removed lines marked (and said, for screen readers). */
export function diffView(diff: string): H {
  if (!diff) return html`<p>No changes.</p>`;
  const lines = diff.replace(/\n$/, "").split("\n").map((l) => {
    const cls = l.startsWith("+++") || l.startsWith("---") ? "file" : l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : l.startsWith("@@") ? "hunk" : "";
    return html`<span class="${cls}">${l}</span>\n`;
  });
  return html`<pre class="diff" aria-label="Changes: lines starting with + are added, - removed">${lines}</pre>`;
}

export const STYLE = `
:root { --fg:#1b1f24; --muted:#57606a; --bg:#fff; --line:#d0d7de; --accent:#0b57d0; --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1.5rem; padding:.75rem 1rem; border-bottom:1px solid var(--line); background:var(--soft); }
.brand { font-weight:700; color:var(--fg); text-decoration:none; font-size:1.1rem; }
nav { display:flex; flex-wrap:wrap; gap:.25rem .9rem; }
nav a { color:var(--accent); text-decoration:none; padding:.25rem 0; }
nav a[aria-current=page] { font-weight:700; border-bottom:2px solid var(--accent); }
.who { margin-left:auto; display:flex; gap:.5rem; align-items:center; color:var(--muted); font-size:.9rem; }
main { padding:1rem; max-width:75rem; margin:0 auto; }
h1 { font-size:1.5rem; margin:.5rem 0 1rem; }
h2 { font-size:1.2rem; margin:1.5rem 0 .5rem; }
a { color:var(--accent); }
table { border-collapse:collapse; width:100%; }
caption { caption-side:bottom; text-align:left; padding-top:.5rem; }
th, td { text-align:left; padding:.5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:.85rem; color:var(--muted); font-weight:600; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:1rem; font-size:.85rem; border:1px solid currentColor; white-space:nowrap; }
.badge.ok { color:var(--ok); } .badge.warn { color:var(--warn); } .badge.bad { color:var(--bad); } .badge.off { color:var(--muted); }
pre { background:var(--soft); border:1px solid var(--line); padding:.75rem; overflow-x:auto; font-size:.85rem; white-space:pre; }
.diff .add { color:var(--ok); } .diff .del { color:var(--bad); } .diff .hunk { color:#8250df; } .diff .file { font-weight:700; }
.notice { padding:.6rem .8rem; border-radius:.4rem; border:1px solid; }
.notice.ok { color:var(--ok); background:#dafbe1; } .notice.error { color:var(--bad); background:#ffebe9; }
form.stack { display:grid; gap:.9rem; max-width:36rem; }
label { font-weight:600; display:block; margin-bottom:.2rem; }
.hint { color:var(--muted); font-size:.85rem; font-weight:400; display:block; margin-bottom:.25rem; }
input[type=text], input[type=password], select { width:100%; padding:.55rem; font-size:1rem; border:1px solid var(--line); border-radius:.4rem; }
input[aria-invalid=true] { border-color:var(--bad); }
.field-error { color:var(--bad); font-size:.9rem; }
.check { display:flex; gap:.5rem; align-items:flex-start; font-weight:400; }
.check input { margin-top:.35rem; width:1.1rem; height:1.1rem; }
button, .button { font:inherit; padding:.5rem 1rem; border-radius:.4rem; border:1px solid var(--line); background:var(--bg); color:var(--fg); cursor:pointer; text-decoration:none; display:inline-block; min-height:2.5rem; }
button.primary, .button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
button.danger { background:var(--bad); border-color:var(--bad); color:#fff; }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; margin:1rem 0; }
.summary { display:flex; flex-wrap:wrap; gap:1rem; margin:.5rem 0 1rem; }
.summary div { background:var(--soft); border:1px solid var(--line); border-radius:.4rem; padding:.5rem .9rem; }
.summary strong { display:block; font-size:1.3rem; }
@media (max-width: 40rem) {
  body { font-size:17px; }
  .who { margin-left:0; width:100%; }
  table.cards thead { position:absolute; left:-9999px; }
  table.cards tr { display:block; border:1px solid var(--line); border-radius:.5rem; margin-bottom:.75rem; padding:.25rem .5rem; }
  table.cards td { display:flex; gap:.75rem; border:none; padding:.3rem 0; }
  table.cards td::before { content: attr(data-label); min-width:6.5rem; color:var(--muted); font-size:.85rem; }
}
`;

/** A page for an unexpected failure: what went wrong in one line, a way back. */
export function errorPage(message: string): H {
  return page({ title: "Something went wrong", notice: { kind: "error", text: message } }, html`<p><a href="${UI}/routes">Back to the routes</a></p>`);
}
