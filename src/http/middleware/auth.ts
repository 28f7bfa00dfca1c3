// API-key authentication (spec 05 §5): with `--auth-strategy api-key`, every request
// (health checks, preflights and unknown routes included) must carry
// `Authorization: Bearer <API_KEY>`. The key is compared in constant time, and a refusal
// says nothing about why.
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { DsError, errorResponse } from "../errors.ts";
import { applyBaseHeaders } from "./base-headers.ts";

const BEARER = /^Bearer (.+)$/i;

/** True when `header` carries exactly `key` (constant time in the key's length). */
export function bearerMatches(header: string | null, key: Buffer): boolean {
  const match = header === null ? null : BEARER.exec(header);
  const given = Buffer.from(match?.[1] ?? "", "utf8");
  // Compare equal-length buffers so the time spent never depends on where they differ.
  const padded = Buffer.alloc(key.length);
  given.copy(padded, 0, 0, Math.min(given.length, key.length));
  return timingSafeEqual(padded, key) && given.length === key.length;
}

export function apiKeyAuth(apiKey: string): MiddlewareHandler {
  const key = Buffer.from(apiKey, "utf8");
  return async (c, next) => {
    if (bearerMatches(c.req.raw.headers.get("authorization"), key)) return next();
    const res = errorResponse(new DsError(401, "unauthorized", "unauthorized", { "www-authenticate": "Bearer" }));
    applyBaseHeaders(res.headers, c.req.raw.headers.has("origin"));
    return res;
  };
}
