// How results look: colors (off for NO_COLOR, --no-color and pipes), aligned tables, JSON, YAML.
export type Format = "table" | "json" | "yaml";

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
export type Color = keyof typeof CODES;

export interface Paint {
  (color: Color, text: string): string;
  enabled: boolean;
}

export function makePaint(enabled: boolean): Paint {
  const p = ((color: Color, text: string) => (enabled ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text)) as Paint;
  p.enabled = enabled;
  return p;
}

export interface Column<T> {
  header: string;
  get: (row: T) => string;
}

/** Plain aligned columns: greppable, no box drawing, no escape codes. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => oneLine(c.get(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
