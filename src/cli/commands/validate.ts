// `hecate validate [PATHS...]`: the same checks apply runs, no side effects; every problem at once.
import { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from "../../diag.js";
import type { Context } from "../core/context.js";
import type { CommandDef } from "../core/define.js";

export function printDiagnostics(ctx: Context, diags: Diagnostic[]): void {
  for (const d of sortDiagnostics(diags)) {
    const line = formatDiagnostic(d);
    ctx.out(ctx.paint.enabled ? line.replace(/(^|: )(error|warning):/, (_m, pre, sev) => `${pre}${ctx.paint(sev === "error" ? "red" : "yellow", sev + ":")}`) : line);
  }
}

export const validate: CommandDef = {
  name: "validate",
  args: ["[paths...]"],
  summary: "check YAML files and directories (default: the current directory) without changing anything",
  flags: [{ flags: "--strict", description: "treat warnings as errors" }],
  examples: ["hecate validate", "hecate validate examples/ routes/app.yaml", "hecate validate config/ --strict -o json"],
  async run(ctx, [paths], opts) {
    const model = await ctx.model();
    const given = (paths as string[] | undefined)?.length ? (paths as string[]) : ["."];
    const loaded = await model.loadPaths(given);
    const resolved = loaded.docs.length ? model.resolveState(loaded.docs) : { diagnostics: [] as Diagnostic[] };
    const diags = [...loaded.diagnostics, ...resolved.diagnostics];
    const errors = diags.filter((d) => d.severity === "error").length;
    const warnings = diags.length - errors;
    const failed = hasErrors(diags) || (Boolean(opts.strict) && warnings > 0);
    if (ctx.format("table") === "json") {
      ctx.json({ valid: !failed, resources: loaded.docs.length, errors, warnings, diagnostics: sortDiagnostics(diags) });
    } else {
      printDiagnostics(ctx, diags);
      const files = new Set(loaded.docs.map((d) => d.file)).size;
      const counts = `${loaded.docs.length} resource${loaded.docs.length === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
      ctx.out(failed ? `${ctx.paint("red", "invalid:")} ${counts}` : `${ctx.paint("green", "valid:")} ${counts}`);
    }
    return failed ? 1 : 0;
  },
};
