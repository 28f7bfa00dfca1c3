// JSON responses of the stream sub-resources (spec 03 conventions): never cached.
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

const utf8 = new TextDecoder();

export function bodyText(body: Uint8Array): string {
  return utf8.decode(body);
}
