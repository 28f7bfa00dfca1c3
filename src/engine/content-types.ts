// Content-type classes of spec 01 §5.2: JSON mode, text, and binary.
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";
export const JSON_CONTENT_TYPE = "application/json";

export function isJsonType(contentType: string): boolean {
  return contentType === JSON_CONTENT_TYPE;
}

/** How SSE carries a stream's bytes: JSON arrays, UTF-8 text, or base64 for binary types. */
export function sseEncoding(contentType: string): "json" | "text" | "base64" {
  if (isJsonType(contentType)) return "json";
  return contentType.startsWith("text/") ? "text" : "base64";
}
