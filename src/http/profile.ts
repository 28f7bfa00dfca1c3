// GET and POST /v1/stream/{name}/_profile (spec 03 §2): the stream's profile as a
// `durable.streams/profile/v1` resource, and installing another one.
import { PROFILE_API_VERSION, parseProfileUpdate } from "../profiles/profile-resource.ts";
import type { ProfileDocument } from "../profiles/profile.ts";
import { readBody } from "./body.ts";
import type { HttpDeps } from "./env.ts";
import { badRequest, DsError, missingStream } from "./errors.ts";
import { bodyText, jsonResponse } from "./json-body.ts";
import { lookupLive } from "./stream-read.ts";
import { awaitWrite } from "./write-wait.ts";

const resource = (document: ProfileDocument) => ({ apiVersion: PROFILE_API_VERSION, profile: document });

export async function handleProfile(req: Request, name: string, deps: HttpDeps): Promise<Response> {
  const row = lookupLive(name, deps);
  if (req.method === "GET") {
    const profile = deps.engine.meta(row).profile;
    if (!profile) throw new DsError(500, "internal", "invalid stream profile");
    return jsonResponse(resource(profile.document));
  }
  if (req.method !== "POST") throw badRequest("unsupported method");
  const update = parseProfileUpdate(bodyText(await readBody(req, deps.config.ingest.maxBodyBytes)));
  if (!update.ok) throw badRequest(update.message);
  const outcome = await awaitWrite(deps.engine.setProfile(name, update.profile.document));
  switch (outcome.kind) {
    case "ok":
      return jsonResponse(resource(outcome.document));
    case "refused":
      throw badRequest(outcome.message);
    case "not_found":
      throw missingStream("absent");
    case "soft_deleted":
      throw missingStream("soft_deleted");
  }
}
