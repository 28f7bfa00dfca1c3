// Goal: a batch that crosses to the writer thread arrives byte for byte: payload chunks,
// the request's routing key, and per-record routing keys (with null keys kept apart from
// empty ones, and keys holding any byte); profile and schema commands arrive as sent.
import { expect, test } from "bun:test";
import { decodeBatch, encodeBatch } from "../../src/engine/batch-wire.ts";
import type { AppendRequest } from "../../src/engine/append-checks.ts";
import type { WriteCommand } from "../../src/engine/write-commands.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function append(records: AppendRequest["records"], routingKey: Uint8Array | null): WriteCommand {
  return {
    op: "append",
    req: { name: "s", contentType: "application/json", records, routingKey, close: false, producer: null, streamSeq: null, timestampMs: null, metaVersion: 0 },
  };
}

/** Copies the payload, as postMessage with a transfer list hands the other side its own buffer. */
function roundTrip(commands: WriteCommand[]): WriteCommand[] {
  const wire = encodeBatch(commands);
  return decodeBatch({ json: wire.json, payload: wire.payload.slice() });
}

test("chunks, the request key and per-record keys survive the crossing", () => {
  const keyWithNul = new Uint8Array([0x61, 0x00, 0xff, 0x7c]);
  const commands: WriteCommand[] = [
    append({ chunks: [enc('{"a":1}'), enc('{"b":2}'), enc("3")], count: 3, keys: [keyWithNul, null, new Uint8Array(0)] }, null),
    { op: "purge", chunk: { rows: 5, bytes: 1024 } },
    { op: "profile", name: "s", document: { kind: "evlog", redactKeys: ["ssn"] } as never },
    { op: "schema", name: "s", update: { schema: { type: "object" }, routingKey: { jsonPointer: "/id", required: true }, search: null } },
    append({ chunks: [enc("1,2")], count: 2 }, enc("req-1")),
    // A JSON body left for the writer thread to validate keeps that mark.
    append({ chunks: [enc("[1, 2]")], count: 0, unparsed: true }, null),
  ];
  const decoded = roundTrip(commands);
  expect(decoded).toEqual(commands);
  const first = decoded[0] as Extract<WriteCommand, { op: "append" }>;
  expect(first.req.records.keys![1]).toBeNull();
  expect(first.req.records.keys![2]).toEqual(new Uint8Array(0));
  expect("keys" in (decoded[4] as Extract<WriteCommand, { op: "append" }>).req.records).toBe(false);
});
