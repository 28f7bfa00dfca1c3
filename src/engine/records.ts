// Turning a request body into stored records: one record per body, except on JSON streams,
// where exactly one level of array is flattened (spec 01 §6.1). Messages are stored as sent
// (trimmed slices of the body), which the spec allows: reads compare after parsing. Pure;
// the HTTP layer maps a failure to 400.
import { isJsonType } from "./content-types.ts";
import { splitJsonArray, trimJson } from "./json-split.ts";

export type PreparedRecords = { ok: true; records: Uint8Array[] } | { ok: false; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

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
  if (!Array.isArray(value)) return { ok: true, records: [trimJson(body)] };
  if (value.length === 0) {
    return allowEmptyArray ? { ok: true, records: [] } : { ok: false, message: "empty JSON array: nothing to append" };
  }
  const records = splitJsonArray(body)!;
  // The scan and the parser must agree on the element count; anything else is a bug.
  if (records.length !== value.length) throw new Error(`JSON split found ${records.length} of ${value.length} elements`);
  return { ok: true, records };
}
