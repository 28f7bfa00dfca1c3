// Goal: POST /_profile bodies are checked in the order and with the messages of spec 03
// §2.2, and stored profiles read back (or are reported as invalid).
import { expect, test } from "bun:test";
import { parseProfileUpdate, readStoredProfile } from "../../../src/profiles/profile-resource.ts";

const refusal = (body: unknown) => {
  const parsed = parseProfileUpdate(typeof body === "string" ? body : JSON.stringify(body));
  return parsed.ok ? "accepted" : parsed.message;
};

test("envelope checks come first, in the spec's order", () => {
  expect(refusal("{")).toBe("profile update must be valid JSON");
  expect(refusal("[1]")).toBe("profile update must be a JSON object");
  expect(refusal({ profile: { kind: "generic" }, schema: {} })).toBe("profileUpdate.schema is not supported");
  expect(refusal({ apiVersion: "durable.streams/profile/v2", profile: { kind: "generic" } })).toBe("invalid profile apiVersion");
  expect(refusal({ apiVersion: "durable.streams/profile/v1" })).toBe("missing profile");
  expect(refusal({ profile: "evlog" })).toBe("profile must be an object");
  expect(refusal({ profile: { kind: "  " } })).toBe("profile.kind must be a non-empty string");
  expect(refusal({ profile: {} })).toBe("profile.kind must be a non-empty string");
});

test("unknown kinds are refused with the list of registered kinds; `queue` is not one", () => {
  for (const kind of ["queue", "Generic", "otel-traces"]) {
    expect(refusal({ profile: { kind } })).toBe("profile.kind must be evlog|generic|metrics|state-protocol");
  }
});

test("the kind is trimmed; apiVersion may be omitted", () => {
  const parsed = parseProfileUpdate(JSON.stringify({ profile: { kind: " metrics " } }));
  expect(parsed.ok && parsed.profile.document).toEqual({ kind: "metrics" });
});

test("a stored profile that no longer parses reads as invalid", () => {
  expect(readStoredProfile("evlog", '{"kind":"evlog","redactKeys":"x"}')).toBeNull();
  expect(readStoredProfile("evlog", "{not json")).toBeNull();
  expect(readStoredProfile("queue", null)).toBeNull();
  expect(readStoredProfile("evlog", null)?.document).toEqual({ kind: "evlog" });
});
