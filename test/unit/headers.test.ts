// Goal: request header parsers accept exactly the documented syntax (spec 01 §4.1).
import { describe, expect, test } from "bun:test";
import { DsError } from "../../src/http/errors.ts";
import {
  normalizeContentType,
  parseExpiry,
  parseLive,
  parseProducer,
  parseStreamClosed,
  parseStreamSeq,
  parseSubOffset,
  parseTimeoutMs,
} from "../../src/http/headers.ts";

function rejects(fn: () => unknown): void {
  expect(fn).toThrow(DsError);
}

describe("content types", () => {
  test("normalise to the lower-cased media type without parameters", () => {
    expect(normalizeContentType("Application/JSON; charset=utf-8")).toBe("application/json");
    expect(normalizeContentType("  text/plain ")).toBe("text/plain");
    expect(normalizeContentType("")).toBeNull();
    expect(normalizeContentType(null)).toBeNull();
  });
});

describe("Stream-Closed", () => {
  test("only 'true' in any case means closed; anything else means absent", () => {
    expect(parseStreamClosed(" TRUE ")).toBe(true);
    expect(parseStreamClosed("false")).toBe(false);
    expect(parseStreamClosed("yes")).toBe(false);
    expect(parseStreamClosed(null)).toBe(false);
  });
});

describe("TTL and Expires-At", () => {
  test("TTL takes plain non-negative integers without leading zeros", () => {
    expect(parseExpiry("0", null).ttlSeconds).toBe(0);
    expect(parseExpiry("3600", null).ttlSeconds).toBe(3600);
    for (const bad of ["abc", "-1", "00060", "+60", "60.5", "1e3", ""]) rejects(() => parseExpiry(bad, null));
  });

  test("Expires-At takes RFC 3339 with Z or an offset", () => {
    expect(parseExpiry(null, "2030-01-02T03:04:05Z").expiresAtMs).toBe(Date.UTC(2030, 0, 2, 3, 4, 5));
    expect(parseExpiry(null, "2030-01-02T04:04:05.500+01:00").expiresAtMs).toBe(Date.UTC(2030, 0, 2, 3, 4, 5, 500));
    for (const bad of ["not-a-timestamp", "2030-01-02", "2030-13-02T03:04:05Z", "1700000000"]) rejects(() => parseExpiry(null, bad));
  });

  test("both together are refused", () => {
    rejects(() => parseExpiry("60", "2030-01-02T03:04:05Z"));
  });
});

describe("producer headers", () => {
  test("all three or none", () => {
    expect(parseProducer(null, null, null)).toBeNull();
    expect(parseProducer("p", "0", "1")).toEqual({ id: "p", epoch: 0, seq: 1 });
    rejects(() => parseProducer("p", "0", null));
    rejects(() => parseProducer(null, "0", "0"));
  });

  test("non-empty id, digits only, at most 2^53-1", () => {
    rejects(() => parseProducer("", "0", "0"));
    for (const bad of ["0xyz", "1e3", "-1", " 1", "9007199254740992"]) {
      rejects(() => parseProducer("p", bad, "0"));
      rejects(() => parseProducer("p", "0", bad));
    }
    expect(parseProducer("p", "9007199254740991", "0")?.epoch).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("other values", () => {
  test("Stream-Seq must not be blank", () => {
    expect(parseStreamSeq("a")).toBe("a");
    rejects(() => parseStreamSeq("  "));
  });

  test("fork sub-offsets are non-negative integers", () => {
    expect(parseSubOffset(null)).toBe(0);
    expect(parseSubOffset("3")).toBe(3);
    for (const bad of ["-1", "abc", "1.5", "05", "+1", ""]) rejects(() => parseSubOffset(bad));
  });

  test("live modes and their aliases", () => {
    expect(parseLive(undefined)).toBe("catch-up");
    expect(parseLive("true")).toBe("long-poll");
    expect(parseLive("sse")).toBe("sse");
    rejects(() => parseLive("bogus"));
  });

  test("timeouts are milliseconds or durations", () => {
    expect(parseTimeoutMs("250")).toBe(250);
    expect(parseTimeoutMs("5s")).toBe(5000);
    expect(parseTimeoutMs("1m")).toBe(60_000);
    rejects(() => parseTimeoutMs("soon"));
  });
});
