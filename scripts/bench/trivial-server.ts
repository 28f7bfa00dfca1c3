// The benchmark's reference point: a Bun.serve process that answers the requests of every
// baseline scenario with correctly-shaped responses while doing (almost) no work. It keeps
// no data: per stream only a byte counter, its content type, the last few small bodies (so
// a late long-poll still sees every record), the parked long-polls and the open SSE
// connections (each append is written to them as one data event plus one control event).
//
//   PORT=0 DS_HOST=127.0.0.1 bun run scripts/bench/trivial-server.ts
//
// Prints one JSON line `{"url":"http://host:port"}` once listening, like the real server.
// Offsets are byte positions written as 20 decimal digits.

const MiB = 1024 * 1024;
const FULL_CHUNK = new Uint8Array(MiB).fill(0x61);
const RECENT_BODIES = 16;
const DEFAULT_LONG_POLL_MS = 3000;

interface Waiter {
  after: number;
  resolve: (res: Response) => void;
}

interface StreamState {
  contentType: string;
  bytes: number;
  recent: Array<{ start: number; body: Uint8Array }>;
  waiters: Set<Waiter>;
  sse: Set<ReadableStreamDefaultController<Uint8Array>>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function sseEvents(state: StreamState, body: Uint8Array): Uint8Array {
  const data = decoder.decode(body).split("\n").map((line) => `data:${line}\n`).join("");
  const control = JSON.stringify({ streamNextOffset: token(state.bytes), upToDate: true });
  return encoder.encode(`event: data\n${data}\nevent: control\ndata:${control}\n\n`);
}

const streams = new Map<string, StreamState>();

function token(position: number): string {
  return String(position).padStart(20, "0");
}

function parseOffset(value: string | null, state: StreamState): number {
  if (value === null || value === "-1") return 0;
  if (value === "now") return state.bytes;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function notFound(): Response {
  return Response.json({ error: { code: "not_found", message: "stream not found" } }, { status: 404 });
}

function handlePut(name: string, req: Request): Response {
  const existing = streams.get(name);
  const state = existing ?? {
    contentType: req.headers.get("content-type") ?? "application/octet-stream",
    bytes: 0,
    recent: [],
    waiters: new Set(),
    sse: new Set(),
  };
  if (!existing) streams.set(name, state);
  const headers = { "content-type": state.contentType, "stream-next-offset": token(state.bytes) };
  return new Response(null, { status: existing ? 200 : 201, headers });
}

async function handlePost(name: string, req: Request): Promise<Response> {
  const state = streams.get(name);
  const body = new Uint8Array(await req.arrayBuffer());
  if (!state) return notFound();
  const start = state.bytes;
  state.bytes += body.byteLength;
  state.recent.push({ start, body });
  if (state.recent.length > RECENT_BODIES) state.recent.shift();
  for (const waiter of state.waiters) waiter.resolve(liveData(state, waiter.after));
  state.waiters.clear();
  if (state.sse.size > 0) {
    const events = sseEvents(state, body);
    for (const controller of state.sse) controller.enqueue(events);
  }
  return new Response(null, { status: 204, headers: { "stream-next-offset": token(state.bytes) } });
}

/** Catch-up: the pre-built chunk, cut to what is left of the stream's byte count. */
function catchUp(state: StreamState, position: number): Response {
  const length = Math.max(0, Math.min(MiB, state.bytes - position));
  const next = position + length;
  const headers: Record<string, string> = { "content-type": state.contentType, "stream-next-offset": token(next) };
  if (next >= state.bytes) headers["stream-up-to-date"] = "true";
  return new Response(FULL_CHUNK.subarray(0, length), { status: 200, headers });
}

/** Long-poll data: the remembered bodies after `position`. */
function liveData(state: StreamState, position: number): Response {
  const parts = state.recent.filter((r) => r.start >= position).map((r) => r.body);
  const headers = { "content-type": state.contentType, "stream-next-offset": token(state.bytes), "stream-up-to-date": "true" };
  return new Response(Buffer.concat(parts), { status: 200, headers });
}

function longPoll(state: StreamState, position: number, timeoutMs: number, signal: AbortSignal): Response | Promise<Response> {
  if (position < state.bytes) return liveData(state, position);
  return new Promise<Response>((resolve) => {
    const noData = (): Response =>
      new Response(null, { status: 204, headers: { "stream-next-offset": token(state.bytes), "stream-up-to-date": "true" } });
    const finish = (res: Response): void => {
      clearTimeout(timer);
      state.waiters.delete(waiter);
      resolve(res);
    };
    const waiter: Waiter = { after: position, resolve: finish };
    const timer = setTimeout(() => finish(noData()), timeoutMs);
    signal.addEventListener("abort", () => finish(noData()), { once: true });
    state.waiters.add(waiter);
  });
}

/** SSE from the tail: one control event now, then each append as it comes. */
function sse(state: StreamState, signal: AbortSignal): Response {
  let own: ReadableStreamDefaultController<Uint8Array> | null = null;
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      own = controller;
      state.sse.add(controller);
      controller.enqueue(encoder.encode(`event: control\ndata:${JSON.stringify({ streamNextOffset: token(state.bytes), upToDate: true })}\n\n`));
    },
    cancel: () => {
      if (own) state.sse.delete(own);
    },
  });
  signal.addEventListener("abort", () => own && state.sse.delete(own), { once: true });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

function handleGet(name: string, url: URL, req: Request): Response | Promise<Response> {
  const state = streams.get(name);
  if (!state) return notFound();
  const position = parseOffset(url.searchParams.get("offset"), state);
  if (url.searchParams.get("live") === "long-poll") {
    const timeoutMs = Number(url.searchParams.get("timeout_ms") ?? DEFAULT_LONG_POLL_MS);
    return longPoll(state, position, timeoutMs, req.signal);
  }
  if (url.searchParams.get("live") === "sse") return sse(state, req.signal);
  return catchUp(state, position);
}

function route(req: Request): Response | Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname === "/metrics") return Response.json({ streams: streams.size });
  if (!url.pathname.startsWith("/v1/stream/")) return notFound();
  const name = decodeURIComponent(url.pathname.slice("/v1/stream/".length));
  switch (req.method) {
    case "PUT":
      return handlePut(name, req);
    case "POST":
      return handlePost(name, req);
    case "GET":
      return handleGet(name, url, req);
    default:
      return new Response(null, { status: 405 });
  }
}

const server = Bun.serve({
  hostname: process.env.DS_HOST ?? "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 180,
  maxRequestBodySize: 32 * MiB,
  fetch: route,
});
console.log(JSON.stringify({ url: `http://${server.hostname}:${server.port}` }));

const stop = (): void => {
  void server.stop(true).finally(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
