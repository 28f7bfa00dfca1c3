// Prisma Compute entry: the full server with the Compute flags added (compute/argv.ts). It
// runs on import, so a deployer's entry can push its auth flag onto process.argv and then
// import this module, or run it directly: `bun run src/compute/entry.ts --auth-strategy api-key`.
import { main } from "../server.ts";
import { ensureComputeArgv } from "./argv.ts";

await main(ensureComputeArgv(process.argv.slice(2), process.env), process.env);
