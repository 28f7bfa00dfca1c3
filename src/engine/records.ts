// Turning a request body into stored records: one record per body, except on JSON streams,
// where exactly one level of array is flattened and every message is stored compact
// (spec 01 §6.1). Pure; the HTTP layer maps a failure to 400.
import { isJsonType } from "./content-types.ts";

export type PreparedRecords = { ok: true; records: Uint8Array[] } | { ok: false; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * @param allowEmptyArray PUT accepts `[]` (an empty stream); POST refuses it.
 */
export function prepareRecords(contentType: string, body: Uint8Array, allowEmptyArray: boolean): PreparedRecords {
  if (body.byteLength === 0) return { ok: true, records: [] };
  if (!isJsonType(contentType)) return { ok: true, records: [body] };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    return { ok: false, message: "invalid JSON body" };
  }
  if (!Array.isArray(value)) return { ok: true, records: [encoder.encode(JSON.stringify(value))] };
  if (value.length === 0) {
    return allowEmptyArray ? { ok: true, records: [] } : { ok: false, message: "empty JSON array: nothing to append" };
  }
  const records = new Array<Uint8Array>(value.length);
  for (let i = 0; i < value.length; i++) records[i] = encoder.encode(JSON.stringify(value[i]));
  return { ok: true, records };
}
