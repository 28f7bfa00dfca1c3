// Goal: routing keys are extracted by JSON pointer (RFC 6901 escapes included) as spec 03
// §5.7 says: absent and required is refused, absent and optional is no key, a non-string
// is refused.
import { expect, test } from "bun:test";
import { parsePointer, resolvePointer } from "../../../src/schema/json-pointer.ts";
import { extractRoutingKey } from "../../../src/schema/routing-key.ts";

test("pointers: root, escapes, array indexes", () => {
  expect(parsePointer("")).toEqual([]);
  expect(parsePointer("/a~1b/c~0d")).toEqual(["a/b", "c~d"]);
  expect(parsePointer("a")).toBeNull();
  expect(resolvePointer({ xs: [{ id: "k" }] }, ["xs", "0", "id"])).toEqual({ found: true, value: "k" });
  expect(resolvePointer({ xs: [] }, ["xs", "01"])).toEqual({ found: false });
});

test("extraction: string keys, missing keys, non-strings", () => {
  const required = { jsonPointer: "/user/id", required: true };
  const optional = { jsonPointer: "/user/id", required: false };
  expect(extractRoutingKey(required, { user: { id: "u\u00001" } })).toEqual({ ok: true, value: "u\u00001" });
  expect(extractRoutingKey(required, { user: {} })).toEqual({ ok: false, message: "routing key missing" });
  expect(extractRoutingKey(optional, { user: {} })).toEqual({ ok: true, value: null });
  expect(extractRoutingKey(optional, { user: { id: 7 } })).toEqual({ ok: false, message: "routing key must be string" });
});
