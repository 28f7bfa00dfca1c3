// Goal: a stream's profile travels with its manifest, so a directory rebuilt from the
// object store gets it back (spec 03 §7), including a profile changed after the stream's
// records were published (the change publishes the manifest again).
// Method: an in-process app with tiny segments over the local object store publishes two
// state-protocol streams and then changes one's profile; a second app bootstraps the same
// root from the store.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { createStream, createTestApp, SMALL_SEGMENTS, type TestApp, until } from "../support/app.ts";

setDefaultTimeout(30_000);

const TIERING = { ...SMALL_SEGMENTS, DS_SEGMENT_TARGET_ROWS: "60", DS_OBJECTSTORE_RETRIES: "0" };

const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.dispose();
});

const TOUCH_ON = { kind: "state-protocol", touch: { enabled: true, onMissingBefore: "error" } };
const TOUCH_OFF = { kind: "state-protocol", touch: { enabled: false } };

const setProfile = (app: TestApp, name: string, profile: unknown) =>
  app.request(`/v1/stream/${name}/_profile`, { method: "POST", body: JSON.stringify({ profile }) });
const profileOf = async (app: TestApp, name: string) => ((await (await app.request(`/v1/stream/${name}/_profile`)).json()) as { profile: unknown }).profile;

async function publishChanges(app: TestApp, name: string): Promise<void> {
  await createStream(app, name, "application/json");
  expect((await setProfile(app, name, TOUCH_ON)).status).toBe(200);
  for (let i = 0; i < 150; i++) {
    const change = { type: "todo", key: `t${i}`, value: { title: "x".repeat(40) }, headers: { operation: "insert" } };
    const res = await app.request(`/v1/stream/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(change) });
    expect(res.status).toBe(204);
  }
  await until(() => (app.engine.streams.byStreamName(name)?.uploaded_segment_count ?? 0) >= 2, 15_000, `${name}: uploaded segments`);
}

test("bootstrap restores each stream's profile kind and document, as last changed", async () => {
  const first = await createTestApp(TIERING);
  apps.push(first);
  await publishChanges(first, "todos");
  await publishChanges(first, "switched");
  await first.engine.tiering.uploader.drain(10_000);
  const expected = await profileOf(first, "todos");
  expect((await setProfile(first, "switched", TOUCH_OFF)).status).toBe(200);
  await first.engine.tiering.uploader.drain(10_000);
  const root = first.config.root;
  await first.close();

  const second = await createTestApp({ ...TIERING, DS_ROOT: root }, { flags: ["--bootstrap-from-r2"] });
  apps.push(second);
  expect(await profileOf(second, "todos")).toEqual(expected);
  expect(await profileOf(second, "switched")).toEqual(TOUCH_OFF);
  const bad = await second.request("/v1/stream/todos", { method: "POST", headers: { "content-type": "application/json" }, body: '{"headers":{}}' });
  expect(bad.status).toBe(400);
});
