// Goal: each lens op is proven against the old and new schema as spec 03 §5.6.3 says, so
// a lens that could fail on a valid old record, or produce an invalid new one, is refused.
import { expect, test } from "bun:test";
import type { LensOp } from "../../../src/schema/lens.ts";
import { proveLens } from "../../../src/schema/lens-proof.ts";

const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: "object", properties, required });
const str = { type: "string" };
const int = { type: "integer" };
const prove = (ops: unknown[], from: unknown, to: unknown) => {
  const proof = proveLens(ops as LensOp[], from as Record<string, unknown>, to as Record<string, unknown>);
  return proof.ok ? "proven" : proof.message;
};

test("rename and copy: required source, declared destination, compatible types", () => {
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: str }), obj({ b: str }))).toBe("proven");
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: str }, []), obj({ b: str }))).toBe("rename source not required");
  expect(prove([{ op: "copy", from: "/a", to: "/c" }], obj({ a: str }), obj({ a: str, b: str }))).toBe("copy dest missing in new schema");
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: str }), obj({ b: int }))).toBe("rename schema incompatible");
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: int }), obj({ b: { type: "number" } }))).toBe("proven");
  expect(prove([{ op: "rename", from: "/a", to: "/x/b" }], obj({ a: str }), obj({ x: obj({ b: str }) }))).toBe("parent path not required");
  expect(prove([{ op: "rename", from: "/a", to: "/x/b" }], obj({ a: str, x: str }), obj({ x: obj({ b: str }) }))).toBe("parent path not object");
});

test("enums and consts: a broad source cannot prove a narrow destination", () => {
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: str }), obj({ b: { enum: ["x", "y"] } }))).toBe("rename schema incompatible");
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: { enum: ["x"] } }), obj({ b: { enum: ["x", "y"] } }))).toBe("proven");
});

test("add needs a valid default; remove may not drop what the new schema requires", () => {
  expect(prove([{ op: "add", path: "/n", schema: int }], obj({}), obj({ n: int }))).toBe("add missing default");
  expect(prove([{ op: "add", path: "/n", schema: int, default: "x" }], obj({}), obj({ n: int }))).toBe("add default invalid");
  expect(prove([{ op: "add", path: "/n", schema: { type: "string", enum: ["a"] }, default: "b" }], obj({}), obj({ n: str }))).toBe("add default invalid");
  expect(prove([{ op: "add", path: "/o", schema: { type: "object" } }], obj({}), obj({ o: { type: "object" } }))).toBe("proven");
  expect(prove([{ op: "remove", path: "/a", schema: str }], obj({ a: str }), obj({ a: str }))).toBe("remove path still required in new schema");
  expect(prove([{ op: "remove", path: "/a", schema: str }], obj({ a: str }), obj({}))).toBe("proven");
});

test("wrap and head: array destinations and non-empty sources", () => {
  const tags = { type: "array", items: str };
  expect(prove([{ op: "wrap", path: "/t", mode: "singleton" }], obj({ t: str }), obj({ t: tags }))).toBe("proven");
  expect(prove([{ op: "wrap", path: "/t", mode: "singleton" }], obj({ t: str }), obj({ t: str }))).toBe("wrap dest not array");
  expect(prove([{ op: "wrap", path: "/t", mode: "singleton" }], obj({ t: int }), obj({ t: tags }))).toBe("wrap items incompatible");
  // A rename into an array destination is proven by a wrap that follows it.
  expect(prove([{ op: "rename", from: "/tag", to: "/tags" }, { op: "wrap", path: "/tags", mode: "singleton" }], obj({ tag: str }), obj({ tags: tags }))).toBe("proven");
  expect(prove([{ op: "head", path: "/t" }], obj({ t: tags }), obj({ t: str }))).toBe("head requires minItems");
  expect(prove([{ op: "head", path: "/t" }], obj({ t: { ...tags, minItems: 1 } }), obj({ t: str }))).toBe("proven");
});

test("convert: partial transforms need an enum source; outputs must fit", () => {
  const toInt = { builtin: "string_to_int" };
  const toStr = { builtin: "int_to_string" };
  const convert = (forward: unknown) => [{ op: "convert", path: "/n", fromType: "string", toType: "integer", forward, backward: toStr }];
  expect(prove(convert(toInt), obj({ n: str }), obj({ n: int }))).toBe("schema must be enum/const for non-total transform");
  expect(prove(convert(toInt), obj({ n: { type: "string", enum: ["1", "2"] } }), obj({ n: int }))).toBe("proven");
  expect(prove(convert({ map: { a: 1 } }), obj({ n: { enum: ["a", "b"] } }), obj({ n: int }))).toBe('convert cannot transform "b": no mapping for "b"');
  expect(prove(convert({ map: { a: 1 }, default: 0 }), obj({ n: str }), obj({ n: int }))).toBe("proven");
  expect(prove(convert({ builtin: "nope" }), obj({ n: str }), obj({ n: int }))).toBe("unknown builtin nope");
  expect(prove(convert({ map: { a: 1 }, default: 0 }), obj({ n: str }), obj({ n: str }))).toBe("convert dest type mismatch");
});

test("in and map recurse into objects and array items", () => {
  const user = (props: Record<string, unknown>) => obj({ user: obj(props) });
  expect(prove([{ op: "in", path: "/user", ops: [{ op: "rename", from: "/n", to: "/name" }] }], user({ n: str }), user({ name: str }))).toBe("proven");
  expect(prove([{ op: "in", path: "/user", ops: [{ op: "rename", from: "/x", to: "/name" }] }], user({ n: str }), user({ name: str }))).toBe("rename source not required");
  const list = (props: Record<string, unknown>) => obj({ items: { type: "array", items: obj(props) } });
  expect(prove([{ op: "map", path: "/items", ops: [{ op: "rename", from: "/q", to: "/qty" }] }], list({ q: int }), list({ qty: int }))).toBe("proven");
  expect(prove([{ op: "map", path: "/items", ops: [] }], obj({ items: str }), list({}))).toBe("map path not array");
});

test("the output must have every property the new schema requires", () => {
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: str }), obj({ b: str, c: str }))).toBe("new schema requires /c, which the lens does not produce");
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: str, c: str }, ["a"]), obj({ b: str, c: str }))).toBe("new schema requires /c, which the lens does not produce");
  expect(prove([{ op: "in", path: "/u", ops: [{ op: "remove", path: "/x", schema: str }] }], obj({ u: obj({ x: str, y: str }) }), obj({ u: obj({ y: str, z: str }) }))).toBe("new schema requires /u/z, which the lens does not produce");
  expect(prove([{ op: "rename", from: "/a", to: "/b" }], obj({ a: str, c: str }), obj({ b: str, c: str }))).toBe("proven");
});
