// /v1/stream/{name}[/sub-resource]: resolves the name, then dispatches by method.
import type { Context } from "hono";
import type { HttpDeps } from "./env.ts";
import { DsError, notFound } from "./errors.ts";
import { ALLOW_METHODS } from "./middleware/base-headers.ts";
import { handleDetails, handleIndexStatus } from "./details.ts";
import { handleProfile } from "./profile.ts";
import { handleSchema } from "./schema.ts";
import { handleGet, handleHead } from "./stream-read.ts";
import { parseStreamPath, splitUrl, STREAM_PREFIX } from "./stream-path.ts";
import { handleDelete, handlePost, handlePut } from "./stream-write.ts";

type SubResourceHandler = (req: Request, name: string, deps: HttpDeps) => Promise<Response>;

/** Sub-resources served so far; the others named in stream-path.ts answer 404. */
const SUB_RESOURCES: Record<string, SubResourceHandler> = {
  _profile: handleProfile,
  _schema: handleSchema,
  _details: handleDetails,
  _index_status: handleIndexStatus,
};

export function streamHandler(deps: HttpDeps) {
  return async (c: Context): Promise<Response> => {
    const req = c.req.raw;
    const { path, query } = splitUrl(req.url);
    const target = parseStreamPath(path.slice(STREAM_PREFIX.length), deps.config.http.streamNameMaxBytes);
    if (target.sub.kind === "named") {
      const handler = SUB_RESOURCES[target.sub.name];
      if (!handler) throw notFound(`unknown stream sub-resource ${target.sub.name}`);
      return handler(req, target.name, deps);
    }
    const pathKey = target.sub.kind === "pk" ? target.sub.key : null;
    if (pathKey !== null && req.method !== "GET" && req.method !== "HEAD") {
      throw new DsError(405, "method_not_allowed", "keyed paths are read-only", { allow: "GET, HEAD" });
    }
    switch (req.method) {
      case "GET":
        return handleGet(req, new URLSearchParams(query), target.name, pathKey, deps);
      case "HEAD":
        return handleHead(target.name, deps);
      case "PUT":
        return handlePut(req, target.name, deps);
      case "POST":
        return handlePost(req, target.name, deps);
      case "DELETE":
        return handleDelete(target.name, deps);
      default:
        throw new DsError(405, "method_not_allowed", `method ${req.method} not allowed`, { allow: ALLOW_METHODS });
    }
  };
}
