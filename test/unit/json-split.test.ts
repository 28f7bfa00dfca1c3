// Goal: the byte scanner finds exactly the top-level elements JSON.parse sees, for any
// valid JSON, so stored messages are the client's own bytes.
import { expect, test } from "bun:test";
import { decodeValueBounds, encodeValueBounds, jsonValueBounds, splitJsonArray, trimJson } from "../../src/engine/json-split.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const split = (s: string) => splitJsonArray(enc(s))?.map(dec) ?? null;

test("elements come out trimmed, nesting and strings intact", () => {
  expect(split('[{"a":1}, {"b":[1,2,{"c":"]"}]} ,3,"x,y",null]')).toEqual(['{"a":1}', '{"b":[1,2,{"c":"]"}]}', "3", '"x,y"', "null"]);
  expect(split(' \n[ [1,2] , [3,4] ]\r\n')).toEqual(["[1,2]", "[3,4]"]);
  expect(split("[[[1,2,3]]]")).toEqual(["[[1,2,3]]"]);
  expect(split("[]")).toEqual([]);
  expect(split('{"a":[1]}')).toBeNull();
});

test("escaped quotes and backslashes inside strings do not end them", () => {
  expect(split('["a\\"],b", "c\\\\", "\\\\\\"]"]')).toEqual(['"a\\"],b"', '"c\\\\"', '"\\\\\\"]"']);
});

test("a byte-order mark and surrounding whitespace are not part of a value", () => {
  expect(dec(trimJson(new Uint8Array([0xef, 0xbb, 0xbf, ...enc(' {"a":1} ')])))).toBe('{"a":1}');
  expect(split("\ufeff[1,2]")).toEqual(["1", "2"]);
});

test("agrees with JSON.parse on generated documents", () => {
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const value = (depth: number): unknown => {
    switch (rand(depth > 2 ? 4 : 6)) {
      case 0: return rand(1000) - 500;
      case 1: return ["plain", 'q"uote', "back\\slash", "comma,]}", "ünï"][rand(5)];
      case 2: return rand(2) === 0;
      case 3: return null;
      case 4: return Array.from({ length: rand(4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: rand(4) }, (_, i) => [`k${i}`, value(depth + 1)]));
    }
  };
  for (let i = 0; i < 300; i++) {
    const items = Array.from({ length: 1 + rand(6) }, () => value(0));
    const text = rand(2) === 0 ? JSON.stringify(items) : JSON.stringify(items, null, rand(3));
    const parts = split(text)!;
    expect(parts.map((p) => JSON.parse(p))).toEqual(items);
  }
});

test("value bounds match the split slices, and values beyond the output are counted", () => {
  const text = ' {"a":[1,2]} , "x,]" ,3,[{"b":"}"}]  ';
  const bytes = enc(text);
  const out = new Uint32Array(8);
  expect(jsonValueBounds(bytes, out, 0, bytes.length)).toBe(4);
  const pairs = Array.from({ length: 4 }, (_, i) => text.slice(out[2 * i], out[2 * i + 1]));
  expect(pairs).toEqual(['{"a":[1,2]}', '"x,]"', "3", '[{"b":"}"}]']);
  const small = new Uint32Array(2);
  expect(jsonValueBounds(bytes, small, 0, bytes.length)).toBe(4);
  expect(text.slice(small[0], small[1])).toBe('{"a":[1,2]}');
  expect(jsonValueBounds(enc("   "), out, 0, 3)).toBe(0);
});

test("value bounds round-trip through their stored form, and a malformed one is refused", () => {
  const text = ' {"a":1} ,\n [2,3],"x" ,4';
  const bytes = new TextEncoder().encode(text);
  const scanned = new Uint32Array(8);
  const count = jsonValueBounds(bytes, scanned, 0, bytes.length);
  const absolute = Array.from(scanned.subarray(0, 2 * count)).map((n) => n + 5); // as found in a body where the chunk starts at 5
  const encoded = encodeValueBounds(absolute, 5);
  const decoded = new Uint32Array(8);
  expect(decodeValueBounds(encoded, decoded, bytes.length)).toBe(count);
  expect(decoded).toEqual(scanned);
  // Long values take multi-byte varints.
  const long = encodeValueBounds([3, 300_003], 0);
  const out = new Uint32Array(2);
  expect(decodeValueBounds(long, out, 300_003)).toBe(1);
  expect(Array.from(out)).toEqual([3, 300_003]);
  // Truncated, too many for the output, or past the chunk: refused, so sealing scans instead.
  expect(decodeValueBounds(encoded.subarray(0, encoded.length - 1), decoded, bytes.length)).toBe(-1);
  expect(decodeValueBounds(encoded, new Uint32Array(4), bytes.length)).toBe(-1);
  expect(decodeValueBounds(encoded, decoded, bytes.length - 1)).toBe(-1);
});
