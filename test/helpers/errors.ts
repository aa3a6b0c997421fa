// Assert that a promise rejects with a HecateError of a given code (and message), and return it.
import assert from "node:assert/strict";
import { HecateError } from "../../src/diag.js";

export async function rejectsWith(p: Promise<unknown>, code: string, text?: RegExp): Promise<HecateError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HecateError, `expected a HecateError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (text) assert.match(e.message, text);
    return e;
  }
  assert.fail(`expected ${code}`);
}
