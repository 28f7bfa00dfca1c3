// GET /v1/streams: the stream list (spec 01 §17.2), ordered by name, paged by limit/offset.
import type { Context } from "hono";
import { DEFAULT_PROFILE } from "../profiles/index.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import type { HttpDeps } from "./env.ts";
import { badRequest } from "./errors.ts";

const LIMIT_DEFAULT = 100;
const LIMIT_MAX = 1000;

function parseCount(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  if (!/^[0-9]+$/.test(value)) throw badRequest(`invalid ${name}: expected a non-negative integer`);
  return Number(value);
}

export function listStreamsHandler(deps: HttpDeps) {
  return (c: Context): Response => {
    const limit = Math.min(LIMIT_MAX, parseCount(c.req.query("limit"), LIMIT_DEFAULT, "limit"));
    const offset = parseCount(c.req.query("offset"), 0, "offset");
    const rows = deps.engine.list(limit, offset);
    const body = rows.map((row) => describe(row, deps.engine.expiresAt(row)));
    return c.json(body, 200, { "cache-control": "no-store" });
  };
}

function describe(row: StreamRow, expiresAtMs: number | null) {
  return {
    name: row.stream,
    created_at: new Date(row.created_at_ms).toISOString(),
    expires_at: expiresAtMs === null ? null : new Date(expiresAtMs).toISOString(),
    epoch: row.epoch,
    next_offset: String(row.next_offset),
    sealed_through: String(row.sealed_through),
    uploaded_through: String(row.uploaded_through),
    profile: row.profile ?? DEFAULT_PROFILE.kind,
    content_type: row.content_type,
    closed: row.closed === 1,
  };
}
