import assert from "node:assert/strict";
import { test } from "node:test";
import { HecateError } from "../diag.js";
import { encodeFormData, parseFormData, sentRequest } from "./form-data.js";

const b = (s: string) => Buffer.from(s);

test("what the encoder writes, the parser reads back: names, filenames and bytes exactly", () => {
  const parts = [
    { name: "options", type: "application/json", bytes: b('{"yes":true}') },
    { name: "file", filename: 'conf/a "quoted"\nname.yaml', type: "application/yaml", bytes: b("kind: Route\r\n--not-a-boundary\r\n\r\n") },
    { name: "file", filename: "conf/ünïcode.yaml", bytes: b("") },
    { name: "file", filename: "conf/ends-with-crlf.yaml", bytes: b("a: 1\r\n") },
  ];
  const { chunks, length, type } = encodeFormData(parts);
  const body = Buffer.concat(chunks);
  assert.equal(body.length, length);
  assert.match(type, /^multipart\/form-data; boundary=hecate-/);
  const back = parseFormData(body, type);
  assert.deepEqual(
    back.map((p) => ({ ...p, bytes: Buffer.from(p.bytes).toString() })),
    parts.map((p) => ({ ...p, bytes: p.bytes.toString() })),
  );
});

test("a boundary that occurs in a file is never chosen", (t) => {
  // The first boundary the encoder tries is in the file: it must try another.
  const draws = [0.5, 0.5, 0.25, 0.25];
  t.mock.method(Math, "random", () => draws.shift() ?? 0.125);
  const first = `hecate-${(0.5).toString(36).slice(2)}${(0.5).toString(36).slice(2)}`;
  const text = `a: 1\r\n--${first}\r\nb: 2\r\n`;
  const { chunks, type } = encodeFormData([{ name: "file", filename: "x.yaml", bytes: b(text) }]);
  assert.ok(!type.endsWith(first), type);
  assert.equal(Buffer.from(parseFormData(Buffer.concat(chunks), type)[0]!.bytes).toString(), text);
});

test("a body as curl -F writes it (quoted boundary, a preamble) is read", () => {
  const body = b(`ignored preamble\r\n--XyZ\r\ncontent-disposition: form-data; name="options"\r\n\r\n{"dryRun":true}\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="routes.yaml"\r\nContent-Type: application/octet-stream\r\n\r\nkind: Route\n\r\n--XyZ--\r\n`);
  const sent = sentRequest(body, 'multipart/form-data; boundary="XyZ"');
  assert.deepEqual(
    { ...sent, files: sent.files?.map((f) => ({ name: f.name, text: "bytes" in f ? Buffer.from(f.bytes).toString() : f.text })) },
    { options: { dryRun: true }, files: [{ name: "routes.yaml", text: "kind: Route\n" }] },
  );
});

test("malformed bodies are a 400 that says what is wrong", () => {
  const bad = (body: string, type: string, message: RegExp) =>
    assert.throws(() => sentRequest(b(body), type), (e: unknown) => e instanceof HecateError && e.status === 400 && message.test(e.message));
  const part = (head: string, data: string) => `--B\r\n${head}\r\n\r\n${data}\r\n`;
  bad("", "multipart/form-data", /no boundary/);
  bad("just text", "multipart/form-data; boundary=B", /no part starts with the boundary/);
  bad(`${part('Content-Disposition: form-data; name="file"; filename="a.yaml"', "a: 1")}`, "multipart/form-data; boundary=B", /ends inside a part/);
  bad(`--B\r\nContent-Disposition: form-data; name="file"\r\n`, "multipart/form-data; boundary=B", /headers do not end/);
  bad(`${part('Content-Disposition: form-data; name="other"', "x")}--B--\r\n`, "multipart/form-data; boundary=B", /unknown part "other"/);
  bad(`${part("Content-Disposition: attachment", "x")}--B--\r\n`, "multipart/form-data; boundary=B", /not form-data/);
  bad(`${part('Content-Disposition: form-data; name="file"', "x")}--B--\r\n`, "multipart/form-data; boundary=B", /has no filename/);
  bad(`${part('Content-Disposition: form-data; name="options"', "{yes")}--B--\r\n`, "multipart/form-data; boundary=B", /options part is not JSON/);
  bad(`${part('Content-Disposition: form-data; name="options"', "[1]")}--B--\r\n`, "multipart/form-data; boundary=B", /must be a JSON object/);
  bad(`${part('Content-Disposition: form-data; name="options"', '{"files":[]}')}--B--\r\n`, "multipart/form-data; boundary=B", /file parts, not in options/);
  const latin1 = Buffer.concat([b(`--B\r\nContent-Disposition: form-data; name="file"; filename="l1.yaml"\r\n\r\nname: caf`), Buffer.from([0xe9]), b("\r\n--B--\r\n")]);
  assert.throws(() => sentRequest(latin1, "multipart/form-data; boundary=B"), /l1\.yaml: not UTF-8 text/);
});
