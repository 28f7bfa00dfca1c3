// Goal: with --auth-strategy api-key nothing is reachable without the exact bearer key,
// and the refusal is the error envelope with no hint about the key.
import { afterAll, beforeAll, expect, test } from "bun:test";
import pino from "pino";
import { createApp, type App } from "../../src/app.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { bearerMatches } from "../../src/http/middleware/auth.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

const KEY = "a-test-key-1234";
let app: App;
let root: string;

beforeAll(async () => {
  root = makeTempDir();
  app = await createApp(loadConfig(["--auth-strategy", "api-key"], { DS_ROOT: root, API_KEY: KEY }), pino({ level: "silent" }));
});
afterAll(async () => {
  await app.close();
  removeDir(root);
});

const call = (path: string, init: RequestInit = {}) => app.http.request(`http://127.0.0.1${path}`, init);

test("every route, preflight and unknown path needs the key", async () => {
  for (const [path, method] of [["/health", "GET"], ["/v1/streams", "GET"], ["/v1/server/_details", "GET"], ["/v1/server/_mem", "GET"], ["/v1/stream/x/_details", "GET"], ["/metrics", "GET"], ["/v1/stream/x", "PUT"], ["/v1/stream/x", "OPTIONS"], ["/nope", "GET"]] as const) {
    const res = await call(path, { method });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "unauthorized" } });
  }
});

test("the right key in any scheme case passes; near misses do not", async () => {
  expect((await call("/health", { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  expect((await call("/health", { headers: { authorization: `bearer ${KEY}` } })).status).toBe(200);
  for (const wrong of [`Bearer ${KEY.slice(0, -1)}`, `Bearer ${KEY}x`, KEY, `Basic ${KEY}`, "Bearer "]) {
    expect((await call("/health", { headers: { authorization: wrong } })).status).toBe(401);
  }
});

test("the comparison handles every length", () => {
  const key = Buffer.from("0123456789");
  expect(bearerMatches("Bearer 0123456789", key)).toBe(true);
  expect(bearerMatches("Bearer 012345678", key)).toBe(false);
  expect(bearerMatches("Bearer 01234567890", key)).toBe(false);
  expect(bearerMatches(null, key)).toBe(false);
});

test("start-up refuses a missing or short key and unclear auth flags", () => {
  expect(() => loadConfig(["--auth-strategy", "api-key"], { API_KEY: "short" })).toThrow(ConfigError);
  expect(() => loadConfig(["--auth-strategy", "api-key"], {})).toThrow(ConfigError);
  expect(() => loadConfig([], {})).toThrow("missing auth configuration");
  expect(() => loadConfig(["--no-auth", "--auth-strategy", "api-key"], { API_KEY: KEY })).toThrow(ConfigError);
  expect(() => loadConfig(["--auth-strategy=bogus"], {})).toThrow("invalid --auth-strategy");
  expect(loadConfig(["--auth-strategy=api-key"], { API_KEY: KEY }).auth).toEqual({ strategy: "api-key", apiKey: KEY });
});
