// Compiling and running the JSON Schemas of a registry with Ajv (spec 03 §5.5): draft-07
// with all errors collected, non-strict, union types, no meta-schema check, `date-time`
// checked as RFC 3339 (other formats ignored), and no `$ref` anywhere. Compiled validators
// are cached by schema text, so each version compiles once however many streams use it.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 3339 shape (spec 03 §3.5.3) and a date that actually parses. */
export function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: false, logger: false, validateFormats: true });
  ajv.addFormat("date-time", { type: "string", validate: isRfc3339 });
  return ajv;
}

const ajv = newAjv();
/** Bound on cached validators: each holds generated code; distinct schemas are few in practice. */
const CACHE_ENTRIES_MAX = 1024;
const cache = new Map<string, ValidateFunction>();

export type Compiled = { ok: true; validate: ValidateFunction } | { ok: false; message: string };

/** True when a `$ref` key appears anywhere in the schema (local references included). */
export function containsRef(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(containsRef);
  if (schema === null || typeof schema !== "object") return false;
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$ref" || containsRef(value)) return true;
  }
  return false;
}

/** The validator of `schema`, compiled on first use. */
export function compileSchema(schema: unknown): Compiled {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    return { ok: false, message: "schema must be a JSON object" };
  }
  if (containsRef(schema)) return { ok: false, message: "external $ref is not supported" };
  const key = JSON.stringify(schema);
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key);
    cache.set(key, cached);
    return { ok: true, validate: cached };
  }
  // A private copy to compile: Ajv keys its own cache by the object.
  const copy = JSON.parse(key) as object;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(copy);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    // Our cache holds the function; Ajv's would keep every schema ever compiled (and an
    // `$id` seen once would clash with the next schema that uses it).
    ajv.removeSchema(copy);
  }
  cache.set(key, validate);
  if (cache.size > CACHE_ENTRIES_MAX) cache.delete(cache.keys().next().value as string);
  return { ok: true, validate };
}

/** One Ajv error; an extra property is named, since Ajv's own message does not say which. */
function describeError(e: ErrorObject): string {
  const message = e.keyword === "additionalProperties" ? `must NOT have additional property '${String(e.params.additionalProperty)}'` : (e.message ?? "is invalid");
  return e.instancePath === "" ? message : `${e.instancePath} ${message}`;
}

/** Ajv's messages joined with "; ", each after the path of the value it is about. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return "invalid value";
  return errors.map(describeError).join("; ");
}
