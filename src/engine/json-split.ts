// Finding the top-level elements of a JSON array in its bytes, so an append stores each
// message as the client sent it (a slice of the body) instead of re-encoding it: the
// stringify-and-encode round trip cost more than the scan on JSON batches. The body has
// already passed JSON.parse, so the scan can assume valid JSON.
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
 * Slices of the elements of a valid JSON array body (trimmed), or null when the body is
 * not an array. The slices share the body's buffer.
 */
export function splitJsonArray(body: Uint8Array): Uint8Array[] | null {
  const bytes = trimJson(body);
  if (bytes[0] !== OPEN_ARRAY) return null;
  const elements: Uint8Array[] = [];
  let depth = 0;
  let start = -1;
  let lastValueEnd = -1;
  for (let i = 1; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      if (start < 0) start = i;
      i++;
      while (bytes[i] !== QUOTE) i += bytes[i] === BACKSLASH ? 2 : 1;
      lastValueEnd = i + 1;
      continue;
    }
    if (isSpace(byte)) continue;
    if (depth === 0 && (byte === COMMA || byte === CLOSE_ARRAY)) {
      if (start >= 0) elements.push(bytes.subarray(start, lastValueEnd));
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) depth++;
    else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
    lastValueEnd = i + 1;
  }
  return elements;
}
