// `Stream-Cursor` values (spec 01 §11.3): 20-second intervals since 2024-10-09T00:00:00Z,
// so CDN cache keys for live reads change over time; a client echoing a cursor at or past
// the current interval gets a strictly larger one (with jitter, so clients spread out).
const CURSOR_EPOCH_MS = Date.UTC(2024, 9, 9);
const INTERVAL_MS = 20_000;
const MAX_JITTER_SECONDS = 3600;

/** The 20-second interval `nowMs` falls in: the cursor of a client that sent none. */
function intervalAt(nowMs: number): number {
  return Math.floor((nowMs - CURSOR_EPOCH_MS) / INTERVAL_MS);
}

export function nextCursor(nowMs: number, clientCursor: string | null | undefined, random: () => number = Math.random): string {
  const current = intervalAt(nowMs);
  if (clientCursor && /^[0-9]{1,15}$/.test(clientCursor)) {
    const client = Number(clientCursor);
    if (client >= current) {
      const jitterSeconds = 1 + Math.floor(random() * MAX_JITTER_SECONDS);
      return String(client + Math.max(1, Math.ceil(jitterSeconds / (INTERVAL_MS / 1000))));
    }
  }
  return String(current);
}

/**
 * The cursor of each control event of one SSE connection. Its client is the request's
 * `cursor` alone: the server's own earlier values are not echoes, so they do not push the
 * cursor forward again (before, each event jittered from the last one and a minute-long
 * connection walked its cursor weeks ahead). When the request's cursor is at or past the
 * current interval, the jittered value is drawn once per connection and the cursor never goes
 * back below it; otherwise it is the current interval. Readers of one stream woken together
 * then send the same control event, and can share its encoding.
 */
export function connectionCursor(clientCursor: string | null | undefined, random: () => number = Math.random): (nowMs: number) => string {
  let floor: number | null = null;
  return (nowMs) => {
    const current = intervalAt(nowMs);
    if (floor === null) {
      const first = Number(nextCursor(nowMs, clientCursor, random));
      if (first === current) return String(current);
      floor = first;
    }
    return String(Math.max(floor, current));
  };
}
