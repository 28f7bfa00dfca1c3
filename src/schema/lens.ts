// Lenses (`durable.lens/v1`, spec 03 §5.6): a list of operations that turns a record of
// schema version N into version N+1. This module holds the document's JSON Schema (checked
// with Ajv when a lens is installed) and the interpreter that promotes records on read.
// Moves, copies, adds and removes are JSON Patch operations (fast-json-patch); the rest are
// small transforms of their own.
import Ajv from "ajv";
import { applyOperation, deepClone, type Operation } from "fast-json-patch";
import { formatPointer, parsePointer, resolvePointer } from "./json-pointer.ts";
import { transformValue, hasType, type Transform, type ValueType } from "./lens-values.ts";

export const LENS_API_VERSION = "durable.lens/v1";

export type LensOp =
  | { op: "rename" | "copy"; from: string; to: string }
  | { op: "add"; path: string; schema: Record<string, unknown>; default?: unknown }
  | { op: "remove"; path: string; schema: Record<string, unknown>; default?: unknown }
  | { op: "hoist"; host: string; name: string; to: string; removeFromHost?: boolean }
  | { op: "plunge"; from: string; host: string; name: string; createHost?: boolean; removeFromSource?: boolean }
  | { op: "wrap"; path: string; mode: "singleton"; reverseMode?: "first" }
  | { op: "head"; path: string; reverseMode?: "singleton" }
  | { op: "convert"; path: string; fromType: ValueType; toType: ValueType; forward: Transform; backward: Transform }
  | { op: "in" | "map"; path: string; ops: LensOp[] };

export interface Lens {
  apiVersion: typeof LENS_API_VERSION;
  schema: string;
  from: number;
  to: number;
  description?: string;
  ops: LensOp[];
}

const pointer = { type: "string", pattern: "^(/.*)?$" };
const scalar = { type: ["string", "number", "boolean", "null"] };
const valueType = { enum: ["string", "number", "integer", "boolean", "null", "object", "array"] };
const transform = {
  oneOf: [
    { type: "object", additionalProperties: false, required: ["map"], properties: { map: { type: "object", additionalProperties: scalar }, default: scalar } },
    { type: "object", additionalProperties: false, required: ["builtin"], properties: { builtin: { type: "string" } } },
  ],
};
const branch = (op: string, properties: Record<string, unknown>, required: string[]) => ({
  type: "object",
  additionalProperties: false,
  required: ["op", ...required],
  properties: { op: { const: op }, ...properties },
});
const ops = { type: "array", minItems: 1, items: { $ref: "#/definitions/op" } };

/** The durable.lens/v1 document. */
const LENS_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "schema", "from", "to", "ops"],
  properties: {
    apiVersion: { const: LENS_API_VERSION },
    schema: { type: "string" },
    from: { type: "integer", minimum: 0 },
    to: { type: "integer", minimum: 0 },
    description: { type: "string" },
    ops: { $ref: "#/definitions/ops" },
  },
  definitions: {
    ops,
    op: {
      type: "object",
      required: ["op"],
      discriminator: { propertyName: "op" },
      oneOf: [
        branch("rename", { from: pointer, to: pointer }, ["from", "to"]),
        branch("copy", { from: pointer, to: pointer }, ["from", "to"]),
        branch("add", { path: pointer, schema: { type: "object" }, default: {} }, ["path", "schema"]),
        branch("remove", { path: pointer, schema: { type: "object" }, default: {} }, ["path", "schema"]),
        branch("hoist", { host: pointer, name: { type: "string" }, to: pointer, removeFromHost: { type: "boolean" } }, ["host", "name", "to"]),
        branch("plunge", { from: pointer, host: pointer, name: { type: "string" }, createHost: { type: "boolean" }, removeFromSource: { type: "boolean" } }, ["from", "host", "name"]),
        branch("wrap", { path: pointer, mode: { const: "singleton" }, reverseMode: { const: "first" } }, ["path", "mode"]),
        branch("head", { path: pointer, reverseMode: { const: "singleton" } }, ["path"]),
        branch("convert", { path: pointer, fromType: valueType, toType: valueType, forward: transform, backward: transform }, ["path", "fromType", "toType", "forward", "backward"]),
        branch("in", { path: pointer, ops: { $ref: "#/definitions/ops" } }, ["path", "ops"]),
        branch("map", { path: pointer, ops: { $ref: "#/definitions/ops" } }, ["path", "ops"]),
      ],
    },
  },
};

const ajv = new Ajv({ allErrors: false, strict: false, discriminator: true, logger: false });
const validateLensDocument = ajv.compile(LENS_SCHEMA);

/** The lens, or why it is not a durable.lens/v1 document (`invalid lens: …`). */
export function parseLens(value: unknown): { ok: true; lens: Lens } | { ok: false; message: string } {
  if (validateLensDocument(value)) return { ok: true, lens: value as unknown as Lens };
  return { ok: false, message: `invalid lens: ${ajv.errorsText(validateLensDocument.errors, { dataVar: "lens" })}` };
}

/** A lens that cannot transform a stored record; the read that met it fails with 400. */
export class LensError extends Error {}

function segmentsOf(path: string): string[] {
  return parsePointer(path) ?? [];
}

function mustExist(doc: unknown, path: string, what: string): unknown {
  const found = resolvePointer(doc, segmentsOf(path));
  if (!found.found) throw new LensError(`${what} missing at ${path || "/"}`);
  return found.value;
}

function parentMustExist(doc: unknown, path: string, what: string): void {
  const segments = segmentsOf(path);
  if (segments.length === 0) return;
  const parent = resolvePointer(doc, segments.slice(0, -1));
  if (!parent.found || parent.value === null || typeof parent.value !== "object") {
    throw new LensError(`${what} parent missing at ${formatPointer(segments.slice(0, -1)) || "/"}`);
  }
}

function patch(doc: unknown, operation: Operation): unknown {
  return applyOperation(doc, operation, false, true).newDocument;
}

/** Replaces the value at `path` (which exists) with `f(value)`. */
function replaceAt(doc: unknown, path: string, f: (value: unknown) => unknown): unknown {
  const value = resolvePointer(doc, segmentsOf(path));
  if (!value.found) throw new LensError(`path missing at ${path || "/"}`);
  return patch(doc, { op: "replace", path, value: f(value.value) });
}

function applyOp(doc: unknown, op: LensOp): unknown {
  switch (op.op) {
    case "rename":
    case "copy":
      mustExist(doc, op.from, `${op.op} source`);
      parentMustExist(doc, op.to, `${op.op} destination`);
      return patch(doc, { op: op.op === "rename" ? "move" : "copy", from: op.from, path: op.to });
    case "add":
      parentMustExist(doc, op.path, "add destination");
      return patch(doc, { op: "add", path: op.path, value: deepClone(op.default) });
    case "remove":
      mustExist(doc, op.path, "remove path");
      return patch(doc, { op: "remove", path: op.path });
    case "hoist": {
      const host = mustExist(doc, op.host, "hoist host");
      if (host === null || typeof host !== "object" || Array.isArray(host) || !Object.hasOwn(host, op.name)) {
        throw new LensError(`hoist host at ${op.host || "/"} has no ${op.name}`);
      }
      parentMustExist(doc, op.to, "hoist destination");
      const from = op.host + formatPointer([op.name]);
      return patch(doc, { op: op.removeFromHost === false ? "copy" : "move", from, path: op.to });
    }
    case "plunge": {
      mustExist(doc, op.from, "plunge source");
      const host = resolvePointer(doc, segmentsOf(op.host));
      if (!host.found) {
        if (op.createHost === false) throw new LensError(`plunge host missing at ${op.host || "/"}`);
        parentMustExist(doc, op.host, "plunge host");
        doc = patch(doc, { op: "add", path: op.host, value: {} });
      } else if (host.value === null || typeof host.value !== "object" || Array.isArray(host.value)) {
        throw new LensError(`plunge host at ${op.host || "/"} is not an object`);
      }
      const to = op.host + formatPointer([op.name]);
      return patch(doc, { op: op.removeFromSource === false ? "copy" : "move", from: op.from, path: to });
    }
    case "wrap":
      return replaceAt(doc, op.path, (value) => [value]);
    case "head":
      return replaceAt(doc, op.path, (value) => {
        if (!Array.isArray(value) || value.length === 0) throw new LensError(`head needs a non-empty array at ${op.path || "/"}`);
        return value[0];
      });
    case "convert":
      return replaceAt(doc, op.path, (value) => {
        if (!hasType(value, op.fromType)) throw new LensError(`convert input at ${op.path || "/"} is not ${op.fromType}`);
        const out = transformValue(op.forward, value);
        if (!hasType(out, op.toType)) throw new LensError(`convert output at ${op.path || "/"} is not ${op.toType}`);
        return out;
      });
    case "in":
      return replaceAt(doc, op.path, (value) => {
        if (value === null || typeof value !== "object" || Array.isArray(value)) throw new LensError(`in needs an object at ${op.path || "/"}`);
        return applyOps(value, op.ops);
      });
    case "map":
      return replaceAt(doc, op.path, (value) => {
        if (!Array.isArray(value)) throw new LensError(`map needs an array at ${op.path || "/"}`);
        return value.map((item) => applyOps(item, op.ops));
      });
  }
}

function applyOps(doc: unknown, ops: readonly LensOp[]): unknown {
  let out = doc;
  for (const op of ops) out = applyOp(out, op);
  return out;
}

/**
 * Promotes `record` (a value of its own, changed in place where possible) through `lenses`
 * in order; throws LensError when a lens cannot apply.
 */
export function promoteRecord(record: unknown, lenses: readonly Lens[]): unknown {
  let out = record;
  for (const lens of lenses) {
    try {
      out = applyOps(out, lens.ops);
    } catch (error) {
      if (error instanceof LensError) throw error;
      // fast-json-patch refusals (e.g. an index past the end) are lens failures too.
      throw new LensError(`lens ${lens.from}->${lens.to} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  return out;
}
