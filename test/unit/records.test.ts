// Goal: request bodies become stored records as spec 01 §6.1 says.
import { expect, test } from "bun:test";
import { splitJsonValues } from "../../src/engine/json-split.ts";
import { prepareRecords } from "../../src/engine/records.ts";
import { concatRecords, jsonArrayOf } from "../../src/http/read-body.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** The messages a body becomes (a JSON append is stored as one chunk of them). */
function records(type: string, body: string, allowEmpty = false): string[] {
  const prepared = prepareRecords(type, enc(body), allowEmpty);
  if (!prepared.ok) throw new Error(prepared.message);
  const values = prepared.batch.chunks.flatMap((chunk) => (type === "application/json" ? splitJsonValues(chunk) : [chunk]));
  expect(values).toHaveLength(prepared.batch.count);
  return values.map(dec);
}

test("a JSON array append is stored as one chunk: its interior as sent", () => {
  const prepared = prepareRecords("application/json", enc(' [ {"a":1},\n {"b":2} ] '), false);
  expect(prepared.ok && { chunk: dec(prepared.batch.chunks[0]!), count: prepared.batch.count }).toEqual({ chunk: '{"a":1},\n {"b":2}', count: 2 });
});

test("JSON bodies flatten exactly one level of array; messages are stored as sent, trimmed", () => {
  expect(records("application/json", ' { "event": "created" }\n')).toEqual(['{ "event": "created" }']);
  expect(records("application/json", '[{"a":1}, {"b":2}]')).toEqual(['{"a":1}', '{"b":2}']);
  expect(records("application/json", "[[1,2],[3,4]]")).toEqual(["[1,2]", "[3,4]"]);
  expect(records("application/json", "[[[1,2,3]]]")).toEqual(["[[1,2,3]]"]);
  expect(records("application/json", "42")).toEqual(["42"]);
});

test("an empty JSON array is refused on append and allowed on create", () => {
  expect(prepareRecords("application/json", enc("[]"), false).ok).toBe(false);
  expect(records("application/json", "[]", true)).toEqual([]);
});

test("invalid JSON and invalid UTF-8 are refused", () => {
  expect(prepareRecords("application/json", enc("{ invalid json }"), false).ok).toBe(false);
  expect(prepareRecords("application/json", new Uint8Array([0x22, 0xff, 0x22]), false).ok).toBe(false);
});

test("other types store the body as one record, byte for byte", () => {
  const body = new Uint8Array([0, 1, 2, 255]);
  const prepared = prepareRecords("application/octet-stream", body, false);
  expect(prepared.ok && prepared.batch).toEqual({ chunks: [body], count: 1 });
});

test("read bodies: raw concatenation and JSON arrays", () => {
  const parts = [enc('{"a":1}'), enc("2")];
  expect(dec(concatRecords(parts, 8))).toBe('{"a":1}2');
  expect(dec(jsonArrayOf(parts, 8))).toBe('[{"a":1},2]');
  expect(dec(jsonArrayOf([], 0))).toBe("[]");
});
