// The desired state the CLI benches apply: n routes (80 % protected) and the Settings for one Caddy.

/** 10,000 routes as one YAML stream; route `changed` (or each route it says) gets another upstream port. */
export function routesYaml(n: number, changed: number | ((i: number) => boolean)): string {
  const moved = typeof changed === "number" ? (i: number) => i === changed : changed;
  const out: string[] = [`apiVersion: hecate.io/v1\nkind: AuthPolicy\nmetadata:\n  name: staff\nspec:\n  groups: [staff]\n  outpost: 127.0.0.1:9\n`];
  for (let i = 0; i < n; i++) {
    const port = moved(i) ? 9090 : 8080;
    out.push(
      `apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: r${String(i).padStart(5, "0")}\nspec:\n  hosts: [r${i}.bench.example.com]\n  upstreams:\n    - address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${port}\n` +
        (i % 5 === 4 ? `  public: true\n` : `  authPolicy: staff\n`) +
        `  tls:\n    mode: "off"\n`,
    );
  }
  return out.join("---\n");
}

export const settingsYaml = (admin: string, httpPort: number, httpsPort: number) =>
  `apiVersion: hecate.io/v1\nkind: Settings\nmetadata:\n  name: settings\nspec:\n  caddy:\n    admin: ["${admin}"]\n    listen: ["127.0.0.1:${httpsPort}"]\n    httpPort: ${httpPort}\n    httpsPort: ${httpsPort}\n`;
