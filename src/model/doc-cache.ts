// Documents read before: a server sent the same directory again (the CLI's remote `apply DIR`)
// reads only the documents that changed. Each file's bytes are compared with what the last load
// had under that name: the documents wholly inside the unchanged start and end keep their
// values, unread and undecoded (at 10,000 routes, decoding 1.7 MB and splitting it into
// documents was most of a one-route request's reading), and only the bytes between them are
// decoded and split. A document there is looked up by its text among every document of the last
// load (moved within or between files), else read anew. Each document's value is what the fast
// reader gives for it alone, which is what it gives for that document inside the whole file
// (documents are separated by `---` lines and share nothing in the fast subset); a file the fast
// reader cannot take whole goes to parseYamlText as before, so results and diagnostics are the same.
import { fastYaml } from "./fast-yaml.js";
import { fastResult, parseYamlText, type LoadResult } from "./load.js";
import { knownDocument } from "../store/content.js";

/** A line that is blank or a comment only. */
const EMPTY_LINE = /^\s*(#.*)?$/;
const DASHES = Buffer.from("---");
/** From this many documents to read in one file, the last load's documents are indexed by text. */
const INDEX_FROM = 16;

/** A document of a file: its bytes [start, end), where the document after it starts (past the `---` line), its value. */
interface Doc {
  start: number;
  end: number;
  next: number;
  value?: unknown;
}

interface FileMemo {
  bytes: Buffer;
  docs: Doc[];
}

export class DocumentCache {
  /** The files of the last load, by name: their bytes and documents (values frozen, content hash known: store/content.ts). */
  private files = new Map<string, FileMemo>();
  /** The files of the load under way (see begin/end). */
  private next: Map<string, FileMemo> | undefined;
  /** The last load's documents by text, built when a load first needs it. */
  private byText: Map<string, unknown> | undefined;

  /** Start one load of several files: files it does not send are forgotten at end(). */
  begin(): void {
    this.next = new Map();
  }

  end(): void {
    if (this.next) this.files = this.next;
    this.next = undefined;
    this.byText = undefined;
  }

  /** As parseYamlText, reusing the values of documents seen before. `content`: the text, or its bytes (UTF-8, checked). */
  parse(content: string | Uint8Array, file: string): LoadResult {
    const bytes = typeof content === "string" ? Buffer.from(content) : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    let text = typeof content === "string" ? content : undefined;
    // Decoded only when a diagnostic asks for a position, or the file is outside the fast subset.
    const decoded = () => (text ??= bytes.toString("utf8"));
    const docs = this.read(bytes, this.files.get(file));
    if (!docs) return parseYamlText(decoded(), file);
    this.next?.set(file, { bytes, docs });
    return fastResult(docs.map((d) => d.value), decoded, file);
  }

  /** The documents of `bytes` with their values; undefined when one is outside the fast subset. */
  private read(bytes: Buffer, before: FileMemo | undefined): Doc[] | undefined {
    if (before?.bytes.equals(bytes)) return before.docs;
    let head: Doc[] = [];
    let tail: Doc[] = [];
    let from = 0;
    let to = bytes.length;
    if (before) {
      const old = before.bytes;
      const p = commonPrefix(old, bytes);
      const s = commonSuffix(old, bytes, Math.min(old.length, bytes.length) - p);
      const shift = bytes.length - old.length;
      const docs = before.docs;
      // Kept from the start: a document and the `---` line after it unchanged (never the last,
      // which ends where the file ends, and the file may go on now).
      let i = 0;
      while (i < docs.length - 1 && docs[i]!.next <= p) i++;
      // Kept from the end: a document and the "\n---\n" before it unchanged (never the first).
      let j = docs.length;
      while (j - 1 > i && docs[j - 1]!.start - 5 >= old.length - s) j--;
      head = docs.slice(0, i);
      tail = docs.slice(j).map((d) => ({ start: d.start + shift, end: d.end + shift, next: d.next + shift, value: d.value }));
      if (i > 0) from = head[i - 1]!.next;
      if (j < docs.length) to = docs[j]!.start + shift;
    }
    const middle = documentsOf(bytes, from, to);
    if (!middle) return this.read(bytes, undefined); // not where the unchanged parts said: read it all
    const index = middle.length >= INDEX_FROM ? this.index() : undefined;
    for (const d of middle) {
      const chunk = bytes.toString("utf8", d.start, d.end);
      let value = index?.get(chunk);
      if (value === undefined) {
        const read = fastYaml(chunk);
        if (!read || read.length !== 1) return undefined; // outside the subset: the whole file, as always
        value = read[0] !== null && typeof read[0] === "object" ? knownDocument(read[0]) : read[0];
      }
      d.value = value;
    }
    return head.length || tail.length ? [...head, ...middle, ...tail] : middle;
  }

  /** The last load's documents by their text (decoded once per load, only when needed). */
  private index(): Map<string, unknown> {
    if (this.byText) return this.byText;
    this.byText = new Map();
    for (const f of this.files.values()) for (const d of f.docs) this.byText.set(f.bytes.toString("utf8", d.start, d.end), d.value);
    return this.byText;
  }
}

/**
 * The documents of bytes [from, to), split at `---` lines (a line that is exactly `---`). `from`
 * is 0 or where a document starts; `to` is the end of the file or where a document starts (past
 * a `---` line). A leading part of comments only is not a document. Undefined when `to` is not
 * where a document starts after all.
 */
function documentsOf(bytes: Buffer, from: number, to: number): Doc[] | undefined {
  const docs: Doc[] = [];
  let start = from; // where the current document's first line starts
  let leading = from === 0; // before the file's first `---`
  for (let pos = from; ; ) {
    const at = bytes.indexOf(DASHES, pos);
    if (at < 0 || at >= to) break;
    pos = at + 1;
    if ((at > 0 && bytes[at - 1] !== 10) || (at + 3 < bytes.length && bytes[at + 3] !== 10)) continue;
    // The lines before the separator, without the newline that ends the last of them.
    const end = at > start ? at - 1 : start;
    const next = at + 4;
    const skip = leading && bytes.toString("utf8", start, end).split("\n").every((l) => EMPTY_LINE.test(l));
    leading = false;
    if (skip) {
      start = next; // comments before the first `---`: not a document
      continue;
    }
    docs.push({ start, end, next });
    start = next;
  }
  if (to === bytes.length) docs.push({ start: Math.min(start, to), end: to, next: to });
  else if (start !== to) return undefined;
  return docs;
}

/** Where a and b first differ (compared natively a block at a time). */
function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  const BLOCK = 4096;
  let i = 0;
  while (i + BLOCK <= n && a.compare(b, i, i + BLOCK, i, i + BLOCK) === 0) i += BLOCK;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** How many bytes a and b end with alike, at most `max`. */
function commonSuffix(a: Buffer, b: Buffer, max: number): number {
  const BLOCK = 4096;
  let k = 0;
  while (k + BLOCK <= max && a.compare(b, b.length - k - BLOCK, b.length - k, a.length - k - BLOCK, a.length - k) === 0) k += BLOCK;
  while (k < max && a[a.length - 1 - k] === b[b.length - 1 - k]) k++;
  return k;
}
