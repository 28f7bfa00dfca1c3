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
 * Writes the `[start, end)` byte bounds of each comma-separated JSON value in
 * `bytes[start, end)` (valid JSON), trimmed of whitespace, as pairs into `out`; returns how
 * many values there are (pairs beyond `out`'s length are counted but not written). No
 * allocation: sealing a JSON row of many messages copies them by these bounds, because
 * creating one Uint8Array view per message cost more than the scan itself (~0.4 µs each).
 */
export function jsonValueBounds(bytes: Uint8Array, out: Uint32Array, start: number, end: number): number {
  // The loop only follows strings, nesting and top-level commas; a value's bounds are
  // trimmed when it ends. Kept flat and minimal on purpose, and without default parameters:
  // under JavaScriptCore, `end = bytes.length` as a default made this scan 4x slower, and
  // tracking bounds per byte or a helper closure over these locals 2-3x.
  const capacity = out.length >> 1;
  let count = 0;
  let depth = 0;
  let valueStart = start;
  let i = start;
  while (i < end) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      i++;
      for (;;) {
        const b = bytes[i]!;
        if (b === QUOTE) break;
        i += b === BACKSLASH ? 2 : 1;
      }
    } else if (byte === COMMA) {
      if (depth === 0) {
        if (count < capacity) writeTrimmed(bytes, out, count, valueStart, i);
        count++;
        valueStart = i + 1;
      }
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) depth++;
    else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
    i++;
  }
  if (trimmedStart(bytes, valueStart, end) < end) {
    if (count < capacity) writeTrimmed(bytes, out, count, valueStart, end);
    count++;
  }
  return count;
}

function trimmedStart(bytes: Uint8Array, from: number, to: number): number {
  while (from < to && isSpace(bytes[from]!)) from++;
  return from;
}

function writeTrimmed(bytes: Uint8Array, out: Uint32Array, index: number, from: number, to: number): void {
  const start = trimmedStart(bytes, from, to);
  let end = to;
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  out[2 * index] = start;
  out[2 * index + 1] = end;
}

/**
 * Slices of the comma-separated JSON values in `bytes[start, end)` (valid JSON), each
 * without surrounding whitespace. The slices share the buffer.
 */
export function splitJsonValues(bytes: Uint8Array, start?: number, end?: number): Uint8Array[] {
  return splitValuesIn(bytes, start ?? 0, end ?? bytes.length);
}

function splitValuesIn(bytes: Uint8Array, start: number, end: number): Uint8Array[] {
  let bounds = boundsScratch;
  let count = jsonValueBounds(bytes, bounds, start, end);
  if (2 * count > bounds.length) {
    bounds = boundsScratch = new Uint32Array(2 * count);
    count = jsonValueBounds(bytes, bounds, start, end);
  }
  const values = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) values[i] = bytes.subarray(bounds[2 * i]!, bounds[2 * i + 1]!);
  return values;
}

let boundsScratch = new Uint32Array(512);

/**
 * Slices of the elements of a valid JSON array body (trimmed), or null when the body is
 * not an array. The slices share the body's buffer.
 */
export function splitJsonArray(body: Uint8Array): Uint8Array[] | null {
  const bytes = trimJson(body);
  if (bytes[0] !== OPEN_ARRAY) return null;
  return splitJsonValues(bytes, 1, bytes.length - 1);
}

/**
 * Value bounds as stored beside a WAL row (`value_bounds`): per value, the bytes before it
 * (since the previous value's end, or the chunk's start) and its length, as LEB128 varints.
 * `bounds` holds [start, end) pairs of absolute positions; `base` is where the chunk starts.
 * About two bytes per value for compact JSON, against a scan of every byte when sealing.
 */
export function encodeValueBounds(bounds: readonly number[], base: number): Uint8Array {
  const out: number[] = [];
  let previous = base;
  for (let i = 0; i < bounds.length; i += 2) {
    pushVarint(out, bounds[i]! - previous);
    pushVarint(out, bounds[i + 1]! - bounds[i]!);
    previous = bounds[i + 1]!;
  }
  return Uint8Array.from(out);
}

function pushVarint(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/**
 * Decodes `encodeValueBounds` into [start, end) pairs relative to the chunk, for at most
 * `out.length / 2` values; returns how many, or -1 when the encoding is malformed or a value
 * would end past `chunkLength` (then the caller scans instead).
 */
export function decodeValueBounds(encoded: Uint8Array, out: Uint32Array, chunkLength: number): number {
  const capacity = out.length >> 1;
  let at = 0;
  /** The varint at `at`, moving past it; -1 when the encoding ends inside it. */
  const varint = (): number => {
    let value = 0;
    for (let shift = 1; at < encoded.length; shift *= 128) {
      const byte = encoded[at++]!;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
    }
    return -1;
  };
  let position = 0;
  let count = 0;
  while (at < encoded.length) {
    if (count >= capacity) return -1;
    const gap = varint();
    const length = varint();
    if (gap < 0 || length < 0) return -1;
    const start = position + gap;
    position = start + length;
    if (position > chunkLength) return -1;
    out[2 * count] = start;
    out[2 * count + 1] = position;
    count++;
  }
  return count;
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
