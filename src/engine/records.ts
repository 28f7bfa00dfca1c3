// Turning a request body into stored records: one record per body, except on JSON streams,
// where exactly one level of array is flattened (spec 01 §6.1). A JSON append is kept in
// its stored form straight away: one chunk holding its messages as comma-separated values
// (the array's interior as sent, which the spec allows: reads compare after parsing), so
// ingest never splits and re-joins messages. Pure; the HTTP layer maps a failure to 400.
import type { PayloadRef } from "../storage/payload-files.ts";
import { isJsonType, JSON_CONTENT_TYPE } from "./content-types.ts";
import { encodeValueBounds, trimJson } from "./json-split.ts";
import { validateJson } from "./json-validate.ts";

/** An append's records in stored form: `count` records in `chunks` (one chunk per record, or on JSON streams one chunk of comma-separated messages). */
export interface RecordBatch {
  chunks: Uint8Array[];
  count: number;
  /**
   * Per-record routing keys, set only when records carry their own (keys chosen by a
   * profile or extracted by the schema): then `chunks` holds one record each and `keys[i]`
   * is record i's key. Consecutive records with equal keys are stored as one row.
   */
  keys?: Array<Uint8Array | null>;
  /**
   * Set by the writer only: where each chunk was already written in a payload file
   * (null: it stays inline). Then the rows store no bytes, just these references.
   */
  refs?: Array<PayloadRef | null>;
  /**
   * A JSON body left for the writer to validate (`unparsedJsonRecords`): `chunks[0]`
   * is the body as sent and `count` is 0 until `finishJsonRecords` runs.
   */
  unparsed?: true;
  /** Set by `finishJsonRecords` when the body was not valid: the append is refused (400). */
  invalid?: string;
  /**
   * Per chunk, where its JSON values lie (`encodeValueBounds`), when validation found them:
   * stored with the row, so sealing does not scan the chunk again. Absent: sealing scans.
   */
  valueBounds?: Array<Uint8Array | null>;
}

export const NO_RECORDS: RecordBatch = { chunks: [], count: 0 };

export type PreparedRecords = { ok: true; batch: RecordBatch } | { ok: false; message: string };

/**
 * @param allowEmptyArray PUT accepts `[]` (an empty stream); POST refuses it.
 * @param bounds when given, receives the [start, end) positions in `body` of an array's elements.
 */
export function prepareRecords(contentType: string, body: Uint8Array, allowEmptyArray: boolean, bounds: number[] | null = null): PreparedRecords {
  if (body.byteLength === 0) return { ok: true, batch: NO_RECORDS };
  if (!isJsonType(contentType)) return { ok: true, batch: { chunks: [body], count: 1 } };
  const shape = validateJson(body, bounds);
  if (!shape.ok) return { ok: false, message: "invalid JSON body" };
  if (shape.arrayLength === 0) {
    return allowEmptyArray ? { ok: true, batch: NO_RECORDS } : { ok: false, message: "empty JSON array: nothing to append" };
  }
  return { ok: true, batch: { chunks: [jsonStoredForm(body)], count: shape.arrayLength ?? 1 } };
}

/**
 * A large JSON append whose validation the writer takes over: it validates the body while
 * its payload file is being synced (writer-pipeline.ts), so the scan costs no wait of its
 * own. Same rules as `prepareRecords` for a POST.
 */
export function unparsedJsonRecords(body: Uint8Array): RecordBatch {
  return { chunks: [body], count: 0, unparsed: true };
}

/**
 * The bytes a JSON body is stored as: trimmed, and for an array its trimmed interior. It
 * needs no validation (a valid document is an array exactly when its trimmed form is
 * bracketed), so an unparsed body's payload can be written before the body is validated.
 */
export function jsonStoredForm(body: Uint8Array): Uint8Array {
  const trimmed = trimJson(body);
  const last = trimmed.byteLength - 1;
  if (last > 0 && trimmed[0] === 0x5b && trimmed[last] === 0x5d) return trimJson(trimmed.subarray(1, last));
  return trimmed;
}

/** Validates an unparsed JSON append in place: its records as `prepareRecords` gives them, or `invalid`. */
export function finishJsonRecords(records: RecordBatch): void {
  if (!records.unparsed) return;
  delete records.unparsed;
  const body = records.chunks[0]!;
  const bounds: number[] = [];
  const prepared = prepareRecords(JSON_CONTENT_TYPE, body, false, bounds);
  if (!prepared.ok) {
    records.invalid = prepared.message;
    records.chunks = [];
    records.count = 0;
    delete records.refs;
    return;
  }
  // The same bytes `jsonStoredForm` gave, so a payload file reference made from it holds.
  records.chunks = prepared.batch.chunks;
  records.count = prepared.batch.count;
  if (records.count > 1) {
    const chunk = records.chunks[0]!;
    records.valueBounds = [encodeValueBounds(bounds, chunk.byteOffset - body.byteOffset)];
  }
}

export function batchBytes(batch: RecordBatch): number {
  let bytes = 0;
  for (const chunk of batch.chunks) bytes += chunk.byteLength;
  return bytes;
}
