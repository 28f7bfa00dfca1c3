// The profile registry: the one place built-in profiles are wired in. Core code looks a
// profile up here and dispatches through its capabilities (profile.ts), never by kind.
// Adding a profile: one module next to this one and one line in PROFILES (docs/profiles.md).
import { evlogProfile } from "./evlog.ts";
import { genericProfile } from "./generic.ts";
import { metricsProfile } from "./metrics.ts";
import type { ProfileDefinition } from "./profile.ts";
import { stateProtocolProfile } from "./state-protocol.ts";

export const PROFILES: readonly ProfileDefinition[] = [
  evlogProfile,
  genericProfile,
  metricsProfile,
  stateProtocolProfile,
];

/** What a stream without a declared profile is. */
export const DEFAULT_PROFILE: ProfileDefinition = genericProfile;

const byKind = new Map(PROFILES.map((p) => [p.kind, p]));

export function getProfile(kind: string): ProfileDefinition | null {
  return byKind.get(kind) ?? null;
}

/** Registered kinds in name order, as error messages list them. */
export function profileKinds(): string[] {
  return [...byKind.keys()].sort();
}
