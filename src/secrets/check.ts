// `hecate secret validate`: does every Secret and every secret reference of the head revision
// resolve now (env set, file readable, value in the store), and with `expiry`, is any scheduled
// rotation overdue or due soon, any grace window open. Values are resolved, never returned.
import { secretRefs } from "../model/resolve/secrets.js";
import { formatPath } from "../model/check.js";
import type { Resource } from "../model/schema.js";
import type { SecretResolver } from "../providers/provider.js";
import type { Store } from "../store/store.js";
import { secretSchedules, type SecretSchedule } from "./schedule.js";

export interface SecretFinding {
  severity: "error" | "warning" | "info";
  /** Secret/NAME, or the referring resource and field (Route/app spec.signIn.clientSecret). */
  subject: string;
  message: string;
}

export interface SecretCheck {
  /** How many Secrets and references were resolved. */
  checked: number;
  findings: SecretFinding[];
  schedules?: SecretSchedule[];
}

export async function checkSecrets(store: Pick<Store, "getSetting">, resources: readonly Resource[], resolver: SecretResolver, opts: { expiry?: boolean; now?: number } = {}): Promise<SecretCheck> {
  const findings: SecretFinding[] = [];
  let checked = 0;
  const resolves = async (subject: string, ref: string) => {
    checked++;
    try {
      await resolver.resolve(ref);
    } catch (e) {
      findings.push({ severity: "error", subject, message: (e as Error).message });
    }
  };
  for (const r of resources) if (r.kind === "Secret") await resolves(`Secret/${r.metadata.name}`, `secret:${r.metadata.name}`);
  const secrets = new Set(resources.filter((r) => r.kind === "Secret").map((r) => r.metadata.name));
  for (const r of resources) {
    for (const { path, ref } of secretRefs(r)) {
      // A reference to a Secret that exists was resolved with that Secret above.
      if (ref.startsWith("secret:") && secrets.has(ref.slice(7))) continue;
      await resolves(`${r.kind}/${r.metadata.name} ${formatPath(path)}`, ref);
    }
  }
  if (!opts.expiry) return { checked, findings };
  const schedules = await secretSchedules(store, resources, opts.now);
  for (const s of schedules) {
    const subject = `Secret/${s.name}`;
    if (s.due === "overdue") findings.push({ severity: "error", subject, message: `rotation overdue since ${s.nextRotation} (rotateEvery ${s.rotateEvery}, last rotated ${s.lastRotated}): is a reconcile loop running (\`hecate serve --reconcile 1m\`)? Rotate it now with \`hecate secret rotate ${s.name}\`` });
    if (s.due === "soon") findings.push({ severity: "warning", subject, message: `rotation due at ${s.nextRotation} (rotateEvery ${s.rotateEvery})` });
    if (s.due === "unscheduled") findings.push({ severity: "info", subject, message: `rotateEvery ${s.rotateEvery}: its clock starts at the reconcile loop's first round` });
    if (s.graceUntil) findings.push({ severity: "info", subject, message: `rotated; the old value is accepted until ${s.graceUntil}` });
    if (s.graceEnded) findings.push({ severity: "info", subject, message: `its grace window ended at ${s.graceEnded}; the reconcile loop removes the old value at its next round` });
  }
  return { checked, findings, schedules };
}
