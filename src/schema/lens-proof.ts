// Proving a lens against the schema it reads (old) and the one it must produce (new) at
// install time (spec 03 §5.6.3), so that promotion on read can only fail on records that
// did not match their own schema. Ops are checked in order against a working copy of the
// old schema that each op edits as the op would edit a record; destinations are checked
// against the new schema; at the end every property the new schema requires must be there.
// Also fills the defaults `add` ops leave out. Pure.
import type { LensOp } from "./lens.ts";
import { BUILTIN_TYPES, PARTIAL_BUILTINS, transformValue, type Transform } from "./lens-values.ts";
import { parsePointer } from "./json-pointer.ts";
import {
  compatible,
  conforms,
  isArraySchema,
  isObjectSchema,
  itemsOf,
  locate,
  putAt,
  removeAt,
  typesOf,
  valuesOf,
  type Schema,
} from "./schema-walk.ts";

class ProofError extends Error {}

const segmentsOf = (pointer: string): string[] => parsePointer(pointer) ?? [];

function fail(message: string): never {
  throw new ProofError(message);
}

/** The parents of `segments` are required objects in the working schema. */
function checkParents(work: Schema, segments: readonly string[]): void {
  for (let depth = 1; depth < segments.length; depth++) {
    const parent = locate(work, segments.slice(0, depth));
    if (!parent || !parent.required) fail("parent path not required");
    if (!isObjectSchema(parent.schema)) fail("parent path not object");
  }
}

function source(work: Schema, pointer: string, what: string): Schema {
  const found = locate(work, segmentsOf(pointer));
  if (!found || !found.required) fail(`${what} not required`);
  return found.schema;
}

function destination(next: Schema, pointer: string, what: string): Schema {
  const found = locate(next, segmentsOf(pointer));
  if (!found) fail(`${what} dest missing in new schema`);
  return found.schema;
}

/** `wrap` later in the list on `path`: a value moved there only needs to fit the items. */
const wrappedLater = (rest: readonly LensOp[], path: string): boolean => rest.some((op) => op.op === "wrap" && op.path === path);

function defaultOf(op: { schema: Schema; default?: unknown }): unknown {
  if (op.default !== undefined) return op.default;
  if (op.schema.default !== undefined) return op.schema.default;
  const types = typesOf(op.schema);
  if (types?.has("object")) return {};
  if (types?.has("array")) return [];
  return undefined;
}

function proveConvert(work: Schema, next: Schema, op: Extract<LensOp, { op: "convert" }>): void {
  const from = source(work, op.path, "convert path");
  const types = typesOf(from);
  const accepts = (t: string) => t === op.fromType || (t === "integer" && op.fromType === "number");
  if (!types || ![...types].every(accepts)) fail("convert source type mismatch");
  const values = valuesOf(from);
  if (isPartial(op.forward, op.fromType) && !values) fail("schema must be enum/const for non-total transform");
  const dest = destination(next, op.path, "convert");
  if (values) {
    for (const value of values) {
      let out: unknown;
      try {
        out = transformValue(op.forward, value);
      } catch (error) {
        fail(`convert cannot transform ${JSON.stringify(value)}: ${(error as Error).message}`);
      }
      if (!conforms(out, dest)) fail("convert dest type mismatch");
    }
  } else if (!compatible({ type: op.toType }, dest)) {
    fail("convert dest type mismatch");
  }
  putAt(work, segmentsOf(op.path), dest, true);
}

/** Transforms that fail on some values of their input type. */
function isPartial(transform: Transform, fromType: string): boolean {
  if ("map" in transform) return transform.default === undefined;
  const types = BUILTIN_TYPES[transform.builtin as keyof typeof BUILTIN_TYPES];
  if (!types) fail(`unknown builtin ${transform.builtin}`);
  if (types.from !== fromType && !(types.from === "integer" && fromType === "number")) fail(`builtin ${transform.builtin} does not take ${fromType}`);
  return PARTIAL_BUILTINS.has(transform.builtin);
}

/** Checks `ops` and edits `work` (the old schema's copy) as they would edit a record; returns the ops with defaults filled. */
function proveOps(work: Schema, next: Schema, ops: readonly LensOp[]): LensOp[] {
  return ops.map((op, index) => {
    const rest = ops.slice(index + 1);
    switch (op.op) {
      case "rename":
      case "copy": {
        const value = source(work, op.from, `${op.op} source`);
        checkParents(work, segmentsOf(op.to));
        const dest = destination(next, op.to, op.op);
        const fits = compatible(value, dest) || (isArraySchema(dest) && wrappedLater(rest, op.to) && compatible(value, itemsOf(dest)));
        if (!fits) fail(`${op.op} schema incompatible`);
        if (op.op === "rename") removeAt(work, segmentsOf(op.from));
        putAt(work, segmentsOf(op.to), value, true);
        return op;
      }
      case "add": {
        checkParents(work, segmentsOf(op.path));
        const dest = destination(next, op.path, "add");
        const value = defaultOf(op);
        if (value === undefined) fail("add missing default");
        if (!conforms(value, op.schema) || !conforms(value, dest)) fail("add default invalid");
        putAt(work, segmentsOf(op.path), op.schema, true);
        return { ...op, default: value };
      }
      case "remove": {
        source(work, op.path, "remove path");
        if (locate(next, segmentsOf(op.path))?.required) fail("remove path still required in new schema");
        removeAt(work, segmentsOf(op.path));
        return op;
      }
      case "hoist": {
        const host = source(work, op.host, "hoist host");
        if (!isObjectSchema(host)) fail("hoist host not object");
        const value = locate(host, [op.name]);
        if (!value || !value.required) fail("hoist name not required");
        checkParents(work, segmentsOf(op.to));
        if (!compatible(value.schema, destination(next, op.to, "hoist"))) fail("hoist schema incompatible");
        if (op.removeFromHost !== false) removeAt(work, [...segmentsOf(op.host), op.name]);
        putAt(work, segmentsOf(op.to), value.schema, true);
        return op;
      }
      case "plunge": {
        const value = source(work, op.from, "plunge source");
        const hostSegments = segmentsOf(op.host);
        const host = locate(work, hostSegments);
        if (!host) {
          if (op.createHost === false) fail("plunge host missing");
          checkParents(work, hostSegments);
          putAt(work, hostSegments, { type: "object", properties: {}, required: [] }, true);
        } else if (!isObjectSchema(host.schema)) {
          fail("plunge host not object");
        }
        if (!compatible(value, destination(next, op.host + `/${op.name}`, "plunge"))) fail("plunge schema incompatible");
        if (op.removeFromSource !== false) removeAt(work, segmentsOf(op.from));
        putAt(work, [...hostSegments, op.name], value, true);
        return op;
      }
      case "wrap": {
        const value = source(work, op.path, "wrap path");
        const dest = destination(next, op.path, "wrap");
        if (!isArraySchema(dest)) fail("wrap dest not array");
        if (!compatible(value, itemsOf(dest))) fail("wrap items incompatible");
        putAt(work, segmentsOf(op.path), { type: "array", items: value, minItems: 1, maxItems: 1 }, true);
        return op;
      }
      case "head": {
        const value = source(work, op.path, "head path");
        if (!isArraySchema(value)) fail("head source not array");
        const values = valuesOf(value);
        const nonEmpty = typeof value.minItems === "number" && value.minItems >= 1;
        if (!nonEmpty && !(values && values.every((v) => Array.isArray(v) && v.length > 0))) fail("head requires minItems");
        if (!compatible(itemsOf(value), destination(next, op.path, "head"))) fail("head schema incompatible");
        putAt(work, segmentsOf(op.path), itemsOf(value), true);
        return op;
      }
      case "convert":
        proveConvert(work, next, op);
        return op;
      case "in":
      case "map": {
        const value = source(work, op.path, `${op.op} path`);
        const dest = destination(next, op.path, op.op);
        const isRightKind = op.op === "in" ? isObjectSchema : isArraySchema;
        if (!isRightKind(value)) fail(`${op.op} path not ${op.op === "in" ? "object" : "array"}`);
        if (!isRightKind(dest)) fail(`${op.op} dest not ${op.op === "in" ? "object" : "array"}`);
        const inner = structuredClone(op.op === "in" ? value : itemsOf(value));
        const ops = proveOps(inner, op.op === "in" ? dest : itemsOf(dest), op.ops);
        putAt(work, segmentsOf(op.path), op.op === "in" ? inner : { ...value, items: inner }, true);
        return { ...op, ops };
      }
    }
  });
}

/**
 * A property the new schema requires that the lens output may lack (an optional or absent
 * one in the edited working schema), as a pointer; null when every one is there. Only
 * required properties are compared: extra or loosely typed ones are the new schema's
 * business, and the ops already checked the types of what they moved.
 */
function missingRequired(work: Schema, next: Schema, at: string): string | null {
  const nextProps = (next.properties ?? {}) as Record<string, Schema>;
  const workProps = (work.properties ?? {}) as Record<string, Schema>;
  for (const key of (Array.isArray(next.required) ? next.required : []) as string[]) {
    const path = `${at}/${key}`;
    const required = Array.isArray(work.required) && (work.required as string[]).includes(key);
    if (!required || !workProps[key]) return path;
    if (nextProps[key] && isObjectSchema(nextProps[key]!)) {
      const inner = missingRequired(workProps[key]!, nextProps[key]!, path);
      if (inner) return inner;
    }
  }
  return null;
}

/** The lens ops with defaults filled, or the first proof failure. */
export function proveLens(ops: readonly LensOp[], oldSchema: Schema, newSchema: Schema): { ok: true; ops: LensOp[] } | { ok: false; message: string } {
  try {
    const work = structuredClone(oldSchema);
    const filled = proveOps(work, newSchema, ops);
    const missing = missingRequired(work, newSchema, "");
    if (missing !== null) fail(`new schema requires ${missing}, which the lens does not produce`);
    return { ok: true, ops: filled };
  } catch (error) {
    if (error instanceof ProofError) return { ok: false, message: error.message };
    throw error;
  }
}
