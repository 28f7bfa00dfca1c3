// Goal: the in-process app answers the basic create → append → read cycle.
import { afterEach, expect, test } from "bun:test";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
afterEach(async () => app?.dispose());

test("create, append and read back a text stream", async () => {
  app = await createTestApp();
  expect((await createStream(app, "smoke", "text/plain")).status).toBe(201);
  const post = await app.request("/v1/stream/smoke", { method: "POST", body: "hello", headers: { "content-type": "text/plain" } });
  expect(post.status).toBe(204);
  const read = await app.request("/v1/stream/smoke?offset=-1");
  expect(read.status).toBe(200);
  expect(await read.text()).toBe("hello");
  expect(read.headers.get("stream-up-to-date")).toBe("true");
  expect(read.headers.get("x-content-type-options")).toBe("nosniff");
});
