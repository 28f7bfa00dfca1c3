// `Stream-Cursor` values (spec 01 §11.3): 20-second intervals since 2024-10-09T00:00:00Z,
// so CDN cache keys for live reads change over time; a client echoing a cursor at or past
// the current interval gets a strictly larger one (with jitter, so clients spread out).
const CURSOR_EPOCH_MS = Date.UTC(2024, 9, 9);
const INTERVAL_MS = 20_000;
const MAX_JITTER_SECONDS = 3600;

export function nextCursor(nowMs: number, clientCursor: string | null | undefined, random: () => number = Math.random): string {
  const current = Math.floor((nowMs - CURSOR_EPOCH_MS) / INTERVAL_MS);
  if (clientCursor && /^[0-9]{1,15}$/.test(clientCursor)) {
    const client = Number(clientCursor);
    if (client >= current) {
      const jitterSeconds = 1 + Math.floor(random() * MAX_JITTER_SECONDS);
      return String(client + Math.max(1, Math.ceil(jitterSeconds / (INTERVAL_MS / 1000))));
    }
  }
  return String(current);
}
