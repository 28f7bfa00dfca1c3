// Goal: `generic` is the default profile: no configuration, no hooks, no registry.
import { expect, test } from "bun:test";
import { genericProfile } from "../../../src/profiles/generic.ts";
import { DEFAULT_PROFILE } from "../../../src/profiles/index.ts";
import { parseProfileUpdate, readStoredProfile } from "../../../src/profiles/profile-resource.ts";
import { runProfileContract } from "../../support/profile-contract.ts";

runProfileContract({ profile: genericProfile, documents: [] });

test("a stream that never declared a profile reads as generic", () => {
  expect(DEFAULT_PROFILE).toBe(genericProfile);
  expect(readStoredProfile(null, null)?.document).toEqual({ kind: "generic" });
});

test("generic takes no configuration and has no hooks", () => {
  expect(parseProfileUpdate(JSON.stringify({ profile: { kind: "generic", touch: {} } }))).toEqual({ ok: false, message: "profile.touch is not supported" });
  expect(genericProfile.prepareRecord).toBeUndefined();
  expect(genericProfile.defaultSchema).toBeUndefined();
  expect(genericProfile.install({ streamName: "s", contentType: "text/plain", nextOffset: 9, currentKind: "evlog" }, { kind: "generic" })).toBeNull();
});
