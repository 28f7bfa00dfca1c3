// GET and POST /v1/stream/{name}/_schema (spec 03 §5): the stream's schema registry, and
// updates to it (routing key, search block, a first schema, the next version and its lens).
import { registryDocument } from "../schema/registry.ts";
import { parseSchemaUpdate } from "../schema/schema-update.ts";
import { readBody } from "./body.ts";
import type { HttpDeps } from "./env.ts";
import { badRequest, DsError, missingStream } from "./errors.ts";
import { bodyText, jsonResponse } from "./json-body.ts";
import { lookupLive } from "./stream-read.ts";
import { awaitWrite } from "./write-wait.ts";

const corrupt = () => new DsError(500, "internal", "invalid schema registry");

export async function handleSchema(req: Request, name: string, deps: HttpDeps): Promise<Response> {
  const row = lookupLive(name, deps);
  if (req.method === "GET") {
    const registry = deps.engine.meta(row).registry;
    if (!registry) throw corrupt();
    return jsonResponse(registryDocument(registry));
  }
  if (req.method !== "POST") throw badRequest("unsupported method");
  const update = parseSchemaUpdate(bodyText(await readBody(req, deps.config.ingest.maxBodyBytes)));
  if (!update.ok) throw new DsError(update.status, update.status === 409 ? "conflict" : "bad_request", update.message);
  const outcome = await awaitWrite(deps.engine.updateSchema(name, update.value));
  switch (outcome.kind) {
    case "ok":
      return jsonResponse(registryDocument(outcome.registry));
    case "refused":
      throw new DsError(outcome.status, outcome.status === 409 ? "conflict" : "bad_request", outcome.message);
    case "corrupt":
      throw corrupt();
    case "not_found":
      throw missingStream("absent");
    case "soft_deleted":
      throw missingStream("soft_deleted");
  }
}
