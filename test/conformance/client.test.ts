// Goal: the official `@durable-streams/client` works against our server the way an
// application would use it: create a JSON stream, append messages, read them back as JSON,
// follow the stream live (a subscriber attached before later appends receives them, over SSE
// and long-poll), and write through an IdempotentProducer whose batches are retried without
// anything being stored twice.
// Method: one real server process (startServerProcess, its own data directory) driven only
// through the client's public API over HTTP; the retry is simulated by a fetch wrapper that
// delivers a producer batch twice (the first answer is dropped, as when an ack is lost and a
// transport layer retries), and by replaying every producer request with a raw fetch after
// the client has finished. Each test uses its own stream name.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DurableStream, IdempotentProducer, stream, type JsonBatch } from "@durable-streams/client";
import { removeDir, startServerProcess, type ServerProcess } from "../support/server-process.ts";

interface Msg {
  id: number;
  text: string;
}

let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess({ env: { DS_LONG_POLL_TIMEOUT_MS: "1000" } });
});
afterAll(async () => {
  await server?.stop("SIGTERM");
  if (server) removeDir(server.root);
});

const streamUrl = (name: string): string => `${server.url}/v1/stream/${name}`;
const msg = (id: number): Msg => ({ id, text: `message ${id}` });

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** The tail offset the client's HEAD reports; fails if the stream is missing. */
async function tailOf(handle: DurableStream): Promise<string> {
  const head = await handle.head();
  if (!head.exists || head.offset === undefined) throw new Error(`HEAD ${handle.url}: no tail`);
  return head.offset;
}

/** Everything in the stream, read by the client in catch-up mode. */
async function readAllJson<T>(url: string): Promise<T[]> {
  const res = await stream<T>({ url, live: false });
  return res.json();
}

test("a JSON stream created by the client returns every appended message once, in order", async () => {
  const url = streamUrl("client-json");
  const handle = await DurableStream.create({ url, contentType: "application/json" });
  expect(handle.contentType).toBe("application/json");

  // One at a time, then several overlapping appends (which the client batches into one POST).
  await handle.append(JSON.stringify(msg(1)));
  await handle.append(JSON.stringify(msg(2)));
  await Promise.all([3, 4, 5].map((id) => handle.append(JSON.stringify(msg(id)))));
  // A message that is itself an array stays one message.
  await handle.append(JSON.stringify([6, 7]));

  const expected = [msg(1), msg(2), msg(3), msg(4), msg(5), [6, 7]];
  expect(await readAllJson<unknown>(url)).toEqual(expected);

  // The handle's own read agrees, and HEAD reports the tail that read ended at.
  const res = await handle.stream<unknown>({ live: false });
  expect(await res.json()).toEqual(expected);
  const head = await handle.head();
  expect(head).toMatchObject({ exists: true, contentType: "application/json", offset: res.offset, streamClosed: false });
});

for (const live of ["sse", "long-poll"] as const) {
  test(`a live ${live} subscriber sees the history, then messages appended after it subscribed`, async () => {
    const url = streamUrl(`client-live-${live}`);
    const writer = await DurableStream.create({ url, contentType: "application/json" });
    await writer.append(JSON.stringify(msg(1)));
    await writer.append(JSON.stringify(msg(2)));

    // The consumer is a separate handle, as in a separate application.
    const reader = await DurableStream.connect({ url });
    const res = await reader.stream<Msg>({ live });
    const received: Msg[] = [];
    const offsets: string[] = [];
    let caughtUp = false;
    res.subscribeJson(async (batch: JsonBatch<Msg>) => {
      received.push(...batch.items);
      offsets.push(batch.offset);
      if (batch.upToDate) caughtUp = true;
    });
    try {
      await waitFor("the subscriber to catch up", () => caughtUp && received.length >= 2);
      expect(received).toEqual([msg(1), msg(2)]);

      // Appends made after the subscriber is attached and caught up.
      await writer.append(JSON.stringify(msg(3)));
      await Bun.sleep(50);
      await Promise.all([4, 5].map((id) => writer.append(JSON.stringify(msg(id)))));
      await waitFor("the live messages", () => received.length >= 5);
      await Bun.sleep(100); // a duplicate delivery would show up here
      expect(received).toEqual([1, 2, 3, 4, 5].map(msg));
      // Offsets handed to the subscriber never go backwards, and the last is the tail.
      expect([...offsets].sort()).toEqual(offsets);
      expect(await tailOf(reader)).toBe(offsets[offsets.length - 1]!);
    } finally {
      res.cancel();
    }
  });
}

interface SentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  statuses: number[];
}

test("an IdempotentProducer batch delivered twice is stored once, and replays of every batch are duplicates", async () => {
  const url = streamUrl("client-producer");
  const handle = await DurableStream.create({ url, contentType: "application/json" });

  // A transport that retries the first producer batch after "losing" its answer: the server
  // gets the same Producer-Id/Epoch/Seq and body twice; the client sees only the retry's answer.
  const sent: SentRequest[] = [];
  let retried = false;
  const retryingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    if (init?.method !== "POST" || headers["producer-id"] === undefined) return fetch(input, init);
    expect(typeof init.body).toBe("string");
    const record: SentRequest = { url: input instanceof Request ? input.url : String(input), headers, body: init.body as string, statuses: [] };
    sent.push(record);
    if (!retried) {
      retried = true;
      const lost = await fetch(input, init);
      record.statuses.push(lost.status);
      await lost.arrayBuffer();
    }
    const answer = await fetch(input, init);
    record.statuses.push(answer.status);
    return answer;
  }) as typeof fetch;

  const errors: Error[] = [];
  const producer = new IdempotentProducer(handle, "orders-1", {
    fetch: retryingFetch,
    lingerMs: 1,
    onError: (error) => errors.push(error),
  });
  for (const id of [1, 2, 3]) producer.append(JSON.stringify(msg(id)));
  await producer.flush();
  for (const id of [4, 5]) producer.append(JSON.stringify(msg(id)));
  await producer.flush();
  producer.append(JSON.stringify(msg(6)));
  await producer.flush();
  await producer.detach();

  expect(errors).toEqual([]);
  expect(sent.length).toBeGreaterThanOrEqual(2);
  // The first batch: accepted (200), then its retry recognised as a duplicate (204).
  expect(sent[0]!.headers["producer-seq"]).toBe("0");
  expect(sent[0]!.statuses).toEqual([200, 204]);
  // Every other batch was accepted once, with increasing seqs in epoch 0.
  sent.slice(1).forEach((request, i) => {
    expect(request.statuses).toEqual([200]);
    expect(request.headers["producer-epoch"]).toBe("0");
    expect(request.headers["producer-seq"]).toBe(String(i + 1));
  });

  const expected = [1, 2, 3, 4, 5, 6].map(msg);
  expect(await readAllJson<Msg>(url)).toEqual(expected);
  const tail = await tailOf(handle);

  // An application-level retry after the fact: replay each batch with a raw fetch.
  const lastSeq = String(sent.length - 1);
  for (const request of sent) {
    const replay = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
    expect(replay.status).toBe(204);
    expect(replay.headers.get("producer-epoch")).toBe("0");
    expect(replay.headers.get("producer-seq")).toBe(lastSeq);
    expect(replay.headers.get("stream-next-offset")).toBe(tail);
  }
  expect(await readAllJson<Msg>(url)).toEqual(expected);
  expect(await tailOf(handle)).toBe(tail);

  // The producer's state moved on exactly once per batch: the next seq is accepted.
  const next = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "producer-id": "orders-1", "producer-epoch": "0", "producer-seq": String(sent.length) },
    body: JSON.stringify([msg(7)]),
  });
  expect(next.status).toBe(200);
  expect(await readAllJson<Msg>(url)).toEqual([...expected, msg(7)]);
});

test("a restarted producer (new epoch) continues the stream and fences the old one", async () => {
  const url = streamUrl("client-producer-epochs");
  const handle = await DurableStream.create({ url, contentType: "application/json" });
  const first = new IdempotentProducer(handle, "worker", { lingerMs: 1 });
  first.append(JSON.stringify(msg(1)));
  await first.flush();

  const restarted = new IdempotentProducer(handle, "worker", { epoch: 1, lingerMs: 1 });
  restarted.append(JSON.stringify(msg(2)));
  await restarted.flush();
  await restarted.detach();

  const errors: Error[] = [];
  const zombie = new IdempotentProducer(handle, "worker", { lingerMs: 1, onError: (e) => errors.push(e) });
  zombie.append(JSON.stringify(msg(99)));
  await zombie.flush().catch((e: Error) => errors.push(e));
  expect(errors.length).toBeGreaterThan(0);
  expect(errors[0]!.name).toBe("StaleEpochError");
  expect(await readAllJson<Msg>(url)).toEqual([msg(1), msg(2)]);
});
