// The local mode's public API for tools that embed a trusted development server.
export { startLocalServer, type LocalServer, type LocalServerExports, type LocalServerOptions } from "./server.ts";
export { startLocalServer as startLocalDurableStreamsServer } from "./server.ts";
export { localStatus, localStatusAll, resetLocal, stopLocal, type LocalStatus, type StopResult } from "./manage.ts";
export { localDataRoot } from "./paths.ts";
