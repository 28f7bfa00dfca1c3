// Where a stream's objects and local files live: the first 16 bytes of SHA-256 of its name,
// as 32 lowercase hex characters (spec 02 §1.1), and zero-padded segment numbers.
import { createHash } from "node:crypto";

export function streamHash(name: string): string {
  return createHash("sha256").update(name, "utf8").digest("hex").slice(0, 32);
}

export function segmentNumber(index: number): string {
  return String(index).padStart(16, "0");
}
