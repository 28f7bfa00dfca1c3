// Errors as the client sees them: the JSON envelope {"error":{"code","message"}} with its
// status, and the one place engine outcomes become HTTP statuses.
import { PromotionError } from "../engine/promote.ts";

export class DsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): DsError => new DsError(400, "bad_request", message);
export const notFound = (message = "stream not found"): DsError => new DsError(404, "not_found", message);
export const gone = (): DsError => new DsError(410, "gone", "stream was deleted; forks still read its history");

export function errorResponse(error: DsError): Response {
  const headers = new Headers(error.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.set("cache-control", "no-store");
  return new Response(JSON.stringify({ error: { code: error.code, message: error.message } }), {
    status: error.status,
    headers,
  });
}

/** 404 for absent or expired streams, 410 for soft-deleted ones. */
export function missingStream(status: "absent" | "expired" | "soft_deleted"): DsError {
  if (status === "soft_deleted") return gone();
  return notFound(status === "expired" ? "stream expired" : "stream not found");
}

/** Errors the engine throws that have a status of their own; null for anything else (a 500). */
export function engineError(error: unknown): DsError | null {
  if (error instanceof PromotionError) return new DsError(error.status, error.status === 400 ? "bad_request" : "internal", error.message);
  return null;
}
