// Flows (/flows/instances/, by slug), authenticator validation stages and flow-stage bindings.

import { addError, type FieldErrors } from "../errors.js";
import { checkRefs, type Ctx, type Kind } from "../kind.js";
import type { Obj } from "../store.js";

/** The default flows a fresh authentik has, with their designations. */
export const DEFAULT_FLOWS: readonly [slug: string, designation: string, title: string][] = [
  ["default-authentication-flow", "authentication", "Welcome to authentik!"],
  ["default-invalidation-flow", "invalidation", "Default Invalidation Flow"],
  ["default-provider-authorization-implicit-consent", "authorization", "Redirecting to %(app)s"],
  ["default-provider-authorization-explicit-consent", "authorization", "Redirecting to %(app)s"],
  ["default-provider-invalidation-flow", "invalidation", "Default Provider Invalidation Flow"],
];

export function flowRow(ctx: Ctx, slug: string, designation: string, title: string): Obj {
  return { ...flows.defaults(ctx), pk: ctx.store.uuid(), name: title.replace("%(app)s", "application"), slug, title, designation };
}

export const flows: Kind = {
  path: "/flows/instances/",
  lookup: "slug",
  pkType: "uuid",
  schema: "Flow",
  search: ["name", "slug", "designation", "title"],
  ordering: "slug",
  unique: [{ field: "slug", message: "Flow with this slug already exists." }],
  table: (ctx) => ctx.store.flows,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({ background: "", policy_engine_mode: "any", compatibility_mode: false, layout: "stacked", denied_action: "message_continue", authentication: "none" }),
  present(ctx, obj) {
    const stages = ctx.store.flowBindings.all().filter((b) => b.target === obj.pk).sort((a, b) => (a.order as number) - (b.order as number));
    return {
      pk: obj.pk,
      policybindingmodel_ptr_id: obj.pk,
      name: obj.name,
      slug: obj.slug,
      title: obj.title,
      designation: obj.designation,
      background: obj.background,
      background_url: "/static/dist/assets/images/flow_background.jpg",
      background_themed_urls: null,
      stages: stages.map((b) => b.stage),
      policies: ctx.store.policyBindings.all().filter((b) => b.target === obj.pk).map((b) => b.pk),
      cache_count: 0,
      policy_engine_mode: obj.policy_engine_mode,
      compatibility_mode: obj.compatibility_mode,
      export_url: `/api/v3/flows/instances/${String(obj.slug)}/export/`,
      layout: obj.layout,
      denied_action: obj.denied_action,
      authentication: obj.authentication,
    };
  },
  filters: { flow_uuid: (_ctx, values) => (o) => values.includes(String(o.pk)) },
  remove(ctx, obj) {
    const s = ctx.store;
    for (const t of Object.values(s.providers)) {
      for (const p of t.all()) {
        if (p.authorization_flow === obj.pk || p.invalidation_flow === obj.pk) t.delete(p.pk); // CASCADE
        else if (p.authentication_flow === obj.pk) p.authentication_flow = null; // SET_NULL
      }
    }
    for (const b of s.flowBindings.all()) if (b.target === obj.pk) s.flowBindings.delete(b.pk);
    for (const b of s.policyBindings.all()) if (b.target === obj.pk) s.policyBindings.delete(b.pk);
  },
};

const ALL_DEVICE_CLASSES = ["static", "totp", "webauthn", "duo", "sms", "email"];

export const validateStages: Kind = {
  path: "/stages/authenticator/validate/",
  lookup: "pk",
  pkType: "uuid",
  schema: "AuthenticatorValidateStage",
  search: ["name"],
  ordering: "name",
  unique: [{ field: "name", message: "Stage with this name already exists." }],
  table: (ctx) => ctx.store.validateStages,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({
    not_configured_action: "skip",
    device_classes: ALL_DEVICE_CLASSES,
    configuration_stages: [],
    last_auth_threshold: "seconds=0",
    webauthn_user_verification: "preferred",
    webauthn_hints: [],
    webauthn_allowed_device_types: [],
    email_otp_throttling_factor: 1,
    sms_otp_throttling_factor: 1,
    totp_otp_throttling_factor: 1,
    static_otp_throttling_factor: 1,
  }),
  check(ctx, merged, sent) {
    const errors: FieldErrors = {};
    checkRefs(errors, "configuration_stages", merged.configuration_stages, (v) => ctx.store.validateStages.get(v) !== undefined);
    if (sent.not_configured_action === "configure" && (merged.configuration_stages as string[]).length === 0) {
      addError(errors, "not_configured_action", 'When "Not configured action" is set to "Configure", you must set a configuration stage.');
    }
    return errors;
  },
  present: (ctx, obj) => ({
    ...obj,
    component: "ak-stage-authenticator-validate-form",
    verbose_name: "Authenticator Validation Stage",
    verbose_name_plural: "Authenticator Validation Stages",
    meta_model_name: "authentik_stages_authenticator_validate.authenticatorvalidatestage",
    flow_set: ctx.store.flowBindings.all().filter((b) => b.stage === obj.pk).flatMap((b) => {
      const f = ctx.store.flows.get(b.target);
      return f ? [{ pk: f.pk, policybindingmodel_ptr_id: f.pk, name: f.name, slug: f.slug, title: f.title, designation: f.designation, background_url: "", background_themed_urls: null, policy_engine_mode: f.policy_engine_mode, compatibility_mode: f.compatibility_mode, export_url: "", layout: f.layout, denied_action: f.denied_action }] : [];
    }),
    webauthn_allowed_device_types_obj: [],
  }),
  remove(ctx, obj) {
    for (const b of ctx.store.flowBindings.all()) if (b.stage === obj.pk) ctx.store.flowBindings.delete(b.pk);
  },
};

export const flowBindings: Kind = {
  path: "/flows/bindings/",
  lookup: "pk",
  pkType: "uuid",
  schema: "FlowStageBinding",
  search: ["stage__name", "target__name"],
  ordering: "order",
  table: (ctx) => ctx.store.flowBindings,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({ evaluate_on_plan: false, re_evaluate_policies: true, policy_engine_mode: "any", invalid_response_action: "retry" }),
  check(ctx, merged) {
    const errors: FieldErrors = {};
    checkRefs(errors, "target", merged.target, (v) => ctx.store.flows.get(v) !== undefined);
    checkRefs(errors, "stage", merged.stage, (v) => ctx.store.validateStages.get(v) !== undefined);
    if (!Object.keys(errors).length && ctx.store.flowBindings.find((b) => b.pk !== merged.pk && b.target === merged.target && b.stage === merged.stage && b.order === merged.order)) {
      addError(errors, "non_field_errors", "The fields target, stage, order must make a unique set.");
    }
    return errors;
  },
  present(ctx, obj) {
    const stage = ctx.store.validateStages.get(obj.stage);
    return {
      ...obj,
      policybindingmodel_ptr_id: obj.pk,
      stage_obj: stage
        ? { pk: stage.pk, name: stage.name, component: "ak-stage-authenticator-validate-form", verbose_name: "Authenticator Validation Stage", verbose_name_plural: "Authenticator Validation Stages", meta_model_name: "authentik_stages_authenticator_validate.authenticatorvalidatestage", flow_set: [] }
        : null,
    };
  },
  filters: { fsb_uuid: (_ctx, values) => (o) => values.includes(String(o.pk)), pbm_uuid: (_ctx, values) => (o) => values.includes(String(o.pk)) },
  remove(ctx, obj) {
    for (const b of ctx.store.policyBindings.all()) if (b.target === obj.pk) ctx.store.policyBindings.delete(b.pk);
  },
};
