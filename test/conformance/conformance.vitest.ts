// The external Durable Streams conformance suite (0.3.6) against a freshly spawned server.
// Subscriptions (the opt-in reserved API) stay off; see docs/decisions.md.
import { runConformanceTests } from "@durable-streams/server-conformance-tests";
import { afterAll, beforeAll } from "vitest";
import { removeDir, startServerProcess, type ServerProcess } from "../support/server-process.ts";

const options = { baseUrl: process.env.CONFORMANCE_TEST_URL ?? "" };
let server: ServerProcess | null = null;

beforeAll(async () => {
  if (options.baseUrl) return;
  server = await startServerProcess({ env: { DS_LONG_POLL_TIMEOUT_MS: "1000" } });
  options.baseUrl = server.url;
});

afterAll(async () => {
  if (!server) return;
  await server.stop("SIGTERM");
  removeDir(server.root);
});

runConformanceTests(options);
