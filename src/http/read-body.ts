// Response bodies of reads: raw bytes concatenated, or JSON messages as one array. Read
// results come as stored chunks (a record, or on JSON streams comma-separated messages).
import { splitJsonValues } from "../engine/json-split.ts";

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

/** `[c1,c2,…]` from stored JSON chunks, without re-encoding them. */
export function jsonArrayOf(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes + chunks.length + 1 + (chunks.length === 0 ? 1 : 0));
  out[0] = OPEN;
  let at = 1;
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0) out[at++] = COMMA;
    out.set(chunks[i]!, at);
    at += chunks[i]!.byteLength;
  }
  out[at] = CLOSE;
  return out;
}

/**
 * Above this size a body is written part by part (a direct stream, so chunked transfer
 * encoding) instead of being copied into one buffer first: on catch-up reads of large
 * records the copy cost more than the writes (single-reader MiB/s: concatenate < Blob <
 * direct stream, measured with scripts/bench/baseline.ts).
 */
const PARTS_BODY_MIN_BYTES = 64 * 1024;
const JSON_OPEN = new Uint8Array([OPEN]);
const JSON_COMMA = new Uint8Array([COMMA]);
const JSON_CLOSE = new Uint8Array([CLOSE]);

export type BodyShape = "raw" | "json-array" | "json-raw";

/**
 * The body of a read response, without copying large reads: `raw` concatenates records,
 * `json-array` wraps JSON chunks in one array, `json-raw` concatenates a JSON stream's
 * messages without separators (`format=raw`).
 */
export function responseBody(chunks: readonly Uint8Array[], bytes: number, shape: BodyShape): Uint8Array | ReadableStream<Uint8Array> {
  if (shape === "json-raw") {
    const values = chunks.flatMap((chunk) => splitJsonValues(chunk));
    return concatRecords(values, values.reduce((n, v) => n + v.byteLength, 0));
  }
  if (bytes < PARTS_BODY_MIN_BYTES || chunks.length < 2) {
    return shape === "json-array" ? jsonArrayOf(chunks, bytes) : concatRecords(chunks, bytes);
  }
  if (shape === "raw") return writtenInParts(chunks);
  const parts: Uint8Array[] = [JSON_OPEN];
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0) parts.push(JSON_COMMA);
    parts.push(chunks[i]!);
  }
  parts.push(JSON_CLOSE);
  return writtenInParts(parts);
}

function writtenInParts(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    type: "direct",
    pull(controller) {
      for (const part of parts) controller.write(part);
      controller.close();
    },
  });
}
