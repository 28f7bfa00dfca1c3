// The one middleware around every request: refuses work during shutdown, answers CORS
// preflights, bounds how long a request may take, adds the headers every response carries,
// and writes one debug log line per request (never per record). One middleware rather than
// several: it runs on every append.
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { DsError, errorResponse } from "../errors.ts";
import { applyBaseHeaders, preflightResponse } from "./base-headers.ts";

/**
 * Non-live requests unresolved after `requestTimeoutMs` answer 408 `request_timeout`
 * (an append's own queue deadline answers earlier, with "never written"). Live reads
 * (`live=` long-poll, SSE) are bounded by their own timeouts instead.
 */
async function settleWithin(work: Promise<void>, ms: number): Promise<"done" | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([work.then(() => "done" as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function envelope(log: Logger, isClosing: () => boolean, requestTimeoutMs: number): MiddlewareHandler {
  return async (c, next) => {
    const fromBrowser = c.req.raw.headers.has("origin");
    const started = log.isLevelEnabled("debug") ? performance.now() : -1;
    if (isClosing()) {
      c.res = errorResponse(new DsError(503, "unavailable", "server shutting down", { "retry-after": "5" }));
    } else if (c.req.method === "OPTIONS") {
      c.res = preflightResponse();
    } else if (requestTimeoutMs > 0 && !c.req.url.includes("live=")) {
      if ((await settleWithin(next(), requestTimeoutMs)) === "timeout") {
        c.res = errorResponse(new DsError(408, "request_timeout", "request not resolved in time"));
      }
    } else {
      await next();
    }
    applyBaseHeaders(c.res.headers, fromBrowser);
    if (started >= 0) {
      const ms = Math.round((performance.now() - started) * 100) / 100;
      log.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, "request");
    }
  };
}
