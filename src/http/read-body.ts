// Response bodies of reads: raw bytes concatenated, or JSON messages as one array.
const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

export function concatRecords(records: readonly Uint8Array[], bytes: number): Uint8Array {
  if (records.length === 1) return records[0]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const record of records) {
    out.set(record, at);
    at += record.byteLength;
  }
  return out;
}

/** `[m1,m2,…]` from stored compact JSON messages, without re-encoding them. */
export function jsonArrayOf(records: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes + records.length + 1 + (records.length === 0 ? 1 : 0));
  out[0] = OPEN;
  let at = 1;
  for (let i = 0; i < records.length; i++) {
    if (i > 0) out[at++] = COMMA;
    out.set(records[i]!, at);
    at += records[i]!.byteLength;
  }
  out[at] = CLOSE;
  return out;
}

/** Above this size a body is handed over as its parts: copying a megabyte costs more than Bun writing the parts. */
const PARTS_BODY_MIN_BYTES = 64 * 1024;
const JSON_OPEN = new Uint8Array([OPEN]);
const JSON_COMMA = new Uint8Array([COMMA]);
const JSON_CLOSE = new Uint8Array([CLOSE]);

/** The body of a read response: raw records or a JSON array, without copying large reads. */
export function responseBody(records: readonly Uint8Array[], bytes: number, asJson: boolean): Uint8Array | Blob {
  if (bytes < PARTS_BODY_MIN_BYTES || records.length < 2) {
    return asJson ? jsonArrayOf(records, bytes) : concatRecords(records, bytes);
  }
  if (!asJson) return new Blob(records as Uint8Array[]);
  const parts: Uint8Array[] = [JSON_OPEN];
  for (let i = 0; i < records.length; i++) {
    if (i > 0) parts.push(JSON_COMMA);
    parts.push(records[i]!);
  }
  parts.push(JSON_CLOSE);
  return new Blob(parts);
}
