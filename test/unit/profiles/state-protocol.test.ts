// Goal: state-protocol stores its touch configuration fully expanded (or as disabled) and
// checks every appended record as a State Protocol change or control record (spec 03 §3.5).
import { describe, expect, test } from "bun:test";
import { parseProfileUpdate } from "../../../src/profiles/profile-resource.ts";
import { stateProtocolProfile } from "../../../src/profiles/state-protocol.ts";
import { runProfileContract } from "../../support/profile-contract.ts";

const insert = { type: "todo", key: "t1", value: { title: "write tests", done: false }, headers: { operation: "insert", txid: "tx-1", timestamp: "2025-03-04T05:06:07.123+01:00" } };
const update = { type: "todo", key: "t1", value: { done: true }, old_value: { done: false }, headers: { operation: "update" } };
const remove = { type: "todo", key: "t1", headers: { operation: "delete" } };
const snapshot = { headers: { control: "snapshot-start", offset: "-1" } };

runProfileContract({
  profile: stateProtocolProfile,
  documents: [{ kind: "state-protocol", touch: { enabled: true, onMissingBefore: "skipBefore", memory: { k: "6" } } }, { kind: "state-protocol", touch: { enabled: false } }],
  records: [insert, update, remove, snapshot],
});

const documentOf = (touch: unknown) => {
  const parsed = parseProfileUpdate(JSON.stringify({ profile: { kind: "state-protocol", touch } }));
  return parsed.ok ? (parsed.profile.document as unknown) : parsed.message;
};

describe("touch configuration", () => {
  test("disabled touch is stored as {enabled:false}, whatever else was sent", () => {
    expect(documentOf({ enabled: 0, coarseIntervalMs: "junk", memory: { bogus: 1 } })).toEqual({ kind: "state-protocol", touch: { enabled: false } });
  });

  test("enabled touch is stored fully expanded; numeric strings are numbers", () => {
    const doc = documentOf({ enabled: true, coarseIntervalMs: "250", memory: { k: 6 } }) as { touch: Record<string, unknown> };
    expect(doc.touch).toMatchObject({ enabled: true, coarseIntervalMs: 250, touchCoalesceWindowMs: 100, onMissingBefore: "coarse", fineTokensPerSecond: 200_000 });
    expect(doc.touch.memory).toMatchObject({ k: 6, filterPow2: 22, hotMaxTemplates: 4096 });
    expect(doc.touch.templates).toMatchObject({ defaultInactivityTtlMs: 3_600_000, activationRateLimitPerMinute: 100 });
  });

  test("bad values and unknown keys are refused by path", () => {
    expect(documentOf({ enabled: true, memory: { k: 9 } })).toBe("profile.touch.memory.k must be an integer in [1,8]");
    expect(documentOf({ enabled: true, onMissingBefore: "later" })).toBe("profile.touch.onMissingBefore must be coarse|skipBefore|error");
    expect(documentOf({ enabled: true, memory: [] })).toBe("profile.touch.memory must be an object");
    expect(documentOf({ enabled: true, coarseIntervalMs: 0 })).toBe("profile.touch.coarseIntervalMs must be a number > 0");
    expect(documentOf({ enabled: true, templates: { gc: 1 } })).toBe("profile.touch.templates.gc is not supported");
    expect(documentOf({ storage: "memory" })).toBe("profile.touch.storage is not supported");
    expect(documentOf("on")).toBe("profile.touch must be an object");
  });
});

describe("append-time record checks", () => {
  const check = (record: unknown) => {
    const prepared = stateProtocolProfile.prepareRecord!({ kind: "state-protocol" }, record, 0);
    return prepared.ok ? "ok" : prepared.message;
  };

  test("change and control records pass unchanged, with no routing key", () => {
    const prepared = stateProtocolProfile.prepareRecord!({ kind: "state-protocol" }, insert, 0);
    expect(prepared).toEqual({ ok: true, value: insert, routingKey: null });
    expect(prepared.ok && prepared.value).toBe(insert);
  });

  test("each malformed record gets its own message", () => {
    expect(check([1])).toBe("state-protocol records must be JSON objects");
    expect(check({ type: "t", key: "k" })).toBe("state-protocol record.headers must be an object");
    expect(check({ headers: { control: "reset", operation: "insert" } })).toBe("state-protocol record.headers cannot mix control and operation");
    expect(check({ headers: {} })).toBe("state-protocol record.headers must contain operation or control");
    expect(check({ ...insert, extra: 1 })).toBe("state-protocol record.extra is not supported");
    expect(check({ ...insert, headers: { ...insert.headers, user: "x" } })).toBe("state-protocol record.headers.user is not supported");
    expect(check({ ...insert, type: " " })).toBe("state-protocol record.type must be a non-empty string");
    expect(check({ ...insert, headers: { operation: "upsert" } })).toBe("state-protocol record.headers.operation must be insert, update, or delete");
    expect(check({ type: "t", key: "k", headers: { operation: "insert" } })).toBe("state-protocol insert records must include value");
    expect(check({ ...insert, headers: { operation: "insert", txid: "" } })).toBe("state-protocol record.headers.txid must be a non-empty string");
    expect(check({ ...insert, headers: { operation: "insert", timestamp: "2025-03-04 05:06:07" } })).toBe("state-protocol record.headers.timestamp must be a valid RFC 3339 timestamp");
    expect(check({ headers: { control: "reset", offset: "12" } })).toBe("state-protocol record.headers.offset must be a valid stream offset string");
    expect(check({ headers: { control: "flush" } })).toBe("state-protocol record.headers.control must be snapshot-start, snapshot-end, or reset");
    expect(check({ headers: { control: "reset", offset: "0000000000000000000G000000" } })).toBe("ok");
  });
});

test("installing needs a JSON stream but not an empty one", () => {
  const ctx = { streamName: "s", contentType: "application/json", nextOffset: 10, currentKind: "generic" };
  expect(stateProtocolProfile.install(ctx, { kind: "state-protocol" })).toBeNull();
  expect(stateProtocolProfile.install({ ...ctx, contentType: "application/octet-stream" }, { kind: "state-protocol" })).toBe("state-protocol profile requires application/json stream content-type");
});
