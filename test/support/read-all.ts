// Reads a whole stream over HTTP by catch-up GETs, following `Stream-Next-Offset` until
// `Stream-Up-To-Date: true` (spec 01 §9.1). Every chunk's offset is kept so callers can
// check that offsets only move forward. Throws on a non-200 answer, on an offset that does
// not advance past a non-empty chunk, and after `maxChunks` chunks (a bound, not a retry).

export interface ReadAllOptions {
  /** Where to start: `-1` (default) or an offset token; the read returns what follows it. */
  from?: string;
  /** Upper bound on GETs, so a server that never reports up-to-date fails instead of hanging. */
  maxChunks?: number;
  /** Per-GET timeout. */
  timeoutMs?: number;
}

export interface ReadAllResult<T> {
  data: T;
  /** `Stream-Next-Offset` of the last chunk: the tail the read reached. */
  nextOffset: string;
  /** `Stream-Next-Offset` of every chunk, in order. */
  chunkOffsets: string[];
  contentType: string | null;
}

function streamUrl(baseUrl: string, name: string, offset: string): string {
  return `${baseUrl.replace(/\/$/, "")}/v1/stream/${encodeURIComponent(name)}?offset=${encodeURIComponent(offset)}`;
}

async function readChunks<C>(
  baseUrl: string,
  name: string,
  options: ReadAllOptions,
  parse: (response: Response) => Promise<{ chunk: C; empty: boolean }>,
): Promise<{ chunks: C[]; nextOffset: string; chunkOffsets: string[]; contentType: string | null }> {
  const maxChunks = options.maxChunks ?? 10_000;
  const chunks: C[] = [];
  const chunkOffsets: string[] = [];
  let offset = options.from ?? "-1";
  let contentType: string | null = null;
  for (let i = 0; i < maxChunks; i++) {
    const response = await fetch(streamUrl(baseUrl, name, offset), {
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    if (response.status !== 200) {
      throw new Error(`GET ${name} at offset ${offset}: status ${response.status}: ${await response.text()}`);
    }
    contentType = response.headers.get("content-type");
    const next = response.headers.get("stream-next-offset");
    if (next === null) throw new Error(`GET ${name} at offset ${offset}: no Stream-Next-Offset`);
    const { chunk, empty } = await parse(response);
    const upToDate = response.headers.get("stream-up-to-date") === "true";
    if (!empty) {
      // Offsets compare byte-wise in stream order (spec 01 §3.1): data moves the offset on.
      if (offset !== "-1" && !(next > offset)) {
        throw new Error(`GET ${name}: offset did not advance past a non-empty chunk (${offset} → ${next})`);
      }
      chunks.push(chunk);
    } else if (!upToDate) {
      throw new Error(`GET ${name} at offset ${offset}: empty chunk that is not up to date`);
    }
    chunkOffsets.push(next);
    offset = next;
    if (upToDate) return { chunks, nextOffset: next, chunkOffsets, contentType };
  }
  throw new Error(`GET ${name}: not up to date after ${maxChunks} chunks`);
}

/** The whole content of a byte stream (all chunks concatenated). */
export async function readAllBytes(baseUrl: string, name: string, options: ReadAllOptions = {}): Promise<ReadAllResult<Uint8Array>> {
  const { chunks, ...rest } = await readChunks(baseUrl, name, options, async (response) => {
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { chunk: bytes, empty: bytes.byteLength === 0 };
  });
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  return { data, ...rest };
}

/** Every message of a JSON stream, in order (each chunk is one JSON array; spec 01 §6.2). */
export async function readAllJson(baseUrl: string, name: string, options: ReadAllOptions = {}): Promise<ReadAllResult<unknown[]>> {
  const { chunks, ...rest } = await readChunks(baseUrl, name, options, async (response) => {
    const parsed: unknown = JSON.parse(await response.text());
    if (!Array.isArray(parsed)) throw new Error(`GET ${name}: JSON stream chunk is not an array`);
    return { chunk: parsed as unknown[], empty: parsed.length === 0 };
  });
  return { data: chunks.flat(), ...rest };
}
