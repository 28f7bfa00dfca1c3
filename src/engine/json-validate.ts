// A strict JSON validator over UTF-8 bytes that builds nothing. An append to a JSON
// stream only needs to know that the body is valid JSON and how many elements a top-level
// array has. JSON.parse answers that too, but first decodes the body into a string and
// then allocates every object in it: profiled under JSON batch load it was the largest
// cost on the serving thread, and its garbage slowed everything else. This accepts exactly
// what `JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes))` accepts
// (test/unit/json-validate.test.ts checks it against that), except documents nested
// deeper than MAX_DEPTH, which it refuses.

export type JsonShape = { ok: true; arrayLength: number | null } | { ok: false };

const MAX_DEPTH = 10_000;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const OPEN_ARRAY = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_ARRAY = 0x5d;
const LOWER_E = 0x65;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const LITERALS: readonly (readonly number[])[] = ["true", "false", "null"].map((w) => Array.from(w, (ch) => ch.charCodeAt(0)));
/** Characters allowed after a backslash, besides `u`. */
const SIMPLE_ESCAPES = new Set([QUOTE, BACKSLASH, SLASH, 0x62, 0x66, 0x6e, 0x72, 0x74]);

class Invalid extends Error {}
const INVALID = new Invalid();

/**
 * Validates a whole document; reports the element count when it is an array. With `bounds`,
 * also pushes each top-level element's [start, end) byte positions onto it (the scan sees
 * them anyway: sealing then need not scan the records again).
 */
export function validateJson(bytes: Uint8Array, bounds: number[] | null = null): JsonShape {
  try {
    return { ok: true, arrayLength: new Scanner(bytes, bounds).document() };
  } catch (error) {
    if (error === INVALID) return { ok: false };
    throw error;
  }
}

class Scanner {
  private at = 0;
  /** Closing bytes of the open containers, innermost last. */
  private readonly stack: number[] = [];

  constructor(
    private readonly bytes: Uint8Array,
    private readonly bounds: number[] | null,
  ) {
    // A byte-order mark is dropped by the decoder before JSON.parse sees the text.
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) this.at = 3;
  }

  document(): number | null {
    this.skipSpace();
    const isArray = this.bytes[this.at] === OPEN_ARRAY;
    const topLevel = this.value();
    this.skipSpace();
    if (this.at !== this.bytes.length) throw INVALID;
    return isArray ? topLevel : null;
  }

  private skipSpace(): void {
    const b = this.bytes;
    while (this.at < b.length) {
      const c = b[this.at]!;
      if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return;
      this.at++;
    }
  }

  /**
   * Reads one value iteratively (no recursion, so deep nesting cannot overflow the stack).
   * Returns the number of elements of the outermost array (0 when it is not an array).
   */
  private value(): number {
    const b = this.bytes;
    const stack = this.stack;
    const bounds = this.bounds;
    let topLevel = 0;
    let elementStarts = false;
    const element = (): void => {
      if (stack.length === 1 && stack[0] === CLOSE_ARRAY) {
        topLevel++;
        elementStarts = bounds !== null;
      }
    };
    for (;;) {
      this.skipSpace();
      if (elementStarts) {
        bounds!.push(this.at);
        elementStarts = false;
      }
      const c = b[this.at];
      if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (stack.length >= MAX_DEPTH) throw INVALID;
        this.at++;
        this.skipSpace();
        const close = c === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT;
        if (b[this.at] === close) {
          this.at++;
        } else {
          stack.push(close);
          if (close === CLOSE_OBJECT) this.key();
          else element();
          continue;
        }
      } else if (c === QUOTE) {
        this.string();
      } else if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) {
        this.number();
      } else {
        this.literal();
      }
      // After a value: close containers, or move on to the next member.
      for (;;) {
        if (stack.length === 0) return topLevel;
        if (bounds !== null && stack.length === 1 && stack[0] === CLOSE_ARRAY) bounds.push(this.at);
        this.skipSpace();
        const next = b[this.at];
        const close = stack[stack.length - 1]!;
        if (next === close) {
          this.at++;
          stack.pop();
          continue;
        }
        if (next !== COMMA) throw INVALID;
        this.at++;
        if (close === CLOSE_OBJECT) this.key();
        else element();
        break;
      }
    }
  }

  /** An object member's key and colon. */
  private key(): void {
    this.skipSpace();
    if (this.bytes[this.at] !== QUOTE) throw INVALID;
    this.string();
    this.skipSpace();
    if (this.bytes[this.at] !== COLON) throw INVALID;
    this.at++;
  }

  private literal(): void {
    const b = this.bytes;
    for (const word of LITERALS) {
      if (b[this.at] !== word[0]) continue;
      for (let i = 1; i < word.length; i++) if (b[this.at + i] !== word[i]) throw INVALID;
      this.at += word.length;
      return;
    }
    throw INVALID;
  }

  private number(): void {
    const b = this.bytes;
    if (b[this.at] === MINUS) this.at++;
    if (b[this.at] === ZERO) this.at++;
    else if (!this.digits()) throw INVALID;
    if (b[this.at] === DOT) {
      this.at++;
      if (!this.digits()) throw INVALID;
    }
    if (b[this.at] === LOWER_E || b[this.at] === UPPER_E) {
      this.at++;
      if (b[this.at] === PLUS || b[this.at] === MINUS) this.at++;
      if (!this.digits()) throw INVALID;
    }
  }

  private digits(): boolean {
    const start = this.at;
    const b = this.bytes;
    while (this.at < b.length && b[this.at]! >= ZERO && b[this.at]! <= NINE) this.at++;
    return this.at > start;
  }

  /** A string: escapes checked, raw control characters refused, UTF-8 validated. */
  private string(): void {
    const b = this.bytes;
    this.at++; // the opening quote
    for (;;) {
      if (this.at >= b.length) throw INVALID;
      const c = b[this.at]!;
      if (c === QUOTE) {
        this.at++;
        return;
      }
      if (c === BACKSLASH) this.escape();
      else if (c < 0x20) throw INVALID;
      else if (c < 0x80) this.at++;
      else this.utf8Sequence(c);
    }
  }

  private escape(): void {
    const b = this.bytes;
    const e = b[this.at + 1];
    if (e === 0x75) {
      // \uXXXX: four hex digits (lone surrogates are allowed, as JSON.parse allows them)
      for (let i = 2; i < 6; i++) if (!isHex(b[this.at + i])) throw INVALID;
      this.at += 6;
      return;
    }
    if (e === undefined || !SIMPLE_ESCAPES.has(e)) throw INVALID;
    this.at += 2;
  }

  /** One well-formed UTF-8 sequence: no overlongs, no surrogates, at most U+10FFFF. */
  private utf8Sequence(lead: number): void {
    const b = this.bytes;
    let length: number;
    let min: number;
    let cp: number;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
      min = 0x80;
      cp = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      min = 0x800;
      cp = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      min = 0x10000;
      cp = lead & 0x07;
    } else {
      throw INVALID;
    }
    for (let i = 1; i < length; i++) {
      const cont = b[this.at + i];
      if (cont === undefined || (cont & 0xc0) !== 0x80) throw INVALID;
      cp = (cp << 6) | (cont & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw INVALID;
    this.at += length;
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
