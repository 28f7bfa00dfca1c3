// Goal: wire offset tokens round-trip, sort like stream order, and reject anything else.
import { describe, expect, test } from "bun:test";
import { decodeOffset, encodeOffset, encodeOffsetBytes, parseReadPosition, REF_ZERO_OFFSET } from "../../src/engine/offsets.ts";
import { decode128, encode128 } from "../../src/util/base32.ts";

describe("offset tokens", () => {
  test("the empty-stream position is 26 zeros and decodes to -1", () => {
    expect(encodeOffset(-1)).toBe("0".repeat(26));
    expect(decodeOffset("0".repeat(26))).toBe(-1);
  });

  test("round-trip across the safe integer range", () => {
    for (const seq of [-1, 0, 1, 31, 32, 1023, 123_456_789, 2 ** 40, Number.MAX_SAFE_INTEGER - 1]) {
      const token = encodeOffset(seq);
      expect(token).toHaveLength(26);
      expect(decodeOffset(token)).toBe(seq);
    }
  });

  test("the fast encoder agrees with the byte-wise one", () => {
    for (const seq of [-1, 0, 1, 2, 15, 16, 31, 32, 1023, 1024, 2 ** 40, 2 ** 52, Number.MAX_SAFE_INTEGER - 1]) {
      expect(encodeOffset(seq)).toBe(encodeOffsetBytes(seq));
    }
    for (let i = 0; i < 2000; i++) {
      const seq = Math.floor(Math.random() * Number.MAX_SAFE_INTEGER) - 1;
      expect(encodeOffset(seq)).toBe(encodeOffsetBytes(seq));
    }
    expect(encodeOffset(5, 1)).toBe(encodeOffsetBytes(5, 1));
  });

  test("byte-wise order of tokens equals numeric order", () => {
    const seqs = [-1, 0, 1, 9, 10, 31, 32, 33, 999, 1000, 65_535, 65_536, 2 ** 33, 2 ** 33 + 1];
    const tokens = seqs.map((s) => encodeOffset(s));
    expect([...tokens].sort()).toEqual(tokens);
  });

  test("decoding is case-insensitive and maps O to 0 and I, L to 1", () => {
    const token = encodeOffset(12_345);
    expect(decodeOffset(token.toLowerCase())).toBe(12_345);
    expect(decodeOffset("O".repeat(26))).toBe(-1);
    const one = encodeOffset(0); // raw value 1 lives in the middle of the token
    expect(decodeOffset(one.replace("1", "I"))).toBe(decodeOffset(one));
  });

  test("rejects wrong lengths, foreign symbols, decimals and set padding bits", () => {
    for (const bad of ["", "0", "1", "-2", "0".repeat(25), "0".repeat(27), "U".repeat(26), "0000000000000000000000000!", "0000000000000000000000000" + "1"]) {
      expect(decodeOffset(bad)).toBeNull();
    }
  });

  test("the reference server's zero offset is accepted as the start", () => {
    expect(decodeOffset(REF_ZERO_OFFSET)).toBe(-1);
    expect(decodeOffset("9999999999999999_9999999999999999")).toBeNull();
  });

  test("read positions: -1, now and tokens", () => {
    expect(parseReadPosition("-1")).toEqual({ kind: "seq", seq: -1 });
    expect(parseReadPosition("now")).toEqual({ kind: "now" });
    expect(parseReadPosition(encodeOffset(5))).toEqual({ kind: "seq", seq: 5 });
    expect(parseReadPosition("0")).toBeNull();
    expect(parseReadPosition("0,1")).toBeNull();
  });

  test("base32 of 16 bytes round-trips for random values", () => {
    for (let i = 0; i < 200; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      expect(decode128(encode128(bytes))).toEqual(bytes);
    }
  });
});
