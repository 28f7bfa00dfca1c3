// Goal: against a real S3 protocol server, a server run with `--object-store r2` seals and
// uploads several segments per stream, and a new server on an empty directory, started with
// `--bootstrap-from-r2`, reads every stream back byte-exact while deleted streams stay gone.
// Method: s3rver on loopback; the real server spawned twice; the bucket inspected directly
// (through our S3 store) to know when everything is published.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { parseManifest } from "../../src/storage/manifest.ts";
import { S3ObjectStore } from "../../src/storage/object-store/s3.ts";
import { manifestKey } from "../../src/storage/paths.ts";
import { until } from "../support/app.ts";
import { readAllBytes, readAllJson } from "../support/read-all.ts";
import { startS3rver, type S3Fixture } from "../support/s3rver.ts";
import { removeDir, startServerProcess, type ServerProcess } from "../support/server-process.ts";

setDefaultTimeout(120_000);

const TIERING = {
  DS_SEGMENT_MAX_BYTES: "16384",
  DS_BLOCK_MAX_BYTES: "4096",
  DS_SEGMENT_CHECK_MS: "20",
  DS_UPLOAD_CHECK_MS: "20",
  DS_SEGMENT_MAX_INTERVAL_MS: "300",
  // No disk cache: after bootstrap every sealed read is a GET against s3rver.
  DS_SEGMENT_CACHE_MAX_BYTES: "0",
};

let s3: S3Fixture;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  for (const server of servers) {
    await server.stop("SIGKILL");
    removeDir(server.root);
  }
  await s3?.close();
});

async function startServer(args: string[] = []): Promise<ServerProcess> {
  const server = await startServerProcess({ args: ["--no-auth", "--object-store", "r2", ...args], env: { ...s3.env, ...TIERING } });
  servers.push(server);
  return server;
}

function bucket(): S3ObjectStore {
  return new S3ObjectStore({ bucket: s3.bucket, accountId: "local-test", accessKeyId: "S3RVER", secretAccessKey: "S3RVER", endpoint: s3.endpoint, region: "auto" });
}

/** Random, incompressible bytes: segments stay near DS_SEGMENT_MAX_BYTES. */
function randomBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

async function put(server: ServerProcess, name: string, contentType: string): Promise<void> {
  const res = await fetch(`${server.url}/v1/stream/${name}`, { method: "PUT", headers: { "content-type": contentType } });
  expect(res.status).toBe(201);
}

async function append(server: ServerProcess, name: string, body: Uint8Array | string, contentType: string): Promise<void> {
  const res = await fetch(`${server.url}/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": contentType } });
  expect(res.status).toBe(204);
}

/** Published when the stream's manifest lists segments through its last record. */
async function publishedThrough(name: string, records: number, deleted = false): Promise<boolean> {
  const bytes = await bucket().get(manifestKey(name));
  if (!bytes) return false;
  const manifest = parseManifest(new TextDecoder().decode(bytes));
  if (deleted) return (manifest.stream_flags & 1) === 1;
  return manifest.segments.length >= 3 && manifest.segments.at(-1)!.endExclusive === records;
}

test("sealed history uploads to S3 and a bootstrapped server reads it back byte-exact", async () => {
  const first = await startServer();
  const binary = new Map<string, Uint8Array[]>([
    ["bin-a", []],
    ["bin-b", []],
  ]);
  for (const name of binary.keys()) await put(first, name, "application/octet-stream");
  await put(first, "json", "application/json");
  await put(first, "doomed", "application/octet-stream");
  const messages: unknown[] = [];
  for (let i = 0; i < 120; i++) {
    for (const [name, parts] of binary) {
      const part = randomBytes(700 + ((i * 37) % 900), i + name.length);
      parts.push(part);
      await append(first, name, part, "application/octet-stream");
    }
    const message = { i, blob: Buffer.from(randomBytes(300, i)).toString("base64") };
    messages.push(message);
    await append(first, "json", JSON.stringify(message), "application/json");
    await append(first, "doomed", randomBytes(500, i), "application/octet-stream");
  }
  await until(() => publishedThrough("doomed", 120), 60_000, "doomed published");
  expect((await fetch(`${first.url}/v1/stream/doomed`, { method: "DELETE" })).status).toBe(204);
  await until(
    async () =>
      (await publishedThrough("bin-a", 120)) &&
      (await publishedThrough("bin-b", 120)) &&
      (await publishedThrough("json", 120)) &&
      (await publishedThrough("doomed", 0, true)),
    60_000,
    "every stream published",
  );
  await first.stop("SIGKILL");

  // A new machine: empty data directory, the bucket only.
  const second = await startServer(["--bootstrap-from-r2"]);
  expect(second.root).not.toBe(first.root);
  for (const [name, parts] of binary) {
    const read = await readAllBytes(second.url, name);
    expect(Buffer.from(read.data).equals(Buffer.from(concat(parts)))).toBe(true);
  }
  expect((await readAllJson(second.url, "json")).data).toEqual(messages);
  expect((await fetch(`${second.url}/v1/stream/doomed`)).status).toBe(404);
  expect(second.output()).toContain("bootstrap from object store complete");

  // Resuming from the offset a first page ended at continues exactly there.
  const page = await fetch(`${second.url}/v1/stream/bin-a?offset=-1`);
  const head = Buffer.from(await page.arrayBuffer());
  const rest = await readAllBytes(second.url, "bin-a", { from: page.headers.get("stream-next-offset")! });
  expect(Buffer.concat([head, Buffer.from(rest.data)]).equals(Buffer.from(concat(binary.get("bin-a")!)))).toBe(true);
});
