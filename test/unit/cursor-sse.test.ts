// Goal: cursors only move forward for clients that echo them, and SSE framing cannot be
// broken by payload line breaks.
import { expect, test } from "bun:test";
import { connectionCursor, nextCursor } from "../../src/engine/cursor.ts";
import { formatSseEvent } from "../../src/http/sse-format.ts";

test("a cursor is digits and exceeds a client cursor at or past the current interval", () => {
  const now = Date.UTC(2026, 0, 1);
  const current = nextCursor(now, null);
  expect(current).toMatch(/^[0-9]+$/);
  expect(Number(nextCursor(now, current, () => 0))).toBeGreaterThan(Number(current));
  expect(Number(nextCursor(now, String(Number(current) + 1000), () => 0.99))).toBeGreaterThan(Number(current) + 1000);
  expect(nextCursor(now, "1")).toBe(current);
  expect(nextCursor(now, "garbage")).toBe(current);
});

test("an SSE connection's cursor follows the clock, and stays past a client cursor without walking ahead", () => {
  const now = Date.UTC(2026, 0, 1);
  const interval = 20_000;
  const current = Number(nextCursor(now, null));

  // No client cursor (or one behind): every event carries the current interval, so readers
  // woken together agree on it.
  const plain = connectionCursor(null);
  expect(plain(now)).toBe(String(current));
  expect(plain(now + 5)).toBe(String(current));
  expect(plain(now + interval)).toBe(String(current + 1));
  expect(connectionCursor("1")(now)).toBe(String(current));

  // A client cursor at the current interval: strictly greater, drawn once, never lower later.
  let draws = 0;
  const echoed = connectionCursor(String(current), () => {
    draws += 1;
    return 0.5;
  });
  const first = Number(echoed(now));
  expect(first).toBeGreaterThan(current);
  for (let i = 1; i <= 50; i++) expect(Number(echoed(now + i * 20))).toBe(first);
  expect(draws).toBe(1);
  const muchLater = now + (first - current + 3) * interval;
  expect(Number(echoed(muchLater))).toBe(current + (first - current + 3));
  expect(Number(echoed(muchLater))).toBeGreaterThan(first);
});

test("SSE events split payload lines on CRLF, CR and LF", () => {
  expect(formatSseEvent("data", "a\r\nb\rc\nd")).toBe("event: data\ndata:a\ndata:b\ndata:c\ndata:d\n\n");
  expect(formatSseEvent("control", "")).toBe("event: control\ndata:\n\n");
  const injected = formatSseEvent("data", 'x\n\nevent: control\ndata: {"injected":true}');
  expect(injected.split("\n\n")).toHaveLength(2);
});
