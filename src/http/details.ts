// GET /v1/stream/{name}/_details and /_index_status (spec 04 §6–8): what the management UI
// long-polls. The documents come from the engine; this module maps them to HTTP.
import { DescriptorError, type Descriptor } from "../engine/stream-descriptor.ts";
import { serveDescriptor } from "./descriptor-poll.ts";
import type { HttpDeps } from "./env.ts";
import { DsError } from "./errors.ts";
import { splitUrl } from "./stream-path.ts";
import { lookupLive } from "./stream-read.ts";

function serve(kind: string, describe: (deps: HttpDeps, name: string) => Descriptor) {
  return (req: Request, name: string, deps: HttpDeps): Promise<Response> => {
    const build = () => {
      try {
        return describe(deps, name);
      } catch (error) {
        if (error instanceof DescriptorError) throw new DsError(500, "internal", error.message);
        throw error;
      }
    };
    return serveDescriptor(req, new URLSearchParams(splitUrl(req.url).query), {
      kind,
      build,
      wait: (timeoutMs, signal) => deps.engine.descriptors.wait(lookupLive(name, deps).id, timeoutMs, signal),
      defaultTimeoutMs: DEFAULT_TIMEOUT_MS,
      maxTimeoutMs: deps.config.live.longPollMaxMs,
    });
  };
}

/** Spec 04 §8: 3 s unless the request says otherwise. */
const DEFAULT_TIMEOUT_MS = 3000;

export const handleDetails = serve("details", (deps, name) => deps.engine.details(lookupLive(name, deps)));
export const handleIndexStatus = serve("index_status", (deps, name) => deps.engine.indexStatus(lookupLive(name, deps)));
