// A fast reader for the plain block YAML that config files are: `key: value` mappings, `- item`
// sequences, one-line scalars and flow lists, comments, `---` between documents. It yields the
// same values as the `yaml` package (core schema, unique keys) for that subset, and gives up
// (undefined) on anything else: the caller then parses with `yaml`, which reports what is wrong.
// Why: at 10,000 routes `yaml`'s lexer, parser and composer take seconds; this takes a tenth.
// It keeps no source positions: load.ts re-parses with `yaml` only when a diagnostic needs one.

/** Anything outside the subset: give up and let the full parser decide. */
const outside = (): never => {
  throw new Error("outside the fast subset");
};

// Characters the subset leaves to the full parser: tabs, CR, other C0/C1 controls, DEL, the
// Unicode line and paragraph separators and BOMs.
const ODD_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;
/** A plain key followed by ": " or ":" at the end of the line (sticky, from a column). */
const KEY = /([A-Za-z_][A-Za-z0-9_./-]*):(?: |$)/y;
/** Plain keys that the core schema reads as something else than that string, or that a JS object treats specially. */
const SPECIAL_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|__proto__)$/;
const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
// The core schema's other numbers (octal, hex, floats, .inf, .nan): left to the full parser.
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;
/** First characters a plain scalar may not start with here (YAML indicators, and signs/dots kept simple). */
const PLAIN_FIRST = /[-?:,[\]{}#&*!|>'"%@`]/;
/** Longest key read here (yaml refuses implicit keys over 1024 characters). */
const MAX_KEY = 200;

/** The documents of `text` as plain data, or undefined when it is not in the subset. */
export function fastYaml(text: string): unknown[] | undefined {
  if (ODD_CHARS.test(text)) return undefined;
  try {
    return new Reader(text.split("\n")).stream();
  } catch {
    return undefined; // outside the subset, or nested past the stack: the full parser reports it
  }
}

function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

class Reader {
  private i = 0;
  constructor(private readonly lines: string[]) {}

  stream(): unknown[] {
    const docs: unknown[] = [];
    this.skip();
    if (this.lines[this.i] === "---") this.i++, this.skip();
    for (;;) {
      if (this.i >= this.lines.length) outside(); // no document, or an empty one after "---"
      const line = this.lines[this.i]!;
      KEY.lastIndex = 0;
      if (!KEY.test(line)) outside(); // the root is a mapping at column 1
      docs.push(this.map(0, false));
      this.skip();
      if (this.i >= this.lines.length) return docs;
      if (this.lines[this.i] !== "---") outside();
      this.i++;
      this.skip();
    }
  }

  /** Past blank and comment lines. */
  private skip(): void {
    const { lines } = this;
    while (this.i < lines.length) {
      const line = lines[this.i]!;
      const c = indentOf(line);
      if (c < line.length && line.charCodeAt(c) !== 35 /* # */) return;
      this.i++;
    }
  }

  /** The next content line when it starts at column `indent`; undefined at the end or a smaller indent. */
  private nextAt(indent: number): string | undefined {
    this.skip();
    const line = this.lines[this.i];
    if (line === undefined) return undefined;
    const ind = indentOf(line);
    if (ind > indent) outside(); // more indented than any node here: a continuation line or an error
    return ind < indent ? undefined : line;
  }

  /** A block mapping whose keys start at column `indent`; `compact`: the first key is mid-line (after "- "). */
  private map(indent: number, compact: boolean): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (let first = compact; ; first = false) {
      const line = first ? this.lines[this.i]! : this.nextAt(indent);
      if (line === undefined || line.startsWith("---") || line.startsWith("...")) break;
      KEY.lastIndex = indent;
      const m = KEY.exec(line);
      if (!m) return outside();
      const key = m[1]!;
      if (key.length > MAX_KEY || SPECIAL_KEY.test(key) || Object.prototype.hasOwnProperty.call(obj, key)) outside();
      obj[key] = this.value(line, KEY.lastIndex, indent);
    }
    return obj;
  }

  /** The value after "key:" (from column `c` of `line`), inline or on the lines below. */
  private value(line: string, c: number, indent: number): unknown {
    while (line.charCodeAt(c) === 32) c++;
    if (c < line.length && line.charCodeAt(c) !== 35) {
      const v = this.inline(line, c);
      this.i++;
      return v;
    }
    this.i++;
    this.skip();
    if (this.i >= this.lines.length) outside(); // an empty value: null, left to the full parser
    const next = this.lines[this.i]!;
    const ind = indentOf(next);
    const isSeq = next.startsWith("- ", ind);
    if (ind > indent) return isSeq ? this.seq(ind) : this.map(ind, false);
    if (ind === indent && isSeq) return this.seq(ind);
    return outside();
  }

  /** A block sequence whose "- " start at column `indent`. */
  private seq(indent: number): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      const line = this.nextAt(indent);
      if (line === undefined) break;
      if (!line.startsWith("- ", indent)) break; // the parent mapping's next key, or not ours: the parent decides
      let c = indent + 2;
      while (line.charCodeAt(c) === 32) c++;
      if (c >= line.length || line.charCodeAt(c) === 35 || line.charCodeAt(c) === 45 /* - */) outside();
      KEY.lastIndex = c;
      if (KEY.test(line)) {
        items.push(this.map(c, true));
      } else {
        items.push(this.inline(line, c));
        this.i++;
      }
    }
    return items;
  }

  /** A one-line value from column `c` to the end of the line (or a comment). */
  private inline(line: string, c: number): unknown {
    const ch = line[c]!;
    let value: unknown;
    let end: number;
    if (ch === '"' || ch === "'") {
      [value, end] = quoted(line, c);
    } else if (ch === "[") {
      [value, end] = flowSeq(line, c);
    } else if (ch === "{") {
      if (line[c + 1] !== "}") outside();
      [value, end] = [{}, c + 2];
    } else {
      if (PLAIN_FIRST.test(ch)) outside();
      const hash = line.indexOf(" #", c);
      end = hash < 0 ? line.length : hash;
      while (end > c && line.charCodeAt(end - 1) === 32) end--;
      const s = line.slice(c, end);
      if (s.includes(": ") || s.endsWith(":") || /[[\]{}]/.test(s)) outside();
      value = plain(s);
    }
    // Only spaces, or spaces then a comment, may follow.
    let k = end;
    while (line.charCodeAt(k) === 32) k++;
    if (k < line.length && !(line.charCodeAt(k) === 35 && k > end)) outside();
    return value;
  }
}

/** A quoted scalar on one line, without escapes: [value, column after the closing quote]. */
function quoted(line: string, c: number): [string, number] {
  const q = line[c]!;
  if (q === '"') {
    const j = line.indexOf('"', c + 1);
    if (j < 0) outside();
    const s = line.slice(c + 1, j);
    if (s.includes("\\")) outside();
    return [s, j + 1];
  }
  let j = c + 1;
  for (;;) {
    j = line.indexOf("'", j);
    if (j < 0) outside();
    if (line[j + 1] === "'") j += 2;
    else break;
  }
  return [line.slice(c + 1, j).replaceAll("''", "'"), j + 1];
}

/** A flow sequence of scalars on one line, `[a, "b"]`: [value, column after "]"]. */
function flowSeq(line: string, c: number): [unknown[], number] {
  const items: unknown[] = [];
  let j = c + 1;
  const spaces = () => {
    while (line.charCodeAt(j) === 32) j++;
  };
  spaces();
  if (line[j] === "]") return [items, j + 1];
  for (;;) {
    const ch = line[j];
    if (ch === undefined) outside();
    if (ch === '"' || ch === "'") {
      const [v, e] = quoted(line, j);
      items.push(v);
      j = e;
    } else {
      if (PLAIN_FIRST.test(ch!)) outside();
      let e = j;
      while (e < line.length && !",]".includes(line[e]!)) e++;
      let t = e;
      while (t > j && line.charCodeAt(t - 1) === 32) t--;
      const s = line.slice(j, t);
      if (/[[\]{}#:"']/.test(s)) outside();
      items.push(plain(s));
      j = e;
    }
    spaces();
    if (line[j] === "]") return [items, j + 1];
    if (line[j] !== ",") outside();
    j++;
    spaces();
    if (line[j] === "]" || line[j] === ",") outside(); // a trailing or empty entry
  }
}

/** A plain scalar as the core schema reads it. */
function plain(s: string): unknown {
  if (s === "") outside();
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === "t" || s[0] === "T";
  if (INT.test(s)) return parseInt(s, 10);
  if (OTHER_NUMBER.test(s)) outside();
  return s;
}
