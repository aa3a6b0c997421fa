// The engine calls every surface of the server makes (the JSON API and the dashboard), in one
// place: edits of the head, plan, apply, rollback and drift with their metrics, safety rails
// (a destructive plan needs yes, a failed apply is an error) and the events webhooks are sent for.
// Neither surface calls the engine any other way, so the two cannot behave differently.
import type { Context } from "hono";
import { HecateError, hasErrors } from "../diag.js";
import * as model from "../model/index.js";
import { addressOf, EditQueue, find, type Edit, type EditOutcome } from "../engine/edit.js";
import { renderDrift, renderPlan, resolveRevision, type Desired, type Engine } from "../engine/index.js";
import { planJson } from "../render/plan.js";
import type { ApplyOptions, ApplyResult, DriftReport, Plan } from "../engine/types.js";
import type { Resource } from "../model/schema.js";
import type { YamlFile } from "../model/files.js";
import type { SystemName } from "../providers/provider.js";
import { SYSTEMS } from "../providers/registry.js";
import type { Env, Server } from "./app.js";
import { NOUNS } from "../cli/nouns/index.js";
import { withExtra } from "./errors.js";
import type { DeliveryAction } from "../engine/delivery/actions.js";
import type { Delivered } from "../engine/delivery/index.js";

type C = Context<Env>;

/** Kinds the API edits (the CLI's nouns); Settings and CompliancePolicy are recorded on the server. */
const EDITABLE = new Set<string>(NOUNS.map((n) => n.kind));

/** Addresses whose resource differs between two states (added, changed or removed). */
export function changedBetween(before: readonly Resource[], after: readonly Resource[]): string[] {
  const a = new Map(before.map((r) => [addressOf(r), model.canonicalJson(r)]));
  const b = new Map(after.map((r) => [addressOf(r), model.canonicalJson(r)]));
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

/** Refuse a state that changes a kind the API does not edit (Settings name the admin endpoints Hecate writes to). */
export function assertEditable(before: readonly Resource[], after: readonly Resource[]): void {
  const fixed = (list: readonly Resource[]) => list.filter((r) => !EDITABLE.has(r.kind));
  const was = fixed(before), is = fixed(after);
  const changed = changedBetween(was, is);
  if (changed.length) {
    const had = new Set(was.map(addressOf)), has = new Set(is.map(addressOf));
    const how = changed.map((k) => `${k} (${!had.has(k) ? "added" : !has.has(k) ? "removed" : "changed"})`).join(", ");
    throw new HecateError("invalid", `${how}: cannot be changed through the API: Settings and CompliancePolicy are changed on the server's machine, with \`hecate apply DIR\` on its store (HECATE_API_ENDPOINT unset)`, { status: 400 });
  }
}

/** Errors that refuse the request itself (nothing was tried): no apply.failed event. */
const REFUSALS = new Set(["invalid", "usage", "confirmation-required", "stale-plan", "too-many-deletes", "protected", "not-found", "unknown-revision", "no-revision"]);

/** What the API and the dashboard may ask of an apply (the CLI's apply flags). */
export interface ApplyRequest {
  revision?: string | undefined;
  systems?: string[] | undefined;
  yes?: boolean | undefined;
  dryRun?: boolean | undefined;
  maxDeletes?: number | undefined;
  allowProtected?: boolean | undefined;
  lockTimeoutMs?: number | undefined;
  probe?: boolean | undefined;
  /** The desired state as YAML files (the CLI's remote `apply DIR`) instead of a stored revision. */
  files?: SentFiles | undefined;
  /** Message of the revision stored for `files`. */
  message?: string | undefined;
}

/** YAML files sent as text, and what the revision made of them records as its source. */
export interface SentFiles {
  files: YamlFile[];
  location?: string | undefined;
}

export function systemsOf(list: string[] | undefined): SystemName[] | undefined {
  if (!list) return undefined;
  const bad = list.filter((s) => !SYSTEMS.includes(s as SystemName));
  if (bad.length) {
    const message = `unknown system ${bad.join(", ")}: expected ${SYSTEMS.join(", ")}`;
    throw new HecateError("usage", message, { diagnostics: [{ severity: "error", code: "usage", message, field: "systems" }] });
  }
  return list as SystemName[];
}

/** A plan as the API answers it: the JSON form and the printed one. */
export const planBody = (p: Plan, opts: { configs?: boolean } = {}) => ({ plan: planJson(p, opts), text: renderPlan(p, { color: false }) });

/** An apply that did not leave reality matching: the CLI's "apply-failed" error, with the result. */
export function applied(r: ApplyResult): Omit<ApplyResult, "plan"> {
  const { plan: _plan, ...rest } = r;
  if (r.status === "succeeded" || r.status === "no-op" || r.status === "dry-run") return rest;
  const failed = r.steps.filter((s) => s.error).map((s) => `${s.system}: ${s.error}`);
  const err = new HecateError("apply-failed", `apply ${r.status}${r.status === "rolled-back" ? " (every system is back where it was)" : ""}${failed.length ? ": " + failed.join("; ") : ""}`, { status: 502 });
  throw withExtra(err, { result: rest });
}

export function confirmDeletes(plan: Plan, yes: boolean | undefined, retry: string): void {
  const n = plan.summary.delete;
  if (n > 0 && !yes) {
    throw new HecateError("confirmation-required", `the plan deletes ${n} object${n === 1 ? "" : "s"}: review it (${retry}), then send the request again with "yes": true`, { status: 409 });
  }
}

/** What a plan would do, in a few words ("2 to create, 1 to update, 0 to delete"). */
export const summaryText = (p: Plan) => `${p.summary.create} to create, ${p.summary.update} to update, ${p.summary.delete} to delete`;

/** route.created / updated / deleted for each Route an edit stored. */
function routeEvents(s: Server, c: C, out: EditOutcome): void {
  if (out.status !== "stored") return;
  for (const address of out.change.changed) {
    if (!address.startsWith("Route/")) continue;
    const name = address.slice("Route/".length);
    const was = find(out.before, "Route", name), now = find(out.change.after, "Route", name);
    const type = !was ? "route.created" : !now ? "route.deleted" : "route.updated";
    s.emit(type, { route: address.slice("Route/".length), revision: { seq: out.revision.seq, hash: out.revision.hash }, actor: c.get("token").name, ...(now ? { resource: now } : {}) });
  }
}

export interface Actions {
  /** An edit of the head, acting as the request's token: queued and group-committed (engine/edit.ts EditQueue). */
  edit(c: C, fn: Edit): Promise<EditOutcome>;
  plan(c: C, opts?: { revision?: string | undefined; systems?: string[] | undefined; resources?: Resource[]; files?: SentFiles | undefined }): Promise<Plan>;
  /** Plan and apply (confirmation rails as the CLI's): the result and the plan it applied. */
  apply(c: C, req: ApplyRequest, retry?: string, check?: (plan: Plan) => void): Promise<{ result: Omit<ApplyResult, "plan">; plan: Plan }>;
  rollback(c: C, req: ApplyRequest & { to: string; message?: string | undefined }, retry?: string): Promise<{ revision: { seq: number; hash: string } | null; result: Omit<ApplyResult, "plan">; plan?: Plan }>;
  drift(c: C, systems?: string[]): Promise<DriftReport & { text: string }>;
  /** One reconcile (`hecate reconcile`): the last applied revision applied again; a destructive plan needs yes. */
  reconcile(c: C, req: Omit<ApplyRequest, "revision">): Promise<{ result: Omit<ApplyResult, "plan">; plan?: Plan }>;
  /** A delivery action (canary, switch, disable, block, bypass), applied at once as a new revision. */
  deliver(c: C, action: DeliveryAction, req: Pick<ApplyRequest, "dryRun" | "lockTimeoutMs" | "probe">): Promise<Omit<Delivered, "result"> & { result: Omit<ApplyResult, "plan">; plan?: Plan }>;
}

export function createActions(s: Server): Actions {
  const applyOpts = (c: C, b: ApplyRequest): ApplyOptions => {
    const o: ApplyOptions = { actor: c.get("token").name, onEvent: (e) => s.metrics.onEvent(e) };
    if (b.maxDeletes !== undefined) o.maxDeletes = b.maxDeletes;
    if (b.allowProtected) o.allowProtected = true;
    if (b.lockTimeoutMs !== undefined) o.lockTimeoutMs = b.lockTimeoutMs;
    if (b.probe) o.probe = true;
    const systems = systemsOf(b.systems);
    if (systems) o.systems = systems;
    return o;
  };
  /** Time an engine call and count it by the label its outcome gives (a throw counts as `failed`, a refusal not at all). */
  const timed = async <T>(seconds: { startTimer(): () => void }, count: (label: string) => void, label: (v: T) => string, fn: () => Promise<T>): Promise<T> => {
    const end = seconds.startTimer();
    try {
      const v = await fn();
      count(label(v));
      return v;
    } catch (e) {
      if (!(e instanceof HecateError && REFUSALS.has(e.code))) count("failed");
      throw e;
    } finally {
      end();
    }
  };
  /** A plan counted by its outcome. */
  const planOutcome = (p: Plan) => (hasErrors(p.diagnostics) ? "errors" : p.steps.length ? "changes" : "no-changes");
  const timedPlan = <T>(fn: () => Promise<T>, planOf: (v: T) => Plan = (v) => v as Plan) =>
    timed(s.metrics.planSeconds, (outcome) => s.metrics.plans.inc({ outcome }), (v: T) => planOutcome(planOf(v)), fn);
  /** apply.failed for an apply that could not run (a system unreadable, a lock held), not for a refusal of the request. */
  const failedEvent = (c: C, e: unknown) => {
    if (e instanceof HecateError && REFUSALS.has(e.code)) return;
    s.emit("apply.failed", { actor: c.get("token").name, status: "failed", error: (e as Error).message.split("\n")[0] });
  };
  /** Applies are timed, counted, and told to webhooks: apply.succeeded, or apply.failed with why. */
  const timedApply = async (c: C, fn: () => Promise<ApplyResult>): Promise<ApplyResult> => {
    const actor = c.get("token").name;
    let r: ApplyResult;
    try {
      r = await timed(s.metrics.applySeconds, (status) => s.metrics.applies.inc({ status }), (x: ApplyResult) => x.status, fn);
    } catch (e) {
      failedEvent(c, e);
      throw e;
    }
    if (r.status === "succeeded") s.emit("apply.succeeded", { actor, revision: r.revision, applyId: r.applyId, systems: r.steps.map((x) => x.system), summary: r.plan?.summary });
    else if (r.status === "rolled-back" || r.status === "failed") {
      s.emit("apply.failed", { actor, revision: r.revision, applyId: r.applyId, status: r.status, errors: r.steps.filter((x) => x.error).map((x) => `${x.system}: ${x.error}`) });
    }
    return r;
  };

  // Every edit of the API and the dashboard goes through one queue: first come, first stored, and
  // the edits that arrived during a commit stored together in the next one (engine/edit.ts).
  const edits = new EditQueue(model, s.store, { type: "api" });

  return {
    async edit(c, fn) {
      const out = await edits.submit({ edit: fn, author: c.get("token").name, address: c.get("address") });
      routeEvents(s, c, out);
      return out;
    },

    async plan(c, opts = {}) {
      eitherFilesOrRevision(opts);
      const systems = systemsOf(opts.systems);
      const engine = s.engine(c);
      const sent = opts.files ? await loadSent(engine, opts.files) : undefined;
      const resources = sent?.resources ?? opts.resources;
      const target = resources ? { resources } : opts.revision ? { revision: opts.revision } : {};
      const plan = await timedPlan(() => engine.plan({ ...target, ...(systems ? { systems } : {}) }));
      return sent?.diagnostics.length ? { ...plan, diagnostics: [...sent.diagnostics, ...plan.diagnostics] } : plan;
    },

    async apply(c, b, retry = "POST /v1/plan", check) {
      const o = applyOpts(c, b);
      const engine = s.engine(c);
      eitherFilesOrRevision(b);
      const sent = b.files ? await loadSent(engine, b.files) : undefined;
      if (sent) {
        o.resources = sent.resources;
        o.commit = { ...sent.commit, author: c.get("token").name, ...(b.message ? { message: b.message } : {}) };
      }
      const target = b.revision ? { revision: b.revision } : {};
      if (check) {
        // The dashboard applies the plan its operator reviewed: planned here, checked against
        // that review, then applied as a saved plan (refused if a system changed since).
        const plan = await timedPlan(() => engine.plan({ ...target, ...(o.systems ? { systems: o.systems } : {}) })).catch((e: unknown) => {
          failedEvent(c, e);
          throw e;
        });
        check(plan);
        if (plan.steps.length) confirmDeletes(plan, b.yes, retry);
        return { result: applied(await timedApply(c, () => engine.apply(plan, o))), plan };
      }
      if (b.dryRun) {
        const r = await timedPlan(() => engine.apply(target, { ...o, dryRun: true }), (x) => x.plan!);
        return { result: applied(r), plan: r.plan! };
      }
      // Planned and applied in one engine call, under one lock: the plan an apply makes may rest on
      // what the last apply left (Provider.confirm), where a saved plan would read every system first.
      const endPlan = s.metrics.planSeconds.startTimer();
      const rails = (plan: Plan): void => {
        endPlan();
        s.metrics.plans.inc({ outcome: planOutcome(plan) });
        if (plan.steps.length) confirmDeletes(plan, b.yes, retry);
      };
      const r = await timedApply(c, () => engine.apply(target, { ...o, check: rails }));
      return { result: applied(r), plan: r.plan! };
    },

    async rollback(c, b, retry = `POST /v1/rollback with "dryRun": true`) {
      const o = applyOpts(c, b);
      const engine = s.engine(c);
      const target = await resolveRevision(s.store, b.to);
      const message = b.message !== undefined ? { message: b.message } : {};
      const preview = await engine.rollback(target.hash, { ...o, dryRun: true, ...message });
      const plan = preview.result.plan;
      if (b.dryRun) return { revision: null, result: applied(preview.result), ...(plan ? { plan } : {}) };
      if (plan?.steps.length) confirmDeletes(plan, b.yes, retry);
      const res = await timedApply(c, async () => (await engine.rollback(target.hash, { ...o, ...message })).result);
      const stored = await s.store.head();
      return { revision: stored ? { seq: stored.seq, hash: stored.hash } : null, result: applied(res), ...(plan ? { plan } : {}) };
    },

    async reconcile(c, b) {
      const o = applyOpts(c, b);
      const engine = s.engine(c);
      const preview = await engine.reconcile({ ...o, dryRun: true });
      if (b.dryRun) return { result: applied(preview), ...(preview.plan ? { plan: preview.plan } : {}) };
      if (preview.plan?.steps.length) confirmDeletes(preview.plan, b.yes, `POST /v1/reconcile with "dryRun": true`);
      const r = await timedApply(c, () => engine.reconcile(o));
      const plan = r.plan ?? preview.plan;
      return { result: applied(r), ...(plan ? { plan } : {}) };
    },

    async deliver(c, action, b) {
      const o = applyOpts(c, b);
      let d: Delivered | undefined;
      const run = async () => (d = await s.engine(c).deliverAction(action, { ...o, ...(b.dryRun ? { dryRun: true } : {}) }, { type: "api" })).result;
      const r = b.dryRun ? await run() : await timedApply(c, run);
      const { message, pending } = d!;
      const plan = r.plan ? { plan: r.plan } : {};
      try {
        return { message, ...(pending ? { pending } : {}), result: applied(r), ...plan };
      } catch (e) {
        // The CLI says what was tried before reporting the failed apply, as locally.
        throw withExtra(e as HecateError, { ...(e as { extra?: object }).extra, message });
      }
    },

    async drift(c, list) {
      const systems = systemsOf(list);
      const report = await s.engine(c).drift(systems ? { systems } : {});
      for (const sys of report.systems) s.metrics.drift.set({ system: sys.system }, sys.error !== undefined ? -1 : sys.changes.length);
      const body = { ...report, text: report.revision ? renderDrift(report, { color: false }) : "nothing has been applied yet, so nothing can drift\n" };
      if (report.drifted) s.emit("drift.detected", driftEvent(report));
      const failed = report.systems.filter((x) => x.error !== undefined);
      // An outage is an error, never drift (as the CLI says it).
      if (failed.length) throw withExtra(new HecateError("read-failed", failed.map((x) => x.error).join("; "), { status: 502 }), { report: body });
      return body;
    },
  };
}

function eitherFilesOrRevision(b: { files?: unknown; revision?: string | undefined }): void {
  if (b.files && b.revision) throw new HecateError("usage", "give either files or a revision, not both", { status: 400 });
}

/**
 * Files sent as text, read (documents seen before reused) and checked as `hecate plan DIR`
 * checks them, with diagnostics at the names the client gave; what the API does not edit
 * (Settings, CompliancePolicy) must be as the head has it.
 */
async function loadSent(engine: Engine, sent: SentFiles): Promise<Desired> {
  const desired = await engine.load({ type: "files", files: sent.files, location: sent.location ?? sent.files.map((f) => f.name).join(",") });
  assertEditable((await engine.store.head())?.resources ?? [], desired.resources);
  return desired;
}

/** The drift.detected payload: per drifted system, what changed (kind, id, action; never values). */
export function driftEvent(report: DriftReport): Record<string, unknown> {
  return {
    revision: report.revision,
    systems: report.systems
      .filter((x) => x.changes.length)
      .map((x) => ({ system: x.system, changes: x.changes.map((ch) => ({ action: ch.action, kind: ch.kind, id: ch.id, ...(ch.resource ? { resource: ch.resource } : {}) })) })),
  };
}
