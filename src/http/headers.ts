// Pure parsers for request headers and query values (spec 01 §4). Each throws a 400
// DsError naming the header it rejects.
import type { ProducerHeaders } from "../engine/producers.ts";
import { badRequest } from "./errors.ts";

const NON_NEGATIVE_INT = /^(0|[1-9][0-9]*)$/;
const DIGITS = /^[0-9]+$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Media type before any parameters, trimmed and lower-cased; null when absent or blank. */
export function normalizeContentType(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const semi = value.indexOf(";");
  const type = (semi >= 0 ? value.slice(0, semi) : value).trim().toLowerCase();
  return type === "" ? null : type;
}

/** `Stream-Closed: true` (any case, trimmed) means close; any other value means absent. */
export function parseStreamClosed(value: string | null): boolean {
  return value !== null && value.trim().toLowerCase() === "true";
}

function parseNonNegativeInt(name: string, value: string): number {
  if (!NON_NEGATIVE_INT.test(value)) throw badRequest(`invalid ${name}: expected a non-negative integer without leading zeros`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw badRequest(`invalid ${name}: too large`);
  return n;
}

export function parseRfc3339(name: string, value: string): number {
  const match = RFC3339.exec(value.trim());
  const ms = match ? Date.parse(value.trim().replace(" ", "T")) : Number.NaN;
  if (!match || Number.isNaN(ms) || Number(match[2]) > 12 || Number(match[3]) > 31 || Number(match[4]) > 23) {
    throw badRequest(`invalid ${name}: expected an RFC 3339 timestamp`);
  }
  return ms;
}

export interface ExpiryHeaders {
  ttlSeconds: number | null;
  expiresAtMs: number | null;
}

export function parseExpiry(ttl: string | null, expiresAt: string | null): ExpiryHeaders {
  if (ttl !== null && expiresAt !== null) throw badRequest("Stream-TTL and Stream-Expires-At are mutually exclusive");
  return {
    ttlSeconds: ttl === null ? null : parseNonNegativeInt("Stream-TTL", ttl),
    expiresAtMs: expiresAt === null ? null : parseRfc3339("Stream-Expires-At", expiresAt),
  };
}

/** The three `Producer-*` headers: all or none, digits only, at most 2^53 − 1. */
export function parseProducer(id: string | null, epoch: string | null, seq: string | null): ProducerHeaders | null {
  if (id === null && epoch === null && seq === null) return null;
  if (id === null || epoch === null || seq === null) {
    throw badRequest("Producer-Id, Producer-Epoch and Producer-Seq must be sent together");
  }
  if (id === "") throw badRequest("Producer-Id must not be empty");
  return { id, epoch: parseProducerNumber("Producer-Epoch", epoch), seq: parseProducerNumber("Producer-Seq", seq) };
}

function parseProducerNumber(name: string, value: string): number {
  if (!DIGITS.test(value)) throw badRequest(`invalid ${name}: expected digits`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw badRequest(`invalid ${name}: exceeds 2^53-1`);
  return n;
}

export function parseStreamSeq(value: string | null): string | null {
  if (value === null) return null;
  if (value.trim() === "") throw badRequest("Stream-Seq must not be empty");
  return value;
}

export function parseSubOffset(value: string | null): number {
  return value === null ? 0 : parseNonNegativeInt("Stream-Fork-Sub-Offset", value);
}

/** `Stream-Timestamp`: RFC 3339, or unix time in nanoseconds. Returns ms. */
export function parseStreamTimestamp(value: string | null): number | null {
  if (value === null) return null;
  if (DIGITS.test(value)) return Math.floor(Number(value) / 1e6);
  return parseRfc3339("Stream-Timestamp", value);
}

/** `since=`: RFC 3339, or unix time in milliseconds. */
export function parseSince(value: string): number {
  if (DIGITS.test(value)) return Number(value);
  return parseRfc3339("since", value);
}

export type LiveMode = "catch-up" | "long-poll" | "sse";

export function parseLive(value: string | undefined): LiveMode {
  switch (value) {
    case undefined:
    case "":
    case "false":
    case "0":
      return "catch-up";
    case "long-poll":
    case "true":
    case "1":
      return "long-poll";
    case "sse":
      return "sse";
    default:
      throw badRequest("invalid live: expected long-poll or sse");
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Long-poll wait: digits are milliseconds; `500ms`, `5s`, `1m`, `1h`, `1d` are durations. */
export function parseTimeoutMs(value: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw badRequest("invalid timeout: expected milliseconds or a duration like 5s");
  return Number(match[1]) * UNIT_MS[match[2] ?? "ms"]!;
}
