// The contract every profile module keeps, run by each profile's own test file before
// its own cases: it is registered under its kind, its document parser refuses unknown
// keys and is idempotent (a stored document parses back to itself), a canonical registry
// it installs is valid by the registry's own rules, and its ingest hook turns realistic
// records into values that registry accepts, with the routing key the registry extracts.
import { describe, expect, test } from "bun:test";
import { getProfile } from "../../src/profiles/index.ts";
import type { ProfileDefinition } from "../../src/profiles/profile.ts";
import { parseProfileUpdate, readStoredProfile, storedProfileJson } from "../../src/profiles/profile-resource.ts";
import { compileSchema } from "../../src/schema/json-schema.ts";
import { extractRoutingKey } from "../../src/schema/routing-key.ts";
import { parseSearchConfig } from "../../src/schema/search-config.ts";

export interface ProfileContractCase {
  profile: ProfileDefinition;
  /** Profile documents (`profile` objects of a POST) the profile accepts. */
  documents: Array<Record<string, unknown>>;
  /** Records its ingest hook must accept, if it has one. */
  records?: unknown[];
}

export function runProfileContract({ profile, documents, records = [] }: ProfileContractCase): void {
  describe(`${profile.kind} profile contract`, () => {
    test("is registered under its kind", () => {
      expect(getProfile(profile.kind)).toBe(profile);
    });

    test("documents parse, are stored, and read back unchanged", () => {
      for (const document of [{ kind: profile.kind }, ...documents]) {
        const update = parseProfileUpdate(JSON.stringify({ profile: document }));
        if (!update.ok) throw new Error(update.message);
        const stored = readStoredProfile(profile.kind, storedProfileJson(update.profile.document));
        expect(stored?.document).toEqual(update.profile.document);
      }
    });

    test("unknown document keys are refused by name", () => {
      expect(parseProfileUpdate(JSON.stringify({ profile: { kind: profile.kind, extra: 1 } }))).toEqual({ ok: false, message: "profile.extra is not supported" });
    });

    const registry = profile.defaultSchema?.("contract-stream");
    if (registry) {
      test("its canonical registry is valid: schema compiles, search block and routing key pass their own checks", () => {
        expect(registry.currentVersion).toBe(1);
        expect(registry.schema).toBe("contract-stream");
        expect(compileSchema(registry.schemas["1"]).ok).toBe(true);
        if (registry.search) expect(parseSearchConfig(registry.search)).toEqual({ ok: true, value: registry.search });
      });
    }

    if (profile.prepareRecord && records.length > 0) {
      test("its ingest hook accepts realistic records, and the output fits its registry", () => {
        const compiled = registry ? compileSchema(registry.schemas["1"]) : null;
        for (const record of records) {
          const prepared = profile.prepareRecord!({ kind: profile.kind }, structuredClone(record), Date.parse("2025-01-01T00:00:00Z"));
          if (!prepared.ok) throw new Error(prepared.message);
          expect(JSON.parse(JSON.stringify(prepared.value))).toEqual(prepared.value);
          if (compiled?.ok) expect(compiled.validate(prepared.value)).toBe(true);
          if (registry?.routingKey) {
            expect(extractRoutingKey(registry.routingKey, prepared.value)).toEqual({ ok: true, value: prepared.routingKey });
          }
        }
      });
    }
  });
}
