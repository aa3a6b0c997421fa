// `hecate presets`: the application presets routes and streams can start from.
import type { CommandDef } from "../core/define.js";

export const presets: CommandDef = {
  name: "presets",
  summary: "list the route and stream presets (--preset NAME)",
  examples: ["hecate presets", "hecate presets -o json"],
  async run(ctx) {
    const all = (await ctx.model()).listPresets();
    ctx.records(all, [
      { header: "KIND", get: (p) => p.kind },
      { header: "NAME", get: (p) => p.name },
      { header: "PORTS", get: (p) => (p.ports ? p.ports.map((x) => `${x.port}/${x.protocol}`).join(",") : p.port !== undefined ? String(p.port) : "-") },
      { header: "DESCRIPTION", get: (p) => p.description },
    ], "no presets");
  },
};
