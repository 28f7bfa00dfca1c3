// Goal: cursors only move forward for clients that echo them, and SSE framing cannot be
// broken by payload line breaks.
import { expect, test } from "bun:test";
import { nextCursor } from "../../src/engine/cursor.ts";
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

test("SSE events split payload lines on CRLF, CR and LF", () => {
  expect(formatSseEvent("data", "a\r\nb\rc\nd")).toBe("event: data\ndata:a\ndata:b\ndata:c\ndata:d\n\n");
  expect(formatSseEvent("control", "")).toBe("event: control\ndata:\n\n");
  const injected = formatSseEvent("data", 'x\n\nevent: control\ndata: {"injected":true}');
  expect(injected.split("\n\n")).toHaveLength(2);
});
