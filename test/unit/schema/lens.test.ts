// Goal: lenses promote records as spec 03 §5.6.1 describes, and a lens that cannot apply
// to a record says where.
import { expect, test } from "bun:test";
import { LensError, parseLens, promoteRecord, type Lens, type LensOp } from "../../../src/schema/lens.ts";

const lens = (ops: unknown[]): Lens => ({ apiVersion: "durable.lens/v1", schema: "s", from: 1, to: 2, ops: ops as LensOp[] });
const promote = (record: unknown, ...ops: unknown[]) => promoteRecord(structuredClone(record), [lens(ops)]);

test("moves, copies, adds and removes", () => {
  expect(promote({ a: 1, b: 2 }, { op: "rename", from: "/a", to: "/x" }, { op: "copy", from: "/b", to: "/y" }, { op: "remove", path: "/b", schema: {} }, { op: "add", path: "/z", schema: {}, default: [1] })).toEqual({ x: 1, y: 2, z: [1] });
});

test("hoist, plunge, wrap, head", () => {
  expect(promote({ user: { id: 7, n: "a" } }, { op: "hoist", host: "/user", name: "id", to: "/userId" })).toEqual({ user: { n: "a" }, userId: 7 });
  expect(promote({ user: { id: 7 } }, { op: "hoist", host: "/user", name: "id", to: "/userId", removeFromHost: false })).toEqual({ user: { id: 7 }, userId: 7 });
  expect(promote({ city: "Oslo" }, { op: "plunge", from: "/city", host: "/address", name: "city" })).toEqual({ address: { city: "Oslo" } });
  expect(promote({ tag: "x" }, { op: "wrap", path: "/tag", mode: "singleton" })).toEqual({ tag: ["x"] });
  expect(promote({ tags: ["x", "y"] }, { op: "head", path: "/tags" })).toEqual({ tags: "x" });
});

test("convert with builtins and maps, in and map", () => {
  const toMillis = { op: "convert", path: "/at", fromType: "string", toType: "integer", forward: { builtin: "rfc3339_to_unix_millis" }, backward: { builtin: "unix_millis_to_rfc3339" } };
  expect(promote({ at: "1970-01-01T00:00:01Z" }, toMillis)).toEqual({ at: 1000 });
  const level = { op: "convert", path: "/l", fromType: "integer", toType: "string", forward: { map: { "1": "low" }, default: "high" }, backward: { map: { low: 1 }, default: 2 } };
  expect(promote({ l: 1 }, level)).toEqual({ l: "low" });
  expect(promote({ l: 5 }, level)).toEqual({ l: "high" });
  expect(promote({ u: { a: 1 } }, { op: "in", path: "/u", ops: [{ op: "rename", from: "/a", to: "/b" }] })).toEqual({ u: { b: 1 } });
  expect(promote({ xs: [{ a: 1 }, { a: 2 }] }, { op: "map", path: "/xs", ops: [{ op: "rename", from: "/a", to: "/b" }] })).toEqual({ xs: [{ b: 1 }, { b: 2 }] });
});

test("lenses chain in order", () => {
  const second: Lens = { ...lens([{ op: "rename", from: "/b", to: "/c" }]), from: 2, to: 3 };
  expect(promoteRecord({ a: 1 }, [lens([{ op: "rename", from: "/a", to: "/b" }]), second])).toEqual({ c: 1 });
});

test("a lens that cannot apply fails with a LensError naming the path", () => {
  expect(() => promote({ b: 1 }, { op: "rename", from: "/a", to: "/x" })).toThrow(new LensError("rename source missing at /a"));
  expect(() => promote({ tags: [] }, { op: "head", path: "/tags" })).toThrow("head needs a non-empty array at /tags");
  expect(() => promote({ n: "x" }, { op: "convert", path: "/n", fromType: "integer", toType: "string", forward: { builtin: "int_to_string" }, backward: { builtin: "string_to_int" } })).toThrow("convert input at /n is not integer");
  expect(() => promote({ l: 9 }, { op: "convert", path: "/l", fromType: "integer", toType: "string", forward: { map: { "1": "a" } }, backward: { map: {} } })).toThrow(LensError);
});

test("lens documents are checked against durable.lens/v1", () => {
  expect(parseLens(lens([{ op: "rename", from: "/a", to: "/b" }])).ok).toBe(true);
  expect(parseLens({ ...lens([]), ops: [] })).toEqual({ ok: false, message: "invalid lens: lens/ops must NOT have fewer than 1 items" });
  expect(parseLens({ ...lens([{ op: "rename", from: "/a", to: "/b" }]), extra: 1 })).toEqual({ ok: false, message: "invalid lens: lens must NOT have additional properties" });
  expect(parseLens(lens([{ op: "wrap", path: "/a", mode: "pair" }])).ok).toBe(false);
});
