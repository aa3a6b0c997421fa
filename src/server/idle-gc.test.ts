// Garbage collected while the server is idle: never while a request is in flight, once per quiet moment.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runInNewContext } from "node:vm";
import { idleCollector, v8Collector } from "./idle-gc.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("collects once when the last request in flight ends and the server stays quiet, never during a request", async () => {
  let runs = 0;
  const idle = idleCollector(() => runs++, 20);
  const a = idle.busy();
  const b = idle.busy();
  a();
  await sleep(60);
  assert.equal(runs, 0, "one request still in flight");
  b();
  b(); // a second call of the same end counts once
  assert.equal(runs, 0, "not at once: a burst of requests is one quiet moment");
  await sleep(60);
  assert.equal(runs, 1);

  // A request that starts before the quiet moment is over puts the collection off.
  const c = idle.busy();
  c();
  await sleep(5);
  const d = idle.busy();
  await sleep(60);
  assert.equal(runs, 1, "a request came in before the quiet moment ended");
  d();
  await sleep(60);
  assert.equal(runs, 2);

  idle.stop();
  idle.busy()();
  await sleep(60);
  assert.equal(runs, 2, "stopped: no more collections");
});

test("V8's minor collection is available without --expose-gc, and gc is not left exposed", () => {
  const collect = v8Collector();
  assert.equal(typeof collect, "function");
  collect!();
  assert.equal(runInNewContext("typeof gc"), "undefined", "a context made afterwards has no gc");
});
