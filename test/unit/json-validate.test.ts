// Goal: the byte-level JSON validator accepts exactly what JSON.parse (after strict UTF-8
// decoding) accepts, and counts top-level array elements correctly.
// Method: fixed tricky cases, then generated documents and random mutations of them,
// each compared with JSON.parse.
import { expect, test } from "bun:test";
import { jsonValueBounds } from "../../src/engine/json-split.ts";
import { validateJson } from "../../src/engine/json-validate.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const strict = new TextDecoder("utf-8", { fatal: true });

function reference(bytes: Uint8Array): { ok: true; arrayLength: number | null } | { ok: false } {
  try {
    const value: unknown = JSON.parse(strict.decode(bytes));
    return { ok: true, arrayLength: Array.isArray(value) ? value.length : null };
  } catch {
    return { ok: false };
  }
}

function agrees(bytes: Uint8Array): void {
  expect({ input: Array.from(bytes), result: validateJson(bytes) }).toEqual({ input: Array.from(bytes), result: reference(bytes) });
}

test("tricky documents agree with JSON.parse", () => {
  const cases = [
    "", " ", "1", "-0", "-", "01", "1.", ".5", "1e5", "1E+5", "1e", "-1.5e-3", "0x10", "NaN", "Infinity", "true", "tru", "nul", "null ",
    '""', '"a', '"\\u00e9\\ud83d\\ude00"', '"\\ud800"', '"\\x41"', '"\\u12G4"', '"tab\there"', '"\\/"', "[]", "[ ]", "[1,]", "[,1]", "[1 2]",
    "{}", '{"a":1}', '{"a" 1}', "{a:1}", '{"a":1,}', '{"a":1,"a":2}', "[[[]]]", "[[1,2],[3,4]]", '[{"a":[1,{"b":null}]},"x"]', "]", "[", "{",
    "\ufeff[1]", "[1]\ufeff", '"\ufeff"', "[1] x", "\t\n\r [1] \n", '["\u007f"]', "[true,false,null]", "[1e400]", "[-]", "[--1]", '{"":0}',
    '{"a":[]}', "[{}]", '[[],{"b":[{}]}]',
  ];
  for (const text of cases) agrees(enc(text));
});

test("invalid UTF-8 is refused like the strict decoder refuses it", () => {
  const samples = [
    [0x22, 0xff, 0x22], [0x22, 0xc0, 0xaf, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22], [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22],
    [0x22, 0xe2, 0x82, 0x22], [0x22, 0xf0, 0x9f, 0x98, 0x80, 0x22], [0xc3, 0xa9], [0x22, 0xe0, 0x80, 0x80, 0x22],
  ];
  for (const bytes of samples) agrees(new Uint8Array(bytes));
});

test("generated documents and their mutations agree with JSON.parse", () => {
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const strings = ["", "plain", 'q"uote', "back\\slash", "tab\t", "ünïcödé", "emoji 😀", "\u2028", "</script>"];
  const value = (depth: number): unknown => {
    switch (rand(depth > 3 ? 5 : 7)) {
      case 0: return rand(2000) - 1000;
      case 1: return (rand(2000) - 1000) / 7;
      case 2: return strings[rand(strings.length)];
      case 3: return rand(2) === 0;
      case 4: return null;
      case 5: return Array.from({ length: rand(4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: rand(4) }, (_, i) => [`k${i}`, value(depth + 1)]));
    }
  };
  for (let i = 0; i < 400; i++) {
    const text = JSON.stringify(rand(4) === 0 ? value(0) : Array.from({ length: rand(5) }, () => value(0)), null, rand(3));
    const bytes = enc(text);
    agrees(bytes);
    for (let m = 0; m < 5; m++) {
      const mutated = Array.from(bytes);
      const at = rand(Math.max(1, mutated.length));
      const op = rand(3);
      if (op === 0) mutated.splice(at, 1);
      else if (op === 1) mutated.splice(at, 0, [0x2c, 0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x3a, 0x30, 0x20, 0x5c, 0xff][rand(11)]!);
      else mutated[at] = rand(256);
      agrees(new Uint8Array(mutated));
    }
  }
});

test("deep nesting is handled without recursion, and refused past the depth limit", () => {
  agrees(enc("[".repeat(5000) + "]".repeat(5000)));
  expect(validateJson(enc("[".repeat(20_000) + "]".repeat(20_000))).ok).toBe(false);
});

test("with a bounds list, the elements of a top-level array are reported where the value scan finds them", () => {
  let seed = 11;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const texts = ['[1, {"a":[2,3]} ,"x,]" ,[[]], null ]', "[ ]", "[[1,2],[3]]", '{"a":[1,2]}', '"not an array"', ...Array.from({ length: 50 }, () =>
    JSON.stringify(Array.from({ length: rand(6) }, (_, i) => (rand(2) ? { i, s: "q,\"[" } : [i, [i]])), null, rand(3)))];
  for (const text of texts) {
    const bytes = enc(text);
    const bounds: number[] = [];
    const shape = validateJson(bytes, bounds);
    expect(shape.ok).toBe(true);
    if (!shape.ok || shape.arrayLength === null) {
      expect(bounds).toEqual([]);
      continue;
    }
    const expected = new Uint32Array(2 * Math.max(1, shape.arrayLength));
    const inner = text.indexOf("[") + 1;
    const count = jsonValueBounds(bytes, expected, inner, text.lastIndexOf("]"));
    expect(count).toBe(shape.arrayLength);
    expect(bounds).toEqual(Array.from(expected.subarray(0, 2 * count)));
  }
});
