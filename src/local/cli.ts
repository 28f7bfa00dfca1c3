// The local server CLI (spec 05 §6.4): `bun run src/local/cli.ts <start|status|stop|reset>
// [--name N] [--hostname H] [--port P]`. Every answer is pretty-printed JSON on stdout; an
// error is `{"error": …}` on stderr with exit status 1.
import { parseLocalProcessOptions } from "./args.ts";
import { localStatus, localStatusAll, resetLocal, stopLocal } from "./manage.ts";
import { localDataRoot, normalizeLocalName } from "./paths.ts";

const print = (value: unknown): void => console.log(JSON.stringify(value, null, 2));

async function run(argv: readonly string[]): Promise<void> {
  const options = parseLocalProcessOptions(argv);
  const command = options.positional ?? "status";
  const root = localDataRoot(process.env);
  switch (command) {
    case "start": {
      // Loaded only here: the server's modules are most of a status call's start-up time.
      const { runLocalServer } = await import("./foreground.ts");
      return runLocalServer({ name: options.name, hostname: options.hostname, port: options.port }, print);
    }
    case "status":
      return print(options.name === undefined ? await localStatusAll(root) : await localStatus(root, normalizeLocalName(options.name)));
    case "stop":
      return print(await stopLocal(root, normalizeLocalName(options.name)));
    case "reset":
      return print(await resetLocal(root, normalizeLocalName(options.name)));
    default:
      throw new Error(`unknown command ${JSON.stringify(command)} (expected start, status, stop or reset)`);
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  console.error(JSON.stringify({ error: (error as Error).message }, null, 2));
  process.exit(1);
}
