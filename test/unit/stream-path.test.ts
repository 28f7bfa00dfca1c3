// Goal: stream paths split into a name and a sub-resource as spec 01 §1.2 says, and
// unsafe names are refused.
import { expect, test } from "bun:test";
import { DsError } from "../../src/http/errors.ts";
import { parseForkSource, parseStreamPath, splitUrl } from "../../src/http/stream-path.ts";

const MAX = 1024;

test("plain names, names with slashes, and %2F address the same stream", () => {
  expect(parseStreamPath("orders", MAX)).toEqual({ name: "orders", sub: { kind: "stream" } });
  expect(parseStreamPath("a/b", MAX).name).toBe("a/b");
  expect(parseStreamPath("a%2Fb", MAX).name).toBe("a/b");
  expect(parseStreamPath("a/b/", MAX).name).toBe("a/b");
});

test("known sub-resources are split off before decoding", () => {
  expect(parseStreamPath("a/b/_schema", MAX)).toEqual({ name: "a/b", sub: { kind: "named", name: "_schema" } });
  expect(parseStreamPath("s/touch/templates/activate", MAX).sub).toEqual({ kind: "named", name: "touch/templates/activate" });
  expect(parseStreamPath("s/pk/k%2F1", MAX)).toEqual({ name: "s", sub: { kind: "pk", key: "k/1" } });
});

test("unsafe or empty names are refused with 400", () => {
  for (const bad of ["", "..", "a/../b", "%2E%2E", "a%00b", "a%0Ab", "a//b", "%E0%A4%A", "x".repeat(MAX + 1)]) {
    let error: unknown = null;
    try {
      parseStreamPath(bad, MAX);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DsError);
    expect((error as DsError).status).toBe(400);
  }
});

test("fork sources are paths or bare names", () => {
  expect(parseForkSource("/v1/stream/src-1", MAX)).toBe("src-1");
  expect(parseForkSource("http://host:1/v1/stream/a%2Fb", MAX)).toBe("a/b");
  expect(parseForkSource("plain", MAX)).toBe("plain");
});

test("request URLs split into raw path and query", () => {
  expect(splitUrl("http://h:1/v1/stream/a%2Fb?offset=-1&x=1")).toEqual({ path: "/v1/stream/a%2Fb", query: "offset=-1&x=1" });
  expect(splitUrl("http://h/v1/streams")).toEqual({ path: "/v1/streams", query: "" });
});
