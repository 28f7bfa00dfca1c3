// Goal: request bodies become stored records as spec 01 §6.1 says.
import { expect, test } from "bun:test";
import { prepareRecords } from "../../src/engine/records.ts";
import { concatRecords, jsonArrayOf } from "../../src/http/read-body.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function records(type: string, body: string, allowEmpty = false): string[] {
  const prepared = prepareRecords(type, enc(body), allowEmpty);
  if (!prepared.ok) throw new Error(prepared.message);
  return prepared.records.map(dec);
}

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
  expect(prepared.ok && prepared.records[0]).toEqual(body);
});

test("read bodies: raw concatenation and JSON arrays", () => {
  const parts = [enc('{"a":1}'), enc("2")];
  expect(dec(concatRecords(parts, 8))).toBe('{"a":1}2');
  expect(dec(jsonArrayOf(parts, 8))).toBe('[{"a":1},2]');
  expect(dec(jsonArrayOf([], 0))).toBe("[]");
});
