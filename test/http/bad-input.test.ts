// Goal: malformed input — read parameters, stream names, request headers and bodies — gets
// its documented status and error code (spec 01 §3.4, §4, §7, §8, §12.2, §15, §16) in the
// JSON error envelope, and leaves every stored byte, tail offset, Stream-Seq and producer
// state exactly as it was, and creates no stream.
// Method: each test starts an in-process app seeded with a byte stream and a JSON stream of
// known content (including a Stream-Seq and an idempotent producer at seq 1), sends one bad
// request per case and then re-checks the whole seeded state: both streams read back from
// -1, their HEAD tails, the stream list, and non-mutating probes of the Stream-Seq (a
// regression → 409 naming the stored value) and of the producer (a retry of the last seq →
// 204 duplicate naming it, a gap → 409 naming the expected next seq).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { INTERNAL_METRICS_STREAM } from "../../src/profiles/metrics.ts";
import { createTestApp, type TestApp } from "../support/app.ts";

const OCTET = "application/octet-stream";
const JSON_TYPE = "application/json";
const encoder = new TextEncoder();

/** The byte stream gets every kind of byte, in two appends (the second one with a Stream-Seq). */
const BYTES_1 = new Uint8Array([0x00, 0x01, 0x0a, 0x0d, 0x7f, 0x80, 0xfe, 0xff]);
const BYTES_2 = encoder.encode("tail");
const BYTES_ALL = new Uint8Array([...BYTES_1, ...BYTES_2]);
const BYTES_SEQ = "seq-002";
/** The JSON stream: two messages from its PUT, then two producer batches (seq 0 and 1). */
const EVENTS = [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }];
const PRODUCER = "p1";
const PRODUCER_LAST_SEQ = 1;

interface Fixture {
  app: TestApp;
  bytesTail: string;
  eventsTail: string;
}

type HeaderMap = Record<string, string>;

function bytesOf(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

/** A POST with a Uint8Array body (so no Content-Type is implied) and exactly these headers. */
function post(app: TestApp, name: string, body: string | Uint8Array, headers: HeaderMap = {}): Promise<Response> {
  return app.request(`/v1/stream/${name}`, { method: "POST", body: bytesOf(body), headers });
}

function producerHeaders(id: string, epoch: number | string, seq: number | string): HeaderMap {
  return { "producer-id": id, "producer-epoch": String(epoch), "producer-seq": String(seq) };
}

/** A body of `total` bytes without Content-Length, delivered in chunks (a chunked upload). */
function chunkedBody(total: number, chunk = 300): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(0x61));
    },
  });
}

function chunkedInit(method: string, total: number, headers: HeaderMap): RequestInit {
  return { method, body: chunkedBody(total), headers, duplex: "half" } as RequestInit;
}

async function seed(app: TestApp): Promise<Fixture> {
  expect((await app.request("/v1/stream/bytes", { method: "PUT", headers: { "content-type": OCTET } })).status).toBe(201);
  expect((await post(app, "bytes", BYTES_1, { "content-type": OCTET })).status).toBe(204);
  expect((await post(app, "bytes", BYTES_2, { "content-type": OCTET, "stream-seq": BYTES_SEQ })).status).toBe(204);

  const put = await app.request("/v1/stream/events", {
    method: "PUT",
    headers: { "content-type": JSON_TYPE },
    body: JSON.stringify(EVENTS.slice(0, 2)),
  });
  expect(put.status).toBe(201);
  const json = { "content-type": JSON_TYPE };
  expect((await post(app, "events", JSON.stringify(EVENTS[2]), { ...json, ...producerHeaders(PRODUCER, 0, 0) })).status).toBe(200);
  expect((await post(app, "events", JSON.stringify(EVENTS.slice(3)), { ...json, ...producerHeaders(PRODUCER, 0, 1) })).status).toBe(200);

  const bytesTail = (await app.request("/v1/stream/bytes", { method: "HEAD" })).headers.get("stream-next-offset");
  const eventsTail = (await app.request("/v1/stream/events", { method: "HEAD" })).headers.get("stream-next-offset");
  expect(bytesTail).toMatch(/^[0-9A-Z]{26}$/);
  expect(eventsTail).toMatch(/^[0-9A-Z]{26}$/);
  return { app, bytesTail: bytesTail!, eventsTail: eventsTail! };
}

/** Status, the error envelope with its code, its content type and nosniff. */
async function expectError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  // Compared with the body alongside, so a wrong status shows the server's message.
  expect({ status: res.status, body: text }).toMatchObject({ status });
  expect(res.headers.get("content-type")).toMatch(/^application\/json(;|$)/);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const body = JSON.parse(text) as unknown;
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
}

/** HEAD answers carry no body: status and nosniff only. */
function expectHeadError(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
}

/** The streams clients created (the server's own metrics stream left out). */
async function streamNames(app: TestApp): Promise<string[]> {
  const res = await app.request("/v1/streams");
  expect(res.status).toBe(200);
  return ((await res.json()) as { name: string }[]).map((s) => s.name).filter((n) => n !== INTERNAL_METRICS_STREAM).sort();
}

/** The whole seeded state is unchanged; `extraNames` are streams the test itself created. */
async function expectUntouched(fx: Fixture, extraNames: string[] = []): Promise<void> {
  const { app } = fx;
  // Stream-Seq: a regression is refused and names the stored value (nothing is written).
  const seqProbe = await post(app, "bytes", "x", { "content-type": OCTET, "stream-seq": "seq-000" });
  expect(seqProbe.status).toBe(409);
  expect(seqProbe.headers.get("stream-expected-seq")).toBe(BYTES_SEQ);

  // Producer: retrying the last accepted seq is a duplicate naming it; skipping one is a gap.
  const json = { "content-type": JSON_TYPE };
  const dup = await post(app, "events", '{"n":"dup"}', { ...json, ...producerHeaders(PRODUCER, 0, PRODUCER_LAST_SEQ) });
  expect(dup.status).toBe(204);
  expect(dup.headers.get("producer-epoch")).toBe("0");
  expect(dup.headers.get("producer-seq")).toBe(String(PRODUCER_LAST_SEQ));
  const gap = await post(app, "events", '{"n":"gap"}', { ...json, ...producerHeaders(PRODUCER, 0, PRODUCER_LAST_SEQ + 2) });
  expect(gap.status).toBe(409);
  expect(gap.headers.get("producer-expected-seq")).toBe(String(PRODUCER_LAST_SEQ + 1));

  // Content and tails (read after the probes, so the probes are checked to write nothing too).
  const bytes = await app.request("/v1/stream/bytes?offset=-1");
  expect(bytes.status).toBe(200);
  expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(BYTES_ALL);
  expect(bytes.headers.get("stream-next-offset")).toBe(fx.bytesTail);
  expect(bytes.headers.get("stream-up-to-date")).toBe("true");
  const events = await app.request("/v1/stream/events?offset=-1");
  expect(events.status).toBe(200);
  expect(await events.json()).toEqual(EVENTS);
  expect(events.headers.get("stream-next-offset")).toBe(fx.eventsTail);

  const bytesHead = await app.request("/v1/stream/bytes", { method: "HEAD" });
  expect(bytesHead.status).toBe(200);
  expect(bytesHead.headers.get("stream-next-offset")).toBe(fx.bytesTail);
  expect(bytesHead.headers.get("stream-closed")).toBeNull();
  const eventsHead = await app.request("/v1/stream/events", { method: "HEAD" });
  expect(eventsHead.status).toBe(200);
  expect(eventsHead.headers.get("stream-next-offset")).toBe(fx.eventsTail);
  expect(eventsHead.headers.get("stream-closed")).toBeNull();

  expect(await streamNames(app)).toEqual(["bytes", "events", ...extraNames].sort());
}

async function expectAbsent(app: TestApp, name: string): Promise<void> {
  expect((await app.request(`/v1/stream/${name}`, { method: "HEAD" })).status).toBe(404);
}

let fx: Fixture;
afterEach(async () => fx?.app.dispose());

describe("read parameters", () => {
  beforeEach(async () => {
    fx = await seed(await createTestApp());
  });

  // A 26-character token is the only offset shape besides -1/now (and the ref zero alias).
  const validToken = "0".repeat(26);
  const badQueries: { label: string; query: string; stream?: string }[] = [
    { label: "empty offset", query: "offset=" },
    { label: "offset=abc", query: "offset=abc" },
    { label: "decimal offset=0", query: "offset=0" },
    { label: "offset=1", query: "offset=1" },
    { label: "offset=0,1", query: "offset=0,1" },
    { label: "offset with a space (0 1)", query: "offset=0%201" },
    { label: "offset=../x", query: "offset=../x" },
    { label: "offset with a slash", query: `offset=${validToken.slice(0, 13)}/${validToken.slice(14)}` },
    { label: "offset with NUL", query: "offset=%00" },
    { label: "offset with a newline", query: `offset=${validToken.slice(0, 25)}%0A` },
    { label: "26-char token with the invalid symbol U", query: `offset=U${validToken.slice(1)}` },
    { label: "26-char token with the invalid symbol !", query: `offset=${validToken.slice(1)}!` },
    { label: "25-char token", query: `offset=${validToken.slice(1)}` },
    { label: "27-char token", query: `offset=${validToken}0` },
    { label: "a ref-format offset other than the zero alias", query: "offset=9999999999999999_9999999999999999" },
    { label: "offset given twice (same value)", query: "offset=-1&offset=-1" },
    { label: "offset given twice (different values)", query: `offset=now&offset=${validToken}` },
    { label: "offset given twice on a JSON stream", query: "offset=-1&offset=now", stream: "events" },
    { label: "live=long-poll without offset", query: "live=long-poll" },
    { label: "live=sse without offset", query: "live=sse" },
    { label: "live=sse without offset on a JSON stream", query: "live=sse", stream: "events" },
    { label: "live=long-poll with an invalid offset", query: "offset=abc&live=long-poll" },
    { label: "live=sse with an invalid offset", query: "offset=abc&live=sse" },
    { label: "live=bogus", query: "offset=-1&live=bogus" },
    { label: "format=json on a byte stream", query: "offset=-1&format=json" },
    { label: "format=xml", query: "offset=-1&format=xml" },
    { label: "format=xml on a JSON stream", query: "offset=-1&format=xml", stream: "events" },
    { label: "timeout=abc", query: "offset=-1&timeout=abc" },
    { label: "timeout=abc on a long-poll", query: "offset=now&live=long-poll&timeout=abc" },
    { label: "timeout_ms=-5", query: "offset=now&live=long-poll&timeout_ms=-5" },
    { label: "since=yesterday", query: "since=yesterday" },
  ];

  for (const c of badQueries) {
    test(`GET with ${c.label} answers 400 bad_request and changes nothing`, async () => {
      const res = await fx.app.request(`/v1/stream/${c.stream ?? "bytes"}?${c.query}`);
      await expectError(res, 400, "bad_request");
      await expectUntouched(fx);
    });
  }

  test("the offsets the validation rejects are not those it must accept", async () => {
    // Guards the table above against passing for the wrong reason (e.g. every GET failing).
    for (const offset of ["-1", "now", validToken, validToken.toLowerCase(), fx.bytesTail]) {
      const res = await fx.app.request(`/v1/stream/bytes?offset=${offset}`);
      expect({ offset, status: res.status }).toEqual({ offset, status: 200 });
      await res.arrayBuffer();
    }
  });
});

describe("stream names", () => {
  beforeEach(async () => {
    fx = await seed(await createTestApp());
  });

  // Every method is refused before it reaches a stream. HEAD errors carry no body.
  const METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"] as const;
  async function sendAll(path: string): Promise<Response[]> {
    const out: Response[] = [];
    for (const method of METHODS) {
      const init: RequestInit = { method };
      if (method === "PUT" || method === "POST") {
        init.headers = { "content-type": OCTET };
        init.body = bytesOf("payload");
      }
      out.push(await fx.app.request(path, init));
    }
    return out;
  }

  const longName = "n".repeat(1025);
  const badNames: { label: string; path: string }[] = [
    { label: "/v1/stream/ (missing name)", path: "/v1/stream/" },
    { label: "/v1/stream// (only slashes)", path: "/v1/stream//" },
    { label: "/v1/stream///x (empty leading segment)", path: "/v1/stream///x" },
    { label: "a%2F..%2Fb (encoded '..' segment)", path: "/v1/stream/a%2F..%2Fb" },
    { label: "a%2F%2E%2E%2Fb (fully encoded '..' segment)", path: "/v1/stream/a%2F%2E%2E%2Fb" },
    { label: "..%2Fbytes (escaping upward)", path: "/v1/stream/..%2Fbytes" },
    { label: "%2E%2E%2Fevents (escaping upward, encoded)", path: "/v1/stream/%2E%2E%2Fevents" },
    { label: "a%2F.%2Fb (encoded '.' segment)", path: "/v1/stream/a%2F.%2Fb" },
    { label: "a%2F%2Fb (encoded empty segment)", path: "/v1/stream/a%2F%2Fb" },
    { label: "a NUL (%00)", path: "/v1/stream/a%00b" },
    { label: "only NUL", path: "/v1/stream/%00" },
    { label: "a newline (%0A)", path: "/v1/stream/a%0Ab" },
    { label: "a carriage return (%0D)", path: "/v1/stream/a%0Db" },
    { label: "a unit separator (%1F)", path: "/v1/stream/a%1Fb" },
    { label: "DEL (%7F)", path: "/v1/stream/a%7Fb" },
    { label: "truncated percent-encoding %E0%A4%A", path: "/v1/stream/%E0%A4%A" },
    { label: "invalid UTF-8 percent-encoding %FF", path: "/v1/stream/a%FFb" },
    { label: "non-hex percent-encoding %ZZ", path: "/v1/stream/a%ZZb" },
    { label: "a name of 1025 bytes (default limit 1024)", path: `/v1/stream/${longName}` },
    { label: "a name of 513 two-byte characters (1026 bytes)", path: `/v1/stream/${encodeURIComponent("é".repeat(513))}` },
  ];

  for (const c of badNames) {
    test(`a stream path with ${c.label} answers 400 bad_request to every method and changes nothing`, async () => {
      const responses = await sendAll(c.path);
      for (const [i, res] of responses.entries()) {
        if (METHODS[i] === "HEAD") expectHeadError(res, 400);
        else await expectError(res, 400, "bad_request");
      }
      await expectUntouched(fx);
    });
  }

  // A request URL is normalised (RFC 3986 §5.2.4 / WHATWG URL) before anything routes it —
  // by the client's URL parser and, over a socket, by Bun as well — and `%2E%2E` counts as
  // `..` there. So a literal dot segment never reaches the name parser: `/v1/stream/..` is
  // `/v1/`, and `/v1/stream/a/../b` is `/v1/stream/b`.
  test("a literal /v1/stream/.. (raw or %2E%2E) resolves to /v1/, an unknown route: 404, nothing changes", async () => {
    const cases: [path: string, status: number, code: string][] = [
      ["/v1/stream/..", 404, "not_found"],
      ["/v1/stream/%2E%2E", 404, "not_found"],
      ["/v1/stream/%2e%2e/", 404, "not_found"],
      // `/v1/stream/.` normalises to `/v1/stream/`: a missing name.
      ["/v1/stream/.", 400, "bad_request"],
    ];
    for (const [path, status, code] of cases) {
      for (const [i, res] of (await sendAll(path)).entries()) {
        if (METHODS[i] === "HEAD") expectHeadError(res, status);
        else await expectError(res, status, code);
      }
    }
    await expectUntouched(fx);
  });

  test("dot segments in a/../b (raw or %2E%2E) resolve before routing: the path addresses stream b, never a name with '..'", async () => {
    for (const path of ["/v1/stream/a/../b", "/v1/stream/a/%2E%2E/b", "/v1/stream/a/./b/.."]) {
      // b (or a, for the last path) does not exist: reads, appends and deletes are 404.
      await expectError(await fx.app.request(path), 404, "not_found");
      await expectError(await post(fx.app, path.slice("/v1/stream/".length), "x", { "content-type": OCTET }), 404, "not_found");
      await expectError(await fx.app.request(path, { method: "DELETE" }), 404, "not_found");
    }
    // Through a dot segment a request reaches exactly the stream the resolved path names.
    const viaDots = await fx.app.request("/v1/stream/zzz/../bytes?offset=-1");
    expect(viaDots.status).toBe(200);
    expect(new Uint8Array(await viaDots.arrayBuffer())).toEqual(BYTES_ALL);
    const put = await fx.app.request("/v1/stream/a/%2E%2E/b", { method: "PUT", headers: { "content-type": OCTET } });
    expect(put.status).toBe(201);
    expect(new URL(put.headers.get("location")!).pathname).toBe("/v1/stream/b");
    await expectUntouched(fx, ["b"]);
  });

  test("the name limit counts UTF-8 bytes: DS_STREAM_NAME_MAX_BYTES=8 accepts 8 bytes and refuses 9", async () => {
    await fx.app.dispose();
    fx = await seed(await createTestApp({ DS_STREAM_NAME_MAX_BYTES: "8" }));
    // 9 bytes each: ASCII, five two-byte characters (5 characters), and a name with `%2F`.
    for (const name of ["abcdefghi", encodeURIComponent("éééée"), "abcd%2Fefgh"]) {
      const put = await fx.app.request(`/v1/stream/${name}`, { method: "PUT", headers: { "content-type": OCTET } });
      await expectError(put, 400, "bad_request");
      await expectError(await fx.app.request(`/v1/stream/${name}?offset=-1`), 400, "bad_request");
    }
    await expectUntouched(fx);
    // Exactly 8 bytes: accepted.
    for (const name of ["abcdefgh", encodeURIComponent("éééé")]) {
      const put = await fx.app.request(`/v1/stream/${name}`, { method: "PUT", headers: { "content-type": OCTET } });
      expect(put.status).toBe(201);
    }
    await expectUntouched(fx, ["abcdefgh", "éééé"]);
  });

  test("a name of exactly the default limit (1024 bytes) is accepted", async () => {
    const name = "n".repeat(1024);
    expect((await fx.app.request(`/v1/stream/${name}`, { method: "PUT", headers: { "content-type": OCTET } })).status).toBe(201);
    await expectUntouched(fx, [name]);
  });
});

describe("request headers", () => {
  beforeEach(async () => {
    fx = await seed(await createTestApp());
  });

  const FUTURE = "2099-01-01T00:00:00Z";
  const badPutHeaders: { label: string; headers: HeaderMap }[] = [
    ...["abc", "-1", "00060", "+60", "60.5", "1e3", "", "0x3c", "9007199254740992"].map((ttl) => ({
      label: `Stream-TTL: '${ttl}'`,
      headers: { "stream-ttl": ttl },
    })),
    ...["not-a-timestamp", "2099-13-01T00:00:00Z", "2099-01-01", "4070908800", "2099-01-01T00:00:00"].map((at) => ({
      label: `Stream-Expires-At: '${at}'`,
      headers: { "stream-expires-at": at },
    })),
    { label: "Stream-TTL and Stream-Expires-At together", headers: { "stream-ttl": "60", "stream-expires-at": FUTURE } },
    { label: "Stream-Fork-Sub-Offset: 0 without Stream-Forked-From", headers: { "stream-fork-sub-offset": "0" } },
    { label: "Stream-Fork-Sub-Offset: 1 without Stream-Forked-From", headers: { "stream-fork-sub-offset": "1" } },
    { label: "Stream-Fork-Offset without Stream-Forked-From", headers: { "stream-fork-offset": "0".repeat(26) } },
    ...["-1", "abc", "1.5", "05", "+1", ""].map((sub) => ({
      label: `a fork with Stream-Fork-Sub-Offset: '${sub}'`,
      headers: { "stream-forked-from": "/v1/stream/events", "stream-fork-offset": "0".repeat(26), "stream-fork-sub-offset": sub },
    })),
    {
      label: "a fork with Stream-Fork-Sub-Offset > 0 but no Stream-Fork-Offset",
      headers: { "stream-forked-from": "/v1/stream/events", "stream-fork-sub-offset": "1" },
    },
    { label: "a fork with Stream-Fork-Offset: abc", headers: { "stream-forked-from": "/v1/stream/events", "stream-fork-offset": "abc" } },
    {
      label: "a fork at an offset beyond the source tail",
      headers: { "stream-forked-from": "/v1/stream/events", "stream-fork-offset": "9999999999999999_9999999999999999" },
    },
    { label: "a fork from a source path with NUL", headers: { "stream-forked-from": "/v1/stream/a%00b" } },
    { label: "a fork from a source path with bad percent-encoding", headers: { "stream-forked-from": "/v1/stream/%E0%A4%A" } },
    { label: "a fork from a source path with a '..' segment", headers: { "stream-forked-from": "/v1/stream/a%2F..%2Fevents" } },
  ];

  for (const c of badPutHeaders) {
    test(`PUT with ${c.label} answers 400 bad_request and creates nothing`, async () => {
      const res = await fx.app.request("/v1/stream/fresh", {
        method: "PUT",
        headers: { "content-type": JSON_TYPE, ...c.headers },
        body: bytesOf('{"initial":true}'),
      });
      await expectError(res, 400, "bad_request");
      await expectAbsent(fx.app, "fresh");
      await expectUntouched(fx);
    });

    test(`PUT with ${c.label} on an existing stream answers 400 (not 200/409) and changes nothing`, async () => {
      const res = await fx.app.request("/v1/stream/events", { method: "PUT", headers: { "content-type": JSON_TYPE, ...c.headers } });
      await expectError(res, 400, "bad_request");
      await expectUntouched(fx);
    });
  }

  const appendBody = '{"n":"bad-header"}';
  const badPostHeaders: { label: string; headers: HeaderMap; stream?: string }[] = [
    { label: "only Producer-Id", headers: { "producer-id": PRODUCER } },
    { label: "Producer-Id and Producer-Epoch without Producer-Seq", headers: { "producer-id": PRODUCER, "producer-epoch": "0" } },
    { label: "Producer-Id and Producer-Seq without Producer-Epoch", headers: { "producer-id": PRODUCER, "producer-seq": "2" } },
    { label: "Producer-Epoch and Producer-Seq without Producer-Id", headers: { "producer-epoch": "0", "producer-seq": "2" } },
    { label: "an empty Producer-Id", headers: producerHeaders("", 0, 2) },
    ...["0xyz", "1e3", "-1", "+1", "", "1.0", "9007199254740992", "99999999999999999999"].map((epoch) => ({
      label: `Producer-Epoch: '${epoch}'`,
      headers: producerHeaders(PRODUCER, epoch, 0),
    })),
    ...["1abc", "-1", "", "2.0", "9007199254740992", "99999999999999999999"].map((seq) => ({
      label: `Producer-Seq: '${seq}'`,
      headers: producerHeaders(PRODUCER, 0, seq),
    })),
    { label: "a new Producer-Epoch starting at Producer-Seq 1", headers: producerHeaders(PRODUCER, 1, 1) },
    { label: "an empty Stream-Seq", headers: { "stream-seq": "" } },
    { label: "a whitespace-only Stream-Seq", headers: { "stream-seq": "   " } },
    { label: "an empty Stream-Seq on the byte stream", headers: { "stream-seq": "" }, stream: "bytes" },
    { label: "Stream-Timestamp: yesterday", headers: { "stream-timestamp": "yesterday" } },
  ];

  for (const c of badPostHeaders) {
    test(`POST with ${c.label} answers 400 bad_request and changes nothing`, async () => {
      const stream = c.stream ?? "events";
      const contentType = stream === "events" ? JSON_TYPE : OCTET;
      const res = await post(fx.app, stream, appendBody, { "content-type": contentType, ...c.headers });
      await expectError(res, 400, "bad_request");
      await expectUntouched(fx);
    });
  }

  test("after refused producer requests the producer continues exactly at its next seq", async () => {
    await expectError(await post(fx.app, "events", appendBody, { "content-type": JSON_TYPE, ...producerHeaders(PRODUCER, "1e3", 2) }), 400, "bad_request");
    await expectError(await post(fx.app, "events", "{bad", { "content-type": JSON_TYPE, ...producerHeaders(PRODUCER, 0, 2) }), 400, "bad_request");
    await expectError(await post(fx.app, "events", "[]", { "content-type": JSON_TYPE, ...producerHeaders(PRODUCER, 0, 2) }), 400, "bad_request");
    const next = await post(fx.app, "events", '{"n":6}', { "content-type": JSON_TYPE, ...producerHeaders(PRODUCER, 0, 2) });
    expect(next.status).toBe(200);
    expect(next.headers.get("producer-seq")).toBe("2");
    const read = await fx.app.request("/v1/stream/events?offset=-1");
    expect(await read.json()).toEqual([...EVENTS, { n: 6 }]);
  });
});

describe("bodies", () => {
  beforeEach(async () => {
    fx = await seed(await createTestApp());
  });

  const json = { "content-type": JSON_TYPE };
  const octet = { "content-type": OCTET };
  const producer2 = producerHeaders(PRODUCER, 0, PRODUCER_LAST_SEQ + 1);
  const badPosts: { label: string; stream: string; body: string | Uint8Array; headers: HeaderMap; status: number; code: string }[] = [
    { label: "invalid JSON on a JSON stream", stream: "events", body: "{ invalid json }", headers: json, status: 400, code: "bad_request" },
    { label: "invalid JSON with producer headers", stream: "events", body: "{ invalid json }", headers: { ...json, ...producer2 }, status: 400, code: "bad_request" },
    { label: "an empty JSON array", stream: "events", body: "[]", headers: json, status: 400, code: "bad_request" },
    { label: "an empty JSON array with producer headers", stream: "events", body: "[]", headers: { ...json, ...producer2 }, status: 400, code: "bad_request" },
    { label: "a batch with one good element and one invalid", stream: "events", body: '[{"n":6},{bad}]', headers: json, status: 400, code: "bad_request" },
    { label: "a truncated batch", stream: "events", body: '[{"n":6},{"n":7}', headers: json, status: 400, code: "bad_request" },
    { label: "a batch with a trailing comma", stream: "events", body: '[{"n":6},]', headers: json, status: 400, code: "bad_request" },
    { label: "a partly invalid batch with producer headers", stream: "events", body: '[{"n":6},{bad}]', headers: { ...json, ...producer2 }, status: 400, code: "bad_request" },
    { label: "two concatenated JSON values", stream: "events", body: '{"n":6}{"n":7}', headers: json, status: 400, code: "bad_request" },
    { label: "invalid UTF-8 on a JSON stream", stream: "events", body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]), headers: json, status: 400, code: "bad_request" },
    { label: "a body without Content-Type (JSON stream)", stream: "events", body: '{"n":6}', headers: {}, status: 400, code: "bad_request" },
    { label: "a body without Content-Type (byte stream)", stream: "bytes", body: "abc", headers: {}, status: 400, code: "bad_request" },
    { label: "a body with a blank Content-Type", stream: "bytes", body: "abc", headers: { "content-type": " ; charset=utf-8" }, status: 400, code: "bad_request" },
    { label: "an empty body without Stream-Closed (byte stream)", stream: "bytes", body: "", headers: octet, status: 400, code: "bad_request" },
    { label: "an empty body without Stream-Closed (JSON stream)", stream: "events", body: "", headers: json, status: 400, code: "bad_request" },
    { label: "an empty body with Stream-Closed: false", stream: "bytes", body: "", headers: { ...octet, "stream-closed": "false" }, status: 400, code: "bad_request" },
    { label: "an empty body with producer headers", stream: "events", body: "", headers: { ...json, ...producer2 }, status: 400, code: "bad_request" },
    { label: "invalid JSON and Stream-Closed: true (the stream stays open)", stream: "events", body: "{bad", headers: { ...json, "stream-closed": "true" }, status: 400, code: "bad_request" },
    { label: "an empty JSON array and Stream-Closed: true", stream: "events", body: "[]", headers: { ...json, "stream-closed": "true", ...producer2 }, status: 400, code: "bad_request" },
    { label: "a body without Content-Type and Stream-Closed: true", stream: "bytes", body: "abc", headers: { "stream-closed": "true" }, status: 400, code: "bad_request" },
    { label: "a mismatched Content-Type and Stream-Closed: true", stream: "bytes", body: "abc", headers: { "content-type": "text/plain", "stream-closed": "true" }, status: 409, code: "content_type_mismatch" },
    { label: "text/plain on a byte stream", stream: "bytes", body: "abc", headers: { "content-type": "text/plain" }, status: 409, code: "content_type_mismatch" },
    { label: "application/json on a byte stream", stream: "bytes", body: '{"n":6}', headers: json, status: 409, code: "content_type_mismatch" },
    { label: "application/octet-stream on a JSON stream", stream: "events", body: '{"n":6}', headers: octet, status: 409, code: "content_type_mismatch" },
    { label: "text/plain and invalid JSON on a JSON stream", stream: "events", body: "{bad", headers: { "content-type": "text/plain" }, status: 409, code: "content_type_mismatch" },
    { label: "a mismatched Content-Type with producer headers", stream: "events", body: '{"n":6}', headers: { "content-type": "text/plain", ...producer2 }, status: 409, code: "content_type_mismatch" },
  ];

  for (const c of badPosts) {
    test(`POST with ${c.label} answers ${c.status} ${c.code} and stores nothing`, async () => {
      await expectError(await post(fx.app, c.stream, c.body, c.headers), c.status, c.code);
      await expectUntouched(fx);
    });
  }

  const badPutBodies: { label: string; body: string }[] = [
    { label: "invalid JSON", body: "{ invalid json }" },
    { label: "a batch with one good element and one invalid", body: '[{"n":1},{bad}]' },
    { label: "a truncated batch", body: '[{"n":1},{"n":2}' },
  ];
  for (const c of badPutBodies) {
    test(`PUT of a JSON stream with ${c.label} as its initial body answers 400 and creates nothing`, async () => {
      const res = await fx.app.request("/v1/stream/fresh", { method: "PUT", headers: json, body: bytesOf(c.body) });
      await expectError(res, 400, "bad_request");
      await expectAbsent(fx.app, "fresh");
      await expectUntouched(fx);
    });
  }
});

describe("large JSON bodies (validated on the writer thread while their payload file syncs)", () => {
  beforeEach(async () => {
    fx = await seed(await createTestApp());
  });

  // Past DS_WAL_PAYLOAD_FILE_MIN_BYTES (2 KiB): the serving thread leaves these to the writer.
  const pad = "x".repeat(3000);
  const json = { "content-type": JSON_TYPE };
  const producer2 = producerHeaders(PRODUCER, 0, PRODUCER_LAST_SEQ + 1);
  const badPosts: { label: string; body: string | Uint8Array; headers: HeaderMap }[] = [
    { label: "invalid JSON", body: `{ "pad": "${pad}", bad }`, headers: json },
    { label: "invalid JSON with producer headers", body: `{ "pad": "${pad}" `, headers: { ...json, ...producer2 } },
    { label: "a batch with one good element and one invalid", body: `[{"pad":"${pad}"},{bad}]`, headers: json },
    { label: "a truncated batch", body: `[{"pad":"${pad}"},{"n":7}`, headers: json },
    { label: "a batch whose closing bracket is followed by more", body: `[{"pad":"${pad}"}] x`, headers: json },
    { label: "invalid UTF-8", body: new Uint8Array([0x5b, 0x22, ...new TextEncoder().encode(pad), 0xff, 0x22, 0x5d]), headers: json },
    { label: "invalid JSON and Stream-Closed: true (the stream stays open)", body: `{"pad":"${pad}"`, headers: { ...json, "stream-closed": "true" } },
  ];
  for (const c of badPosts) {
    test(`POST with ${c.label} answers 400 bad_request and stores nothing`, async () => {
      await expectError(await post(fx.app, "events", c.body, c.headers), 400, "bad_request");
      await expectUntouched(fx);
    });
  }

  test("these bodies are the ones the serving thread leaves unparsed; smaller ones it checks itself", () => {
    const row = fx.app.engine.streams.byStreamName("events")!;
    const prepared = (body: string) => fx.app.engine.appendRecords(row, JSON_TYPE, new TextEncoder().encode(body));
    expect(prepared(`{"pad":"${pad}"}`)).toEqual({ ok: true, batch: { chunks: [new TextEncoder().encode(`{"pad":"${pad}"}`)], count: 0, unparsed: true } });
    expect(prepared("{bad")).toEqual({ ok: false, message: "invalid JSON body" });
  });

  test("a valid one is stored whole, one record per element, and a producer's retry is a duplicate", async () => {
    const records = [{ pad }, { n: 1 }, { pad, n: 2 }];
    const headers = { ...json, ...producer2 };
    const first = await post(fx.app, "events", ` \n${JSON.stringify(records)}\t`, headers);
    expect(first.status).toBe(200);
    const retry = await post(fx.app, "events", JSON.stringify(records), headers);
    expect(retry.status).toBe(204);
    expect(retry.headers.get("stream-next-offset")).toBe(first.headers.get("stream-next-offset"));
    const read = await fx.app.request("/v1/stream/events?offset=-1");
    expect(await read.json()).toEqual([...EVENTS, ...records]);
  });
});

describe("body size limit (DS_APPEND_MAX_BODY_BYTES=1024)", () => {
  const LIMIT = 1024;
  beforeEach(async () => {
    fx = await seed(await createTestApp({ DS_APPEND_MAX_BODY_BYTES: String(LIMIT) }));
  });

  const over = new Uint8Array(LIMIT + 1).fill(0x61);
  const overJson = encoder.encode(JSON.stringify(["x".repeat(LIMIT)]));

  test("POST of limit+1 bytes with Content-Length answers 413 payload_too_large and stores nothing", async () => {
    const res = await post(fx.app, "bytes", over, { "content-type": OCTET, "content-length": String(over.byteLength) });
    await expectError(res, 413, "payload_too_large");
    await expectUntouched(fx);
  });

  test("POST of limit+1 bytes without a declared length answers 413 and stores nothing", async () => {
    await expectError(await post(fx.app, "bytes", over, { "content-type": OCTET }), 413, "payload_too_large");
    await expectUntouched(fx);
  });

  test("a chunked POST (no Content-Length) that grows past the limit answers 413 and stores nothing", async () => {
    const res = await fx.app.request("/v1/stream/bytes", chunkedInit("POST", 5 * LIMIT, { "content-type": OCTET }));
    await expectError(res, 413, "payload_too_large");
    await expectUntouched(fx);
  });

  test("an oversized body with Stream-Closed: true answers 413 and neither appends nor closes", async () => {
    const res = await post(fx.app, "bytes", over, { "content-type": OCTET, "stream-closed": "true" });
    await expectError(res, 413, "payload_too_large");
    await expectUntouched(fx);
  });

  test("an oversized producer batch answers 413 and leaves the producer at its next seq", async () => {
    const headers = { "content-type": JSON_TYPE, ...producerHeaders(PRODUCER, 0, PRODUCER_LAST_SEQ + 1) };
    await expectError(await post(fx.app, "events", overJson, { ...headers, "content-length": String(overJson.byteLength) }), 413, "payload_too_large");
    await expectError(await fx.app.request("/v1/stream/events", chunkedInit("POST", 5 * LIMIT, headers)), 413, "payload_too_large");
    await expectUntouched(fx);
  });

  test("PUT with an initial body over the limit answers 413 and creates nothing (declared and chunked)", async () => {
    const declared = await fx.app.request("/v1/stream/fresh", {
      method: "PUT",
      headers: { "content-type": OCTET, "content-length": String(over.byteLength) },
      body: over,
    });
    await expectError(declared, 413, "payload_too_large");
    await expectAbsent(fx.app, "fresh");
    await expectError(await fx.app.request("/v1/stream/fresh", { method: "PUT", headers: { "content-type": OCTET }, body: over }), 413, "payload_too_large");
    await expectAbsent(fx.app, "fresh");
    const chunked = await fx.app.request("/v1/stream/fresh", chunkedInit("PUT", 5 * LIMIT, { "content-type": OCTET }));
    await expectError(chunked, 413, "payload_too_large");
    await expectAbsent(fx.app, "fresh");
    const json = await fx.app.request("/v1/stream/fresh-json", { method: "PUT", headers: { "content-type": JSON_TYPE }, body: overJson });
    await expectError(json, 413, "payload_too_large");
    await expectAbsent(fx.app, "fresh-json");
    await expectUntouched(fx);
  });

  test("the limit is inclusive: exactly limit bytes append, declared or chunked", async () => {
    const exact = new Uint8Array(LIMIT).fill(0x62);
    expect((await post(fx.app, "bytes", exact, { "content-type": OCTET, "content-length": String(LIMIT) })).status).toBe(204);
    expect((await fx.app.request("/v1/stream/bytes", chunkedInit("POST", LIMIT, { "content-type": OCTET }))).status).toBe(204);
    const read = await fx.app.request("/v1/stream/bytes?offset=-1");
    const body = new Uint8Array(await read.arrayBuffer());
    expect(body.byteLength).toBe(BYTES_ALL.byteLength + 2 * LIMIT);
    expect(body.slice(0, BYTES_ALL.byteLength)).toEqual(BYTES_ALL);
  });
});
