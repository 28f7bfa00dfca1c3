// The `durable.streams/profile/v1` resource (spec 03 §2): parsing a POST body in the order
// the spec checks it, and reading a stored profile back. Pure apart from the registry.
import { firstIssueMessage, isPlainObject } from "../util/doc-issues.ts";
import { DEFAULT_PROFILE, getProfile, profileKinds } from "./index.ts";
import type { ProfileDefinition, ProfileDocument } from "./profile.ts";

export const PROFILE_API_VERSION = "durable.streams/profile/v1";

const ENVELOPE_KEYS = new Set(["apiVersion", "profile"]);

/** A stream's profile: its definition and its (normalised) document. */
export interface ResolvedProfile {
  definition: ProfileDefinition;
  document: ProfileDocument;
}

export type ProfileUpdate = { ok: true; profile: ResolvedProfile } | { ok: false; message: string };

export function parseProfileUpdate(body: string): ProfileUpdate {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, message: "profile update must be valid JSON" };
  }
  if (!isPlainObject(value)) return { ok: false, message: "profile update must be a JSON object" };
  for (const key of Object.keys(value)) if (!ENVELOPE_KEYS.has(key)) return { ok: false, message: `profileUpdate.${key} is not supported` };
  if (value.apiVersion !== undefined && value.apiVersion !== PROFILE_API_VERSION) return { ok: false, message: "invalid profile apiVersion" };
  if (!Object.hasOwn(value, "profile")) return { ok: false, message: "missing profile" };
  const profile = value.profile;
  if (!isPlainObject(profile)) return { ok: false, message: "profile must be an object" };
  const kind = typeof profile.kind === "string" ? profile.kind.trim() : "";
  if (kind === "") return { ok: false, message: "profile.kind must be a non-empty string" };
  const definition = getProfile(kind);
  if (!definition) return { ok: false, message: `profile.kind must be ${profileKinds().join("|")}` };
  const parsed = definition.document.safeParse({ ...profile, kind });
  if (!parsed.success) return { ok: false, message: firstIssueMessage("profile", parsed.error) };
  return { ok: true, profile: { definition, document: parsed.data } };
}

/**
 * The profile stored for a stream: `kind` from the stream row (null = never declared) and
 * the stored document, if any. Null when what is stored is not a valid profile.
 */
export function readStoredProfile(kind: string | null, json: string | null): ResolvedProfile | null {
  const definition = kind === null ? DEFAULT_PROFILE : getProfile(kind);
  if (!definition) return null;
  let stored: unknown = { kind: definition.kind };
  if (json !== null) {
    try {
      stored = JSON.parse(json);
    } catch {
      return null;
    }
  }
  const parsed = definition.document.safeParse(stored);
  return parsed.success ? { definition, document: parsed.data } : null;
}

/** What is kept in `stream_profiles`: the document, unless it says nothing beyond its kind. */
export function storedProfileJson(document: ProfileDocument): string | null {
  return Object.keys(document).length > 1 ? JSON.stringify(document) : null;
}
