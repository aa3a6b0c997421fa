// Documents read before, by their text: a server sent the same directory again (the CLI's remote
// `apply DIR`) reads only the documents that changed. Each document's value is what the fast
// reader gives for it alone, which is what it gives for that document inside the whole file
// (documents are separated by `---` lines and share nothing in the fast subset); a file the fast
// reader cannot take whole goes to parseYamlText as before, so results and diagnostics are the same.
import { fastYaml } from "./fast-yaml.js";
import { fastResult, parseYamlText, type LoadResult } from "./load.js";
import { knownDocument } from "../store/content.js";

/** A line that is blank or a comment only. */
const EMPTY_LINE = /^\s*(#.*)?$/;

export class DocumentCache {
  /** Values of the documents the last load used, by text: frozen, with their content hash known (store/content.ts), as every load hands out the same object. */
  private docs = new Map<string, unknown>();
  /** Documents used by the load under way (see begin/end). */
  private used: Map<string, unknown> | undefined;

  /** Start one load of several files: documents no file of it uses are dropped at end(). */
  begin(): void {
    this.used = new Map();
  }

  end(): void {
    if (this.used) this.docs = this.used;
    this.used = undefined;
  }

  /** As parseYamlText, reusing the values of documents seen before. */
  parse(text: string, file: string): LoadResult {
    const chunks = documentsOf(text);
    const values: unknown[] = [];
    for (const chunk of chunks) {
      let value = this.docs.get(chunk) ?? this.used?.get(chunk);
      if (value === undefined) {
        const read = fastYaml(chunk);
        if (!read || read.length !== 1) return parseYamlText(text, file); // outside the subset: the whole file, as always
        value = read[0] !== null && typeof read[0] === "object" ? knownDocument(read[0]) : read[0];
      }
      this.used?.set(chunk, value);
      values.push(value);
    }
    return fastResult(values, text, file);
  }
}

/**
 * The documents of `text` split at `---` lines (a line that is exactly `---`); a leading part of
 * comments only is not one. Found by searching the text for `---` rather than splitting it into
 * lines: a 10,000-document file is 170,000 lines.
 */
function documentsOf(text: string): string[] {
  const chunks: string[] = [];
  let start = 0; // where the current document's first line starts
  for (let from = 0; ; ) {
    const at = text.indexOf("---", from);
    if (at < 0) break;
    from = at + 1;
    if ((at > 0 && text.charCodeAt(at - 1) !== 10) || (at + 3 < text.length && text.charCodeAt(at + 3) !== 10)) continue;
    // The lines before the separator, without the newline that ends the last of them.
    const part = at > start ? text.slice(start, at - 1) : "";
    start = at + 4;
    if (chunks.length === 0 && part.split("\n").every((l) => EMPTY_LINE.test(l))) continue; // before the first `---`
    chunks.push(part);
  }
  chunks.push(start <= text.length ? text.slice(start) : "");
  return chunks;
}
