// Running a local server until the process is told to stop (SIGINT, SIGTERM, or for a
// forked daemon its parent going away), then closing it and exiting 0 (spec 05 §9).
import { startLocalServer, type LocalServerExports, type LocalServerOptions } from "./server.ts";

export async function runLocalServer(options: LocalServerOptions, onReady: (exports: LocalServerExports) => void): Promise<void> {
  const server = await startLocalServer(options);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await server.close();
    } catch (error) {
      console.error(JSON.stringify({ error: `close failed: ${(error as Error).message}` }, null, 2));
      process.exit(1);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  // A forked daemon has an IPC channel; when the parent goes away, so does the server.
  if (process.send) process.on("disconnect", () => void stop());
  onReady(server.exports);
}
