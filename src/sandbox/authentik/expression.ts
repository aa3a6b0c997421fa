// A safe subset of authentik expression policies, parsed (never executed as code):
//   return True | False
//   return ak_is_group_member(request.user, name="admins")
//   return request.user.username == "alice"    (also email, name; == or !=)
//   return ak_user_has_authenticator(request.user[, device_type="totp"])
// combined with `and`, `or`, `not` and parentheses; `#` comments and blank lines are ignored.

export interface ExpressionUser {
  username: string;
  email: string;
  name: string;
  groupNames: readonly string[];
  deviceTypes: readonly string[];
}

export type Evaluation = { ok: true; passing: boolean } | { ok: false; reason: string };

type Node =
  | { t: "const"; v: boolean }
  | { t: "member"; group: string }
  | { t: "attr"; attr: "username" | "email" | "name"; op: "==" | "!="; value: string }
  | { t: "mfa"; device?: string }
  | { t: "not"; e: Node }
  | { t: "and" | "or"; a: Node; b: Node };

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(==|!=|[(),=.])|([A-Za-z_][A-Za-z0-9_]*))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`unsupported syntax at "${src.slice(pos, pos + 20).trim()}"`);
    out.push(m[1] ?? m[2] ?? m[3] ?? "");
    pos = TOKEN.lastIndex;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: string[]) {}
  private peek(): string | undefined {
    return this.toks[this.i];
  }
  private take(want?: string): string {
    const t = this.toks[this.i++];
    if (t === undefined || (want !== undefined && t !== want)) throw new Error(`expected ${want ?? "more"} but found ${t ?? "end of expression"}`);
    return t;
  }
  private str(): string {
    const t = this.take();
    if (!/^["']/.test(t)) throw new Error(`expected a string literal, found ${t}`);
    return t.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  private requestUser(): void {
    this.take("request");
    this.take(".");
    this.take("user");
  }
  parse(): Node {
    const n = this.or();
    if (this.peek() !== undefined) throw new Error(`unexpected ${this.peek()}`);
    return n;
  }
  private or(): Node {
    let a = this.and();
    while (this.peek() === "or") {
      this.take();
      a = { t: "or", a, b: this.and() };
    }
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.peek() === "and") {
      this.take();
      a = { t: "and", a, b: this.not() };
    }
    return a;
  }
  private not(): Node {
    if (this.peek() === "not") {
      this.take();
      return { t: "not", e: this.not() };
    }
    return this.atom();
  }
  private atom(): Node {
    const t = this.take();
    if (t === "True" || t === "False") return { t: "const", v: t === "True" };
    if (t === "(") {
      const e = this.or();
      this.take(")");
      return e;
    }
    if (t === "ak_is_group_member") {
      this.take("(");
      this.requestUser();
      this.take(",");
      this.take("name");
      this.take("=");
      const group = this.str();
      this.take(")");
      return { t: "member", group };
    }
    if (t === "ak_user_has_authenticator") {
      this.take("(");
      this.requestUser();
      let device: string | undefined;
      if (this.peek() === ",") {
        this.take(",");
        this.take("device_type");
        this.take("=");
        device = this.str();
      }
      this.take(")");
      return device === undefined ? { t: "mfa" } : { t: "mfa", device };
    }
    if (t === "request") {
      this.i--;
      this.requestUser();
      this.take(".");
      const attr = this.take();
      if (attr !== "username" && attr !== "email" && attr !== "name") throw new Error(`request.user.${attr} is not supported`);
      const op = this.take();
      if (op !== "==" && op !== "!=") throw new Error(`operator ${op} is not supported`);
      return { t: "attr", attr, op, value: this.str() };
    }
    throw new Error(`${t} is not supported`);
  }
}

/** Parses the policy; throws with a reason when it is outside the subset. */
export function parseExpression(src: string): Node {
  const lines = src.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean);
  if (lines.length !== 1 || !lines[0]?.startsWith("return ")) throw new Error("only a single `return <condition>` statement is supported");
  return new Parser(tokenize(lines[0].slice("return ".length))).parse();
}

function run(n: Node, u: ExpressionUser): boolean {
  switch (n.t) {
    case "const":
      return n.v;
    case "member":
      return u.groupNames.includes(n.group);
    case "attr":
      return (u[n.attr] === n.value) === (n.op === "==");
    case "mfa":
      return n.device === undefined ? u.deviceTypes.length > 0 : u.deviceTypes.includes(n.device);
    case "not":
      return !run(n.e, u);
    case "and":
      return run(n.a, u) && run(n.b, u);
    case "or":
      return run(n.a, u) || run(n.b, u);
  }
}

/** Evaluates the policy for the user, or explains why the sandbox cannot. */
export function evaluateExpression(src: string, user: ExpressionUser): Evaluation {
  try {
    return { ok: true, passing: run(parseExpression(src), user) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
