// Goal: JSON appends on streams with a profile hook, a schema or a routing-key pointer are
// stored as spec 03 §6.1 orders it: hook, then validation, then the routing key (registry
// pointer > Stream-Key > the hook's suggestion); records the hook leaves alone keep their
// bytes as sent, and records with different keys get their own chunks.
import { expect, test } from "bun:test";
import { ingestRecords, type Ingested } from "../../src/engine/ingest.ts";
import { splitJsonValues } from "../../src/engine/json-split.ts";
import { prepareRecords } from "../../src/engine/records.ts";
import { StreamMeta } from "../../src/engine/stream-meta.ts";
import { getProfile } from "../../src/profiles/index.ts";
import { emptyRegistry, type SchemaRegistry } from "../../src/schema/registry.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

function meta(kind: string, registry: SchemaRegistry = emptyRegistry("s")): StreamMeta {
  const definition = getProfile(kind)!;
  return new StreamMeta(0, { definition, document: { kind } }, definition.defaultSchema?.("s") ?? registry);
}

function ingest(m: StreamMeta, body: string, headerKey: string | null = null): Ingested {
  const prepared = prepareRecords("application/json", enc(body), false);
  if (!prepared.ok) throw new Error(prepared.message);
  return ingestRecords(m, { contentType: "application/json", records: prepared.batch, headerKey, nowMs: 0 });
}

/** Each stored record with its key (the batch's own key when records share one). */
function stored(result: Ingested): Array<[string, string | null]> {
  if (!result.ok) throw new Error(result.message);
  const { records, routingKey } = result;
  if (records.keys) return records.chunks.map((c, i) => [dec(c)!, dec(records.keys![i] ?? null)]);
  return records.chunks.flatMap((c) => splitJsonValues(c)).map((v) => [dec(v)!, dec(routingKey)]);
}

const withSchema = (schema: Record<string, unknown>, routingKey?: SchemaRegistry["routingKey"]): SchemaRegistry => ({
  ...emptyRegistry("s"),
  currentVersion: 1,
  boundaries: [{ offset: 0, version: 1 }],
  schemas: { "1": schema },
  ...(routingKey ? { routingKey } : {}),
});

test("validated records keep their bytes as sent, in one chunk when they share a key", () => {
  const result = ingest(meta("generic", withSchema({ type: "object" })), '[ {"a" : 1},\n {"b":2} ]', "k");
  expect(result.ok && result.records.chunks.length).toBe(1);
  expect(stored(result)).toEqual([['{"a" : 1}', "k"], ['{"b":2}', "k"]]);
});

test("a routing-key pointer gives each record its key; the bytes still are as sent", () => {
  const result = ingest(meta("generic", withSchema({ type: "object" }, { jsonPointer: "/u", required: false })), '[{"u":"x"}, {"u" :"y"}, {"n":1}]');
  expect(stored(result)).toEqual([['{"u":"x"}', "x"], ['{"u" :"y"}', "y"], ['{"n":1}', null]]);
});

test("the hook's key is used unless Stream-Key names one; the hook's output is what is stored", () => {
  const evlog = meta("evlog");
  const body = '[{"requestId":"r1","message":"a"},{"requestId":"r2","message":"b"}]';
  const byHook = stored(ingest(evlog, body));
  expect(byHook.map(([, key]) => key)).toEqual(["r1", "r2"]);
  expect(JSON.parse(byHook[0]![0])).toMatchObject({ requestId: "r1", level: "info", redaction: { keys: [] } });
  expect(stored(ingest(evlog, body, "batch-7")).map(([, key]) => key)).toEqual(["batch-7", "batch-7"]);
});

test("a registry pointer wins over the hook, and then Stream-Key is refused", () => {
  const metrics = meta("metrics");
  const record = '{"metric":"m","unit":"u","windowStart":0,"windowEnd":1,"count":1,"sum":1,"tags":{"a":"1"}}';
  expect(stored(ingest(metrics, record))[0]![1]).toBe("summary|delta|m|u|||a=1");
  expect(ingest(metrics, record, "k")).toEqual({ ok: false, status: 400, message: "Stream-Key not allowed when routingKey is configured" });
});

test("the hook runs before validation, and the first failing record refuses the append", () => {
  const m = meta("state-protocol", withSchema({ type: "object", required: ["key"], properties: { key: { type: "string", minLength: 3 } } }));
  const ok = '{"type":"t","key":"abc","value":1,"headers":{"operation":"insert"}}';
  expect(ingest(m, `[${ok},{"headers":{}}]`)).toEqual({ ok: false, status: 400, message: "state-protocol record.headers must contain operation or control (record 1)" });
  expect(ingest(m, '{"type":"t","key":"ab","value":1,"headers":{"operation":"insert"}}')).toEqual({ ok: false, status: 400, message: "/key must NOT have fewer than 3 characters" });
});

test("an invalid stored profile or registry refuses appends with 500", () => {
  const broken = new StreamMeta(0, null, emptyRegistry("s"));
  expect(ingest(broken, "{}")).toEqual({ ok: false, status: 500, message: "invalid stream profile" });
});
