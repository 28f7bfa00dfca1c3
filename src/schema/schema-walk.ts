// Reading and editing JSON Schemas by JSON pointer, for lens proofs: which subschema
// describes a path, whether every step to it is required, and what a value of one schema
// can be given to another. Covers the keywords lens proofs reason about (`type`, `const`,
// `enum`, `properties`, `required`, `items`, `additionalProperties`, `minItems`). Pure.
import { compileSchema } from "./json-schema.ts";

export type Schema = Record<string, unknown>;

export interface Located {
  schema: Schema;
  /** Every step from the root to the path is a required property. */
  required: boolean;
}

const asSchema = (value: unknown): Schema | null => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Schema) : null);
const requiredOf = (schema: Schema): string[] => (Array.isArray(schema.required) ? (schema.required as string[]) : []);

/** The subschema at `segments` (object properties; array items for index-like segments), or null. */
export function locate(root: Schema, segments: readonly string[]): Located | null {
  let schema = root;
  let required = true;
  for (const segment of segments) {
    const property = asSchema(asSchema(schema.properties)?.[segment]);
    if (property) {
      required &&= requiredOf(schema).includes(segment);
      schema = property;
      continue;
    }
    const items = asSchema(schema.items);
    if (items && /^(0|[1-9][0-9]*)$/.test(segment)) {
      required = false;
      schema = items;
      continue;
    }
    return null;
  }
  return { schema, required };
}

/** The JSON types a schema admits, or null when it does not restrict them. */
export function typesOf(schema: Schema): Set<string> | null {
  if (typeof schema.type === "string") return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
  const values = valuesOf(schema);
  return values ? new Set(values.map(jsonType)) : null;
}

/** The closed list of values a schema allows (`const` or `enum`), or null. */
export function valuesOf(schema: Schema): unknown[] | null {
  if (Object.hasOwn(schema, "const")) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : null;
}

export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

export function isObjectSchema(schema: Schema): boolean {
  const types = typesOf(schema);
  return types !== null && types.size === 1 && types.has("object");
}

export function isArraySchema(schema: Schema): boolean {
  const types = typesOf(schema);
  return types !== null && types.size === 1 && types.has("array");
}

/** The value is valid under the schema (Ajv, so every keyword counts). */
export function conforms(value: unknown, schema: Schema): boolean {
  const compiled = compileSchema(schema);
  return compiled.ok && compiled.validate(value) === true;
}

/** Every value valid under `source` is valid under `dest`, as far as these keywords tell. */
export function compatible(source: Schema, dest: Schema): boolean {
  const sourceValues = valuesOf(source);
  if (sourceValues) return sourceValues.every((v) => conforms(v, dest));
  // A broad source can never prove a narrow destination.
  if (valuesOf(dest)) return false;
  const destTypes = typesOf(dest);
  if (destTypes) {
    const sourceTypes = typesOf(source);
    if (!sourceTypes) return false;
    for (const t of sourceTypes) if (!destTypes.has(t) && !(t === "integer" && destTypes.has("number"))) return false;
  }
  if (isObjectSchema(source) && isObjectSchema(dest)) return objectsCompatible(source, dest);
  if (isArraySchema(source) && isArraySchema(dest)) return compatible(asSchema(source.items) ?? {}, asSchema(dest.items) ?? {});
  return true;
}

function objectsCompatible(source: Schema, dest: Schema): boolean {
  const sourceProps = asSchema(source.properties) ?? {};
  const destProps = asSchema(dest.properties) ?? {};
  for (const key of requiredOf(dest)) {
    if (!requiredOf(source).includes(key) || !asSchema(sourceProps[key])) return false;
  }
  for (const [key, sub] of Object.entries(sourceProps)) {
    const destSub = asSchema(destProps[key]);
    if (destSub) {
      if (!compatible(asSchema(sub) ?? {}, destSub)) return false;
    } else if (dest.additionalProperties === false) {
      return false;
    }
  }
  return true;
}

/** Sets the subschema at `segments` (parents must exist), marking it required or not. */
export function putAt(root: Schema, segments: readonly string[], schema: Schema, required: boolean): void {
  const parent = locate(root, segments.slice(0, -1));
  const key = segments[segments.length - 1];
  if (!parent || key === undefined) return;
  const properties = (asSchema(parent.schema.properties) ?? {}) as Schema;
  properties[key] = schema;
  parent.schema.properties = properties;
  const req = requiredOf(parent.schema).filter((k) => k !== key);
  if (required) req.push(key);
  parent.schema.required = req;
}

export function removeAt(root: Schema, segments: readonly string[]): void {
  const parent = locate(root, segments.slice(0, -1));
  const key = segments[segments.length - 1];
  if (!parent || key === undefined) return;
  const properties = asSchema(parent.schema.properties);
  if (properties) delete properties[key];
  parent.schema.required = requiredOf(parent.schema).filter((k) => k !== key);
}

export function itemsOf(schema: Schema): Schema {
  return asSchema(schema.items) ?? {};
}
