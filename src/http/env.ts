// What every route handler receives: the engine, the configuration and the logger.
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Engine } from "../engine/engine.ts";

export interface HttpDeps {
  engine: Engine;
  config: Config;
  log: Logger;
  /** True once shutdown began: new requests answer 503. */
  isClosing(): boolean;
}
