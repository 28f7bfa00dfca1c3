// Wire offset tokens: a position in a stream (the seq of the last record before it) as the
// 26-character token of spec 02 §3.2, plus the read-side keywords of spec 01 §3.2.
import { ALPHABET, decode128, encode128 } from "../util/base32.ts";

/** The only offset epoch this server writes. */
export const CURRENT_EPOCH = 0;
/** Position before the first record. */
export const START_SEQ = -1;
/** Accepted as an alias of the start: the conformance suite's fork tests send it. */
export const REF_ZERO_OFFSET = "0000000000000000_0000000000000000";

const MAX_RAW = Number.MAX_SAFE_INTEGER;

const POW2 = Array.from({ length: 64 }, (_, n) => 2 ** n);

/**
 * Token naming the position after record `seq` (`-1` → 26 zeros). Every response carries
 * one or two, so the usual case (epoch 0, in-block offset 0) skips the byte encoder: the
 * 130-bit value is then just `(seq + 1) << 34`, whose 5-bit groups are read off directly.
 * test/unit/offsets.test.ts checks both encoders agree.
 */
export function encodeOffset(seq: number, epoch = CURRENT_EPOCH): string {
  if (epoch !== 0) return encodeOffsetBytes(seq, epoch);
  const raw = seq + 1;
  let groups = "";
  for (let group = 17; group >= 7; group--) groups += ALPHABET[Math.floor(raw / POW2[5 * group - 34]!) % 32];
  return `00000000${groups}${ALPHABET[(raw % 2) * 16]}000000`;
}

/** The general encoder: 16 big-endian bytes (epoch, seq + 1, in-block 0) as 26 symbols. */
export function encodeOffsetBytes(seq: number, epoch = CURRENT_EPOCH): string {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, epoch);
  const raw = seq + 1;
  view.setUint32(4, Math.floor(raw / 0x1_0000_0000));
  view.setUint32(8, raw >>> 0);
  view.setUint32(12, 0);
  return encode128(bytes);
}

/** Parses a token into the seq it names; null when malformed or from another epoch. */
export function decodeOffset(token: string, epoch = CURRENT_EPOCH): number | null {
  if (token === REF_ZERO_OFFSET) return START_SEQ;
  const bytes = decode128(token);
  if (!bytes) return null;
  const view = new DataView(bytes.buffer);
  if (view.getUint32(0) !== epoch || view.getUint32(12) !== 0) return null;
  const raw = view.getUint32(4) * 0x1_0000_0000 + view.getUint32(8);
  if (raw > MAX_RAW) return null;
  return raw - 1;
}

export type ReadPosition = { kind: "seq"; seq: number } | { kind: "now" };

/** Parses a read `offset` value: `-1`, `now`, or a token. Null when invalid. */
export function parseReadPosition(value: string): ReadPosition | null {
  if (value === "-1") return { kind: "seq", seq: START_SEQ };
  if (value === "now") return { kind: "now" };
  const seq = decodeOffset(value);
  return seq === null ? null : { kind: "seq", seq };
}
