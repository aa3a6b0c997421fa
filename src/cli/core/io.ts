// The process edges the CLI touches, injectable so tests run commands in-process.
export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  stdin: NodeJS.ReadableStream;
  /** Whether a person is at the terminal (prompts, colors). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

let pipesGuarded = false;
const closed = new Set<NodeJS.WriteStream>();

/**
 * stdout/stderr that go quiet once the reader has gone (`hecate render caddy | head`): EPIPE
 * would otherwise crash with a stack trace. The command itself runs to its end, so an apply
 * piped into `head` is never cut off halfway.
 */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      closed.add(stream);
    });
  }
}

function quietWriter(stream: NodeJS.WriteStream): Io["stdout"] {
  return { write: (s: string) => (closed.has(stream) ? true : stream.write(s)) };
}

export function processIo(): Io {
  guardPipes();
  return {
    stdout: quietWriter(process.stdout),
    stderr: quietWriter(process.stderr),
    stdin: process.stdin,
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env: process.env,
  };
}

const readOnce = new WeakMap<NodeJS.ReadableStream, Promise<string>>();

/**
 * Read all of stdin as text (secrets, piped YAML). A stream is read once; asking again gives the
 * same text, so an edit redone on a newer head (state.ts commitEdit) sees the same input.
 */
export function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = readOnce.get(stream);
  if (!text) {
    text = (async () => {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
      return Buffer.concat(chunks).toString("utf8");
    })();
    readOnce.set(stream, text);
  }
  return text;
}

/** Ask one yes/no question on the terminal; anything but y/yes is no. */
export async function askYesNo(io: Io, question: string): Promise<boolean> {
  io.stderr.write(`${question} [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = "";
    const onData = (c: Buffer | string) => {
      buf += c.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        io.stdin.removeListener("data", onData);
        io.stdin.removeListener("end", onEnd);
        (io.stdin as NodeJS.ReadStream).pause?.();
        resolve(buf.slice(0, nl));
      }
    };
    const onEnd = () => resolve(buf);
    io.stdin.on("data", onData);
    io.stdin.once("end", onEnd);
  });
  return /^\s*y(es)?\s*$/i.test(line);
}
