// Goal: the segment checksums and key filter match their published definitions.
import { expect, test } from "bun:test";
import { bloomAdd, bloomMaybeHas } from "../../src/util/bloom256.ts";
import { crc32c } from "../../src/util/crc32c.ts";
import { streamHash } from "../../src/util/stream-hash.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test("CRC-32C matches the standard check values", () => {
  expect(crc32c(enc("123456789"))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(0))).toBe(0);
  expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  // Slicing-by-16 agrees with bit-at-a-time on every length and alignment.
  const data = crypto.getRandomValues(new Uint8Array(1100));
  for (const start of [0, 1, 2, 3, 4, 5]) {
    for (const length of [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 999]) {
      let slow = 0xffffffff;
      for (const b of data.subarray(start, start + length)) {
        slow ^= b;
        for (let k = 0; k < 8; k++) slow = slow & 1 ? (slow >>> 1) ^ 0x82f63b78 : slow >>> 1;
      }
      expect(crc32c(data.subarray(start, start + length))).toBe(~slow >>> 0);
    }
  }
  // A CRC continued from a seed equals the CRC of the concatenation.
  expect(crc32c(data.subarray(37, 500), crc32c(data.subarray(0, 37)))).toBe(crc32c(data.subarray(0, 500)));
});

test("the key filter has no false negatives and rejects most absent keys", () => {
  const filter = new Uint8Array(32);
  const keys = Array.from({ length: 20 }, (_, i) => enc(`key-${i}`));
  for (const key of keys) bloomAdd(filter, key);
  for (const key of keys) expect(bloomMaybeHas(filter, key)).toBe(true);
  const absent = Array.from({ length: 1000 }, (_, i) => enc(`other-${i}`)).filter((k) => bloomMaybeHas(filter, k)).length;
  expect(absent).toBeLessThan(500);
  expect(bloomMaybeHas(new Uint8Array(32), new Uint8Array(0))).toBe(true);
});

test("stream hashes are 32 hex characters of SHA-256", () => {
  expect(streamHash("orders")).toMatch(/^[0-9a-f]{32}$/);
  expect(streamHash("orders")).toBe(new Bun.CryptoHasher("sha256").update("orders").digest("hex").slice(0, 32));
});
