// Headers every response carries (spec 01 §4.3, §13.3): nosniff and cross-origin resource
// policy always; CORS headers when the request comes from a browser (it has an Origin), so
// pages can read the Stream-* headers. Also the OPTIONS preflight answer.
const EXPOSE = [
  "Stream-Next-Offset", "Stream-End-Offset", "Stream-Cursor", "Stream-Up-To-Date", "Stream-Closed",
  "Stream-TTL", "Stream-Expires-At", "Stream-SSE-Data-Encoding", "Stream-Expected-Seq", "Stream-Received-Seq",
  "Producer-Epoch", "Producer-Seq", "Producer-Expected-Seq", "Producer-Received-Seq",
  "ETag", "Content-Type", "Content-Encoding", "Vary", "Location", "Retry-After",
].join(", ");

const ALLOW_HEADERS = [
  "content-type", "authorization", "if-none-match", "stream-seq", "stream-ttl", "stream-expires-at",
  "stream-closed", "producer-id", "producer-epoch", "producer-seq", "stream-forked-from",
  "stream-fork-offset", "stream-fork-sub-offset", "stream-key", "stream-timestamp",
].join(", ");

export const ALLOW_METHODS = "GET, POST, PUT, DELETE, HEAD, OPTIONS";

/**
 * @param fromBrowser the request had an `Origin` header. Browsers send it on every
 *   cross-origin request; other clients never need the CORS headers, so they are spared them.
 */
export function applyBaseHeaders(headers: Headers, fromBrowser: boolean): void {
  headers.set("x-content-type-options", "nosniff");
  headers.set("cross-origin-resource-policy", "cross-origin");
  if (fromBrowser) {
    headers.set("access-control-allow-origin", "*");
    headers.set("access-control-expose-headers", EXPOSE);
  }
}

/** CORS preflight for every path: 204 with the methods and headers the protocol uses. */
export function preflightResponse(): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": ALLOW_METHODS,
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": "86400",
    },
  });
}
