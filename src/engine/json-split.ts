// Finding top-level JSON values in bytes: the elements of an appended array (so messages
// are stored as the client sent them, not re-encoded: the stringify-and-encode round trip
// cost more than the scan), and the messages packed in one WAL row. Input has already
// passed JSON.parse (or was stored from input that did), so the scan can assume valid JSON.
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

/** Index after a UTF-8 byte-order mark, if the body starts with one. */
function skipBom(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/** The body without surrounding whitespace (and without a byte-order mark). */
export function trimJson(bytes: Uint8Array): Uint8Array {
  let start = skipBom(bytes);
  let end = bytes.length;
  while (start < end && isSpace(bytes[start]!)) start++;
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}

/**
 * Slices of the comma-separated JSON values in `bytes[start, end)` (valid JSON), each
 * without surrounding whitespace. The slices share the buffer.
 */
export function splitJsonValues(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array[] {
  const values: Uint8Array[] = [];
  let depth = 0;
  let valueStart = -1;
  let valueEnd = -1;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      if (valueStart < 0) valueStart = i;
      i++;
      while (bytes[i] !== QUOTE) i += bytes[i] === BACKSLASH ? 2 : 1;
      valueEnd = i + 1;
      continue;
    }
    if (isSpace(byte)) continue;
    if (depth === 0 && byte === COMMA) {
      values.push(bytes.subarray(valueStart, valueEnd));
      valueStart = -1;
      continue;
    }
    if (valueStart < 0) valueStart = i;
    if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) depth++;
    else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
    valueEnd = i + 1;
  }
  if (valueStart >= 0) values.push(bytes.subarray(valueStart, valueEnd));
  return values;
}

/**
 * Slices of the elements of a valid JSON array body (trimmed), or null when the body is
 * not an array. The slices share the body's buffer.
 */
export function splitJsonArray(body: Uint8Array): Uint8Array[] | null {
  const bytes = trimJson(body);
  if (bytes[0] !== OPEN_ARRAY) return null;
  return splitJsonValues(bytes, 1, bytes.length - 1);
}

/** Values joined by commas: the stored form of several JSON messages in one WAL row. */
export function joinJsonValues(values: readonly Uint8Array[]): Uint8Array {
  if (values.length === 1) return values[0]!;
  let length = values.length - 1;
  for (const value of values) length += value.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out[at++] = COMMA;
    out.set(values[i]!, at);
    at += values[i]!.byteLength;
  }
  return out;
}
