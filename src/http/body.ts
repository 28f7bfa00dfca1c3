// Reading a request body without ever holding more than the configured limit.
import { DsError } from "./errors.ts";

const EMPTY = new Uint8Array(0);

function tooLarge(maxBytes: number): DsError {
  return new DsError(413, "payload_too_large", `request body exceeds ${maxBytes} bytes`);
}

export async function readBody(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    if (Number.isFinite(length) && length > maxBytes) {
      void req.body?.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    if (length === 0) return EMPTY;
    return new Uint8Array(await req.arrayBuffer());
  }
  if (!req.body) return EMPTY;
  // Chunked upload: count as we go and stop reading at the limit.
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      void reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, total);
}
