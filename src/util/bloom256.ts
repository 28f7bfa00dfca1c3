// The per-block key filter of segment files (spec 02 §6.3): 256 bits, 3 probes from
// FNV-1a-64 and a SplitMix64 remix. No false negatives; empty keys are never added and
// always "maybe present". BigInt keeps the 64-bit arithmetic exact; it runs once per key
// on seal and once per keyed read, not per record read.
const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK64 = (1n << 64n) - 1n;
const SEED2 = 0xa0761d6478bd642fn;

function fnv1a64(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  return h;
}

function mix64(input: bigint): bigint {
  let x = (input + 0x9e3779b97f4a7c15n) & MASK64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return x ^ (x >> 31n);
}

/** The three bit positions (0..255) a key sets. */
export function bloomBits(key: Uint8Array): [number, number, number] {
  const h1 = fnv1a64(key);
  const h2 = mix64(h1 ^ SEED2);
  const bit = (j: bigint): number => Number(((h1 + j * h2) & MASK64) % 256n);
  return [bit(0n), bit(1n), bit(2n)];
}

export function bloomAdd(filter: Uint8Array, key: Uint8Array): void {
  if (key.byteLength === 0) return;
  for (const i of bloomBits(key)) filter[i >> 3]! |= 1 << (i & 7);
}

export function bloomMaybeHas(filter: Uint8Array, key: Uint8Array): boolean {
  if (key.byteLength === 0) return true;
  for (const i of bloomBits(key)) if ((filter[i >> 3]! & (1 << (i & 7))) === 0) return false;
  return true;
}
