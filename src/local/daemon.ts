// The local server as a child process for tools that fork it (spec 05 §6.5): `daemon.ts
// [name] [--name N] [--hostname H] [--port P]`. When ready it sends `{type: "ready",
// exports}` over IPC, or prints the exports as JSON when it was not forked; it stops on
// SIGINT, SIGTERM or its parent disconnecting.
import { parseLocalProcessOptions } from "./args.ts";
import { runLocalServer } from "./foreground.ts";

try {
  const options = parseLocalProcessOptions(process.argv.slice(2));
  await runLocalServer({ name: options.name ?? options.positional, hostname: options.hostname, port: options.port }, (exports) => {
    if (process.send) process.send({ type: "ready", exports });
    else console.log(JSON.stringify(exports, null, 2));
  });
} catch (error) {
  console.error(JSON.stringify({ error: (error as Error).message }, null, 2));
  process.exit(1);
}
