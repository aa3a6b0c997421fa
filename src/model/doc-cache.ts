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
    if (!chunks) return parseYamlText(text, file);
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

/** The documents of `text` split at `---` lines; a leading part of comments only is not one. */
function documentsOf(text: string): string[] | undefined {
  const lines = text.split("\n");
  const chunks: string[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i < lines.length && lines[i] !== "---") continue;
    const part = lines.slice(start, i);
    start = i + 1;
    if (chunks.length === 0 && i < lines.length && part.every((l) => EMPTY_LINE.test(l))) continue; // before the first `---`
    chunks.push(part.join("\n"));
  }
  return chunks.length ? chunks : undefined;
}
