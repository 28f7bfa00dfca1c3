// Goal: SIGTERM under load is graceful: waiting long-polls get an answer, new requests get
// 503, queued appends are committed before the process exits (exit code 0), and after a
// restart every acknowledged append is there exactly once.
// Method: a real server process, 12 writers over 3 streams and 20 long-polls, SIGTERM after
// a short load, then a restart on the same directory and a full read of every stream.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { readAllBytes } from "../support/read-all.ts";
import { makeTempDir, removeDir, startServerProcess, type ServerProcess } from "../support/server-process.ts";

setDefaultTimeout(60_000);

const STREAMS = ["sd-0", "sd-1", "sd-2"];
const WRITERS_PER_STREAM = 4;
const MAX_APPENDS_PER_WRITER = 3_000;
const root = makeTempDir("ds-shutdown-");
const servers: ServerProcess[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop("SIGKILL");
  removeDir(root);
});

async function start(): Promise<ServerProcess> {
  const server = await startServerProcess({ root, args: ["--no-auth", "--object-store", "local"] });
  servers.push(server);
  return server;
}

test("SIGTERM answers waiting long-polls, commits queued appends, and loses nothing acknowledged", async () => {
  const server = await start();
  for (const name of STREAMS) {
    expect((await fetch(`${server.url}/v1/stream/${name}`, { method: "PUT", headers: { "content-type": "text/plain" } })).status).toBe(201);
  }

  const acked = new Map<string, Set<string>>(STREAMS.map((name) => [name, new Set()]));
  const refusals = new Map<number, number>();
  let stopping = false;
  const writer = async (name: string, w: number) => {
    for (let n = 0; n < MAX_APPENDS_PER_WRITER; n++) {
      const id = `${w}.${n};`;
      let res: Response;
      try {
        res = await fetch(`${server.url}/v1/stream/${name}`, { method: "POST", body: id, headers: { "content-type": "text/plain" } });
      } catch {
        return; // the server has closed its socket: this one was never answered
      }
      if (res.status === 204) acked.get(name)!.add(id);
      else {
        refusals.set(res.status, (refusals.get(res.status) ?? 0) + 1);
        await res.body?.cancel();
        if (stopping) return;
      }
    }
  };
  const writers = STREAMS.flatMap((name, s) => Array.from({ length: WRITERS_PER_STREAM }, (_, i) => writer(name, s * WRITERS_PER_STREAM + i)));
  const polls = Array.from({ length: 20 }, () =>
    fetch(`${server.url}/v1/stream/${STREAMS[0]}?offset=now&live=long-poll&timeout=30s`).then(
      async (res) => {
        await res.arrayBuffer();
        return res.status;
      },
      () => "network error" as const,
    ),
  );
  await Bun.sleep(700);
  stopping = true;
  const exitCode = await server.stop("SIGTERM");
  await Promise.all(writers);

  expect(exitCode).toBe(0);
  expect(server.output()).toContain("shutdown complete");
  // Long-polls were answered (new data, or none), not cut off.
  for (const status of await Promise.all(polls)) expect([200, 204] as Array<number | string>).toContain(status);
  // The only refusal a writer may see is "shutting down".
  for (const status of refusals.keys()) expect(status).toBe(503);
  const total = [...acked.values()].reduce((n, set) => n + set.size, 0);
  expect(total).toBeGreaterThan(100);

  const restarted = await start();
  for (const name of STREAMS) {
    const text = new TextDecoder().decode((await readAllBytes(restarted.url, name)).data);
    const stored = text.split(";").filter(Boolean).map((id) => `${id};`);
    expect(new Set(stored).size).toBe(stored.length);
    const present = new Set(stored);
    for (const id of acked.get(name)!) expect(present.has(id)).toBe(true);
  }
  await restarted.stop("SIGTERM");
});
