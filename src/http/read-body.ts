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
