// Conditional GET and long-poll for stream descriptors (`_details`, `_index_status`; spec 04
// §8): an ETag from the document's hash, 304 when the client's copy is current, and with
// `live=long-poll` a wait for the stream's next change, answered with the new document, or
// 304 when the deadline passes first. Waiting costs a promise and a timer, no polling.
import type { Descriptor } from "../engine/stream-descriptor.ts";
import type { WaitResult } from "../engine/notifier.ts";
import { badRequest } from "./errors.ts";
import { parseTimeoutMs } from "./headers.ts";

export interface DescriptorRequest {
  /** `details` or `index_status`: the ETag prefix. */
  kind: string;
  /** Builds the current document (throws to answer an error, e.g. once the stream is gone). */
  build(): Descriptor;
  /** Resolves on the stream's next change, after `timeoutMs`, or on abort. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<WaitResult>;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
}

function parseLive(value: string | null): boolean {
  switch (value) {
    case null:
    case "false":
    case "0":
      return false;
    case "long-poll":
    case "true":
    case "1":
      return true;
    default:
      throw badRequest("invalid live mode");
  }
}

function etagOf(kind: string, descriptor: Descriptor): string {
  return `W/"${kind}:${new Bun.CryptoHasher("sha1").update(JSON.stringify(descriptor.stable)).digest("hex")}"`;
}

function respond(status: 200 | 304, etag: string, body: unknown): Response {
  const headers = { etag, "cache-control": "no-store", ...(status === 200 ? { "content-type": "application/json; charset=utf-8" } : {}) };
  return new Response(status === 200 ? JSON.stringify(body) : null, { status, headers });
}

export async function serveDescriptor(req: Request, query: URLSearchParams, spec: DescriptorRequest): Promise<Response> {
  if (req.method !== "GET") throw badRequest("unsupported method");
  const live = parseLive(query.get("live"));
  const timeoutParam = query.get("timeout") ?? query.get("timeout_ms");
  const timeoutMs = Math.min(timeoutParam === null ? spec.defaultTimeoutMs : parseTimeoutMs(timeoutParam), spec.maxTimeoutMs);
  const known = req.headers.get("if-none-match");

  let current = spec.build();
  let etag = etagOf(spec.kind, current);
  if (known !== etag) return respond(200, etag, current.body);
  if (!live) return respond(304, etag, null);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return respond(304, etag, null);
    const woke = await spec.wait(remaining, req.signal);
    if (woke === "aborted") return new Response(null, { status: 204 });
    current = spec.build();
    etag = etagOf(spec.kind, current);
    if (etag !== known) return respond(200, etag, current.body);
    if (woke === "timeout") return respond(304, etag, null);
  }
}
