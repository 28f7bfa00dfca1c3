// Value types and `convert` transforms of durable.lens/v1 (spec 03 §5.6.1). Pure.
import { isRfc3339 } from "./json-schema.ts";

export type ValueType = "string" | "number" | "integer" | "boolean" | "null" | "object" | "array";
export type Scalar = string | number | boolean | null;
export type Transform = { map: Record<string, Scalar>; default?: Scalar } | { builtin: string };

export const BUILTINS = ["lowercase", "uppercase", "string_to_int", "int_to_string", "rfc3339_to_unix_millis", "unix_millis_to_rfc3339"] as const;
/** Builtins that fail on some inputs of their type: a proof needs every source value listed. */
export const PARTIAL_BUILTINS = new Set(["string_to_int", "rfc3339_to_unix_millis"]);
/** What each builtin takes and gives. */
export const BUILTIN_TYPES: Record<(typeof BUILTINS)[number], { from: ValueType; to: ValueType }> = {
  lowercase: { from: "string", to: "string" },
  uppercase: { from: "string", to: "string" },
  string_to_int: { from: "string", to: "integer" },
  int_to_string: { from: "integer", to: "string" },
  rfc3339_to_unix_millis: { from: "string", to: "integer" },
  unix_millis_to_rfc3339: { from: "integer", to: "string" },
};

export function hasType(value: unknown, type: ValueType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
  }
}

export class TransformError extends Error {}

export function transformValue(transform: Transform, value: unknown): unknown {
  if ("map" in transform) {
    const key = String(value);
    if (Object.hasOwn(transform.map, key)) return transform.map[key];
    if (transform.default !== undefined) return transform.default;
    throw new TransformError(`no mapping for ${JSON.stringify(key)}`);
  }
  switch (transform.builtin) {
    case "lowercase":
      return String(value).toLowerCase();
    case "uppercase":
      return String(value).toUpperCase();
    case "string_to_int": {
      const n = Number.parseInt(String(value), 10);
      if (Number.isNaN(n)) throw new TransformError(`not an integer: ${JSON.stringify(value)}`);
      return n;
    }
    case "int_to_string":
      return String(value);
    case "rfc3339_to_unix_millis": {
      if (typeof value !== "string" || !isRfc3339(value)) throw new TransformError(`not an RFC 3339 timestamp: ${JSON.stringify(value)}`);
      return Date.parse(value);
    }
    case "unix_millis_to_rfc3339":
      return new Date(Number(value)).toISOString();
    default:
      throw new TransformError(`unknown builtin ${transform.builtin}`);
  }
}
