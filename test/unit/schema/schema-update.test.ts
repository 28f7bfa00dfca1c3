// Goal: POST /_schema bodies are checked in the order and with the messages of spec 03
// §5.3–5.4, and applying them gives the registry the spec describes: version boundaries at
// the stream's next offset, lenses keyed by their source version with defaults filled.
import { expect, test } from "bun:test";
import { emptyRegistry, type SchemaRegistry } from "../../../src/schema/registry.ts";
import { applySchemaUpdate, parseSchemaUpdate, type SchemaUpdate } from "../../../src/schema/schema-update.ts";

const parse = (body: unknown): SchemaUpdate => {
  const parsed = parseSchemaUpdate(typeof body === "string" ? body : JSON.stringify(body));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
};
const parseRefusal = (body: unknown) => {
  const parsed = parseSchemaUpdate(typeof body === "string" ? body : JSON.stringify(body));
  return parsed.ok ? "accepted" : parsed.message;
};
const apply = (registry: SchemaRegistry, body: unknown, nextOffset = 0) => applySchemaUpdate(registry, parse(body), nextOffset);
const applied = (registry: SchemaRegistry, body: unknown, nextOffset = 0): SchemaRegistry => {
  const result = apply(registry, body, nextOffset);
  if (!result.ok) throw new Error(result.message);
  return result.value;
};

const v1 = { type: "object", required: ["id", "name"], properties: { id: { type: "string" }, name: { type: "string" } } };
const v2 = { type: "object", required: ["id", "fullName", "tags"], properties: { id: { type: "string" }, fullName: { type: "string" }, tags: { type: "array", items: { type: "string" } } } };
const lens = (from: number, ops: unknown[]) => ({ apiVersion: "durable.lens/v1", schema: "users", from, to: from + 1, ops });

test("bodies are refused in the spec's order with its messages", () => {
  expect(parseRefusal("{nope")).toBe("schema update must be valid JSON");
  expect(parseRefusal("[]")).toBe("schema update must be a JSON object");
  for (const key of ["schemas", "lenses", "indexes", "routing_key", "routingKeyPointer", "json_pointer", "touch", "profile"]) {
    expect(parseRefusal({ schema: v1, [key]: 1 })).toBe(`schemaUpdate.${key} is not supported`);
  }
  expect(parseRefusal({ apiVersion: "v0", schema: v1 })).toBe("invalid schema apiVersion");
  expect(parseRefusal({ apiVersion: "durable.streams/schema-registry/v1" })).toBe("schema update must include schema, routingKey, or search");
  expect(parseRefusal({ routingKey: null, lens: lens(0, []) })).toBe("schema update lens requires schema");
  expect(parseRefusal({ schema: v1, routingKey: null })).toBe("schema update routingKey must be an object when schema is provided");
  expect(parseRefusal({ routingKey: { jsonPointer: "/id" }, search: null })).toBe("missing schema");
  expect(parseRefusal({ routingKey: "id" })).toBe("routingKey must be an object or null");
  expect(parseRefusal({ routingKey: { jsonPointer: "id" } })).toBe("invalid json pointer");
  expect(parseRefusal({ routingKey: { jsonPointer: "/id", required: "yes" } })).toBe("routingKey.required must be boolean");
  expect(parseRefusal({ routingKey: { jsonPointer: "/id", pointer: "/x" } })).toBe("routingKey.pointer is not supported");
});

test("a routing key alone works without a schema; a search block needs one", () => {
  const keyed = applied(emptyRegistry("users"), { routingKey: { jsonPointer: "/id", required: true } });
  expect(keyed).toMatchObject({ currentVersion: 0, routingKey: { jsonPointer: "/id", required: true } });
  const search = { primaryTimestampField: "t", fields: { t: { kind: "date", bindings: [{ version: 1, jsonPointer: "/t" }] } } };
  expect(apply(keyed, { search })).toEqual({ ok: false, status: 400, message: "search config requires an installed schema version" });
  expect(applied(keyed, { routingKey: null }).routingKey).toBeUndefined();
});

test("the first schema needs an empty stream, drops an earlier routing key unless repeated, and checks an optional 0→1 lens", () => {
  const keyed = applied(emptyRegistry("users"), { routingKey: { jsonPointer: "/id", required: true } });
  expect(apply(keyed, { schema: v1 }, 3)).toEqual({ ok: false, status: 400, message: "first schema requires empty stream" });
  const installed = applied(keyed, { schema: v1 });
  expect(installed).toMatchObject({ currentVersion: 1, boundaries: [{ offset: 0, version: 1 }], schemas: { "1": v1 }, lenses: {} });
  expect(installed.routingKey).toBeUndefined();
  expect(apply(emptyRegistry("users"), { schema: v1, lens: lens(1, [{ op: "remove", path: "/x", schema: {} }]) })).toEqual({ ok: false, status: 409, message: "lens version mismatch" });
  expect(apply(emptyRegistry("users"), { schema: { properties: { a: { $ref: "#/x" } } } })).toEqual({ ok: false, status: 400, message: "external $ref is not supported" });
});

test("three versions: boundaries at the next offsets, lenses keyed by source version, defaults filled", () => {
  let registry = applied(emptyRegistry("users"), { schema: v1, routingKey: { jsonPointer: "/id", required: true } });
  registry = applied(registry, { schema: v2, lens: lens(1, [{ op: "rename", from: "/name", to: "/fullName" }, { op: "add", path: "/tags", schema: { type: "array", items: { type: "string" } } }]) }, 5);
  const v3 = { ...v2, required: [...v2.required, "active"], properties: { ...v2.properties, active: { type: "boolean", default: true } } };
  registry = applied(registry, { schema: v3, lens: lens(2, [{ op: "add", path: "/active", schema: { type: "boolean", default: true } }]) }, 9);
  expect(registry.currentVersion).toBe(3);
  expect(registry.boundaries).toEqual([{ offset: 0, version: 1 }, { offset: 5, version: 2 }, { offset: 9, version: 3 }]);
  expect(Object.keys(registry.lenses)).toEqual(["1", "2"]);
  expect(registry.lenses["1"]!.ops[1]).toMatchObject({ op: "add", path: "/tags", default: [] });
  expect(registry.lenses["2"]!.ops[0]).toMatchObject({ default: true });
  // A later version keeps the routing key unless the update names another.
  expect(registry.routingKey).toEqual({ jsonPointer: "/id", required: true });
});

test("a later version needs a matching, valid, provable lens", () => {
  const registry = applied(emptyRegistry("users"), { schema: v1 });
  expect(apply(registry, { schema: v2 }, 1)).toEqual({ ok: false, status: 400, message: "lens required" });
  expect(apply(registry, { schema: v2, lens: lens(2, [{ op: "rename", from: "/name", to: "/fullName" }]) }, 1)).toEqual({ ok: false, status: 409, message: "lens version mismatch" });
  expect(apply(registry, { schema: v2, lens: { ...lens(1, [{ op: "rename", from: "/name", to: "/fullName" }]), schema: "other" } }, 1)).toEqual({ ok: false, status: 400, message: "lens schema mismatch" });
  const invalid = apply(registry, { schema: v2, lens: lens(1, [{ op: "rename", from: "/name" }]) }, 1);
  expect(invalid).toEqual({ ok: false, status: 400, message: "invalid lens: lens/ops/0 must have required property 'to'" });
  const unproven = apply(registry, { schema: v2, lens: lens(1, [{ op: "rename", from: "/nickname", to: "/fullName" }]) }, 1);
  expect(unproven).toEqual({ ok: false, status: 400, message: "rename source not required" });
});
