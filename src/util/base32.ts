// Crockford base32 for fixed 16-byte values, as used by the wire offset token (spec 02 §3.2).
// Hand-written rather than a library: offsets are encoded on every response, the format is
// tiny and fixed (128 bits shifted left by 2 into 26 symbols), and no package implements
// exactly this bit layout.

export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const TOKEN_CHARS = 26;

const DECODE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    table[ALPHABET.charCodeAt(i)] = i;
    table[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  // Crockford aliases: O → 0, I and L → 1.
  for (const [ch, value] of [["O", 0], ["I", 1], ["L", 1]] as const) {
    table[ch.charCodeAt(0)] = value;
    table[ch.toLowerCase().charCodeAt(0)] = value;
  }
  return table;
})();

/** Encodes 16 bytes, shifted left by two bits, as 26 upper-case symbols. */
export function encode128(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let accBits = 0;
  for (let i = 0; i < 16; i++) {
    acc = (acc << 8) | bytes[i]!;
    accBits += 8;
    while (accBits >= 5) {
      accBits -= 5;
      out += ALPHABET[(acc >> accBits) & 31];
    }
    acc &= (1 << accBits) - 1;
  }
  // 128 bits leave 3 pending bits; the two appended zero bits complete the 26th symbol.
  out += ALPHABET[(acc << (5 - accBits)) & 31];
  return out;
}

/** Decodes 26 symbols into 16 bytes; null when a symbol is invalid or the padding bits are set. */
export function decode128(text: string): Uint8Array | null {
  if (text.length !== TOKEN_CHARS) return null;
  const out = new Uint8Array(16);
  let acc = 0;
  let accBits = 0;
  let byteIndex = 0;
  for (let i = 0; i < TOKEN_CHARS; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODE[code]! : -1;
    if (value < 0) return null;
    acc = ((acc << 5) | value) & 0xffff;
    accBits += 5;
    if (accBits >= 8 && byteIndex < 16) {
      accBits -= 8;
      out[byteIndex++] = (acc >> accBits) & 0xff;
    }
  }
  // Exactly the two shift bits must remain, and they must be zero (one position, one token).
  if (accBits !== 2 || (acc & 3) !== 0) return null;
  return out;
}
