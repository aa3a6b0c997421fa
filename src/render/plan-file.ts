// Saved plans: written for `apply FILE` later. Actual state and changes are stored redacted; apply
// re-reads reality, compares fingerprints, and works from what it reads, never from the file's copy.
import { readFile, writeFile } from "node:fs/promises";
import { HecateError } from "../diag.js";
import { redact } from "./plan.js";
import type { Plan } from "../engine/types.js";

export async function savePlan(plan: Plan, file: string): Promise<void> {
  const saved: Plan = { ...plan, steps: redact(plan.steps), actual: redact(plan.actual) };
  await writeFile(file, JSON.stringify(saved, null, 2) + "\n", { mode: 0o600 });
}

export async function loadPlan(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new HecateError("bad-plan", `cannot read plan file ${file}: ${(e as Error).message}`);
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch {
    throw new HecateError("bad-plan", `${file} is not a saved plan (not JSON)`);
  }
  if (!plan || plan.format !== "hecate-plan/1" || typeof plan.revision !== "string" || !Array.isArray(plan.steps)) {
    throw new HecateError("bad-plan", `${file} is not a saved plan (expected format hecate-plan/1)`);
  }
  return plan;
}
