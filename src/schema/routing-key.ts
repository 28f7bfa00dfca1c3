// Routing-key extraction configured in the registry (spec 03 §5.7): a JSON pointer into
// each (normalised) record, optional or required. Pure.
import { isPlainObject } from "../util/doc-issues.ts";
import { parsePointer, resolvePointer } from "./json-pointer.ts";

export interface RoutingKeyConfig {
  jsonPointer: string;
  required: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** `routingKey` of a schema update: an object, or null to remove it. */
export function parseRoutingKeyConfig(value: unknown): Parsed<RoutingKeyConfig | null> {
  if (value === null) return { ok: true, value: null };
  if (!isPlainObject(value)) return { ok: false, message: "routingKey must be an object or null" };
  for (const key of Object.keys(value)) {
    if (key !== "jsonPointer" && key !== "required") return { ok: false, message: `routingKey.${key} is not supported` };
  }
  const pointer = value.jsonPointer;
  if (typeof pointer !== "string" || parsePointer(pointer) === null) return { ok: false, message: "invalid json pointer" };
  const required = value.required ?? false;
  if (typeof required !== "boolean") return { ok: false, message: "routingKey.required must be boolean" };
  return { ok: true, value: { jsonPointer: pointer, required } };
}

/** A record's routing key: a string, null when absent and optional, or the refusal. */
export function extractRoutingKey(config: RoutingKeyConfig, record: unknown): Parsed<string | null> {
  const found = resolvePointer(record, parsePointer(config.jsonPointer) ?? []);
  if (!found.found || found.value === undefined) {
    return config.required ? { ok: false, message: "routing key missing" } : { ok: true, value: null };
  }
  if (typeof found.value !== "string") return { ok: false, message: "routing key must be string" };
  return { ok: true, value: found.value };
}
