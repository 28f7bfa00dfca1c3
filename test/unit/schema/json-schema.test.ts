// Goal: registry schemas compile once, refuse `$ref` anywhere, check `date-time` as RFC
// 3339, ignore other formats, and report failures with the path of the failing value.
import { expect, test } from "bun:test";
import { compileSchema, containsRef, describeErrors } from "../../../src/schema/json-schema.ts";

test("a schema compiles once: the same text gives the same validator", () => {
  const a = compileSchema({ type: "object", properties: { n: { type: "integer" } } });
  const b = compileSchema({ type: "object", properties: { n: { type: "integer" } } });
  expect(a.ok && b.ok && a.validate === b.validate).toBe(true);
});

test("$ref is refused anywhere, local references included", () => {
  expect(containsRef({ properties: { a: { items: [{ $ref: "#/definitions/x" }] } } })).toBe(true);
  expect(compileSchema({ properties: { a: { $ref: "#/definitions/x" } }, definitions: { x: {} } })).toEqual({ ok: false, message: "external $ref is not supported" });
  expect(containsRef({ properties: { ref: { const: "$ref" } } })).toBe(false);
});

test("a schema that does not compile reports the compiler's message", () => {
  const compiled = compileSchema({ type: "object", properties: { a: { type: "nonsense" } } });
  expect(compiled.ok).toBe(false);
  expect(!compiled.ok && compiled.message).toContain("type");
});

test("date-time is RFC 3339 and must parse; other formats are ignored", () => {
  const compiled = compileSchema({ properties: { at: { type: "string", format: "date-time" }, mail: { type: "string", format: "email" } } });
  if (!compiled.ok) throw new Error(compiled.message);
  expect(compiled.validate({ at: "2025-01-02T03:04:05.123Z", mail: "not an address" })).toBe(true);
  expect(compiled.validate({ at: "2025-01-02 03:04:05Z" })).toBe(false);
  expect(compiled.validate({ at: "2025-13-45T03:04:05Z" })).toBe(false);
});

test("errors name the path of the failing value, all of them, joined by '; '", () => {
  const compiled = compileSchema({ type: "object", required: ["status"], properties: { user: { type: "object", properties: { id: { type: "string" } } } } });
  if (!compiled.ok) throw new Error(compiled.message);
  expect(compiled.validate({ user: { id: 7 } })).toBe(false);
  expect(describeErrors(compiled.validate.errors)).toBe("must have required property 'status'; /user/id must be string");
  const closed = compileSchema({ type: "object", additionalProperties: false, properties: { user: { type: "object", additionalProperties: false } } });
  if (!closed.ok) throw new Error(closed.message);
  expect(closed.validate({ extra: 1, user: { nick: "x" } })).toBe(false);
  expect(describeErrors(closed.validate.errors)).toBe("must NOT have additional property 'extra'; /user must NOT have additional property 'nick'");
});
