// Goal: evlog turns what applications log into the canonical wide-event envelope (spec 03
// §3.2): reserved fields derived, everything else moved into `context`, sensitive keys
// redacted before storing, routing key = request id, else trace id.
import { describe, expect, test } from "bun:test";
import { evlogProfile } from "../../../src/profiles/evlog.ts";
import { parseProfileUpdate } from "../../../src/profiles/profile-resource.ts";
import { runProfileContract } from "../../support/profile-contract.ts";

const NOW = Date.parse("2025-03-04T05:06:07.000Z");

const checkoutFailure = {
  timestamp: "2025-03-04T05:06:06.250Z",
  service: "checkout",
  environment: "prod",
  method: "POST",
  path: "/api/orders",
  status: "502",
  duration: 812.5,
  requestId: "req_8f2c",
  message: "payment provider timed out",
  why: "upstream gateway did not answer within 800ms",
  user: { id: "u_42", email: "ada@example.com", credentials: { token: "tok_live_123", scopes: ["orders"] } },
  headers: { authorization: "Bearer abc", "x-forwarded-for": "10.0.0.7" },
  cart: { items: [{ sku: "A1", secret: "s1" }, { sku: "B2" }] },
  sessionToken: "sess_9",
};

const traceOnly = {
  level: "INFO",
  message: "cache warmed",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  context: { region: "eu-west-1", password: "hunter2" },
};

runProfileContract({
  profile: evlogProfile,
  documents: [
    { kind: "evlog", redactKeys: ["sessionToken", "ssn"] },
    { kind: "evlog", correlation: { requestIdFields: ["ctx.rid"], parseTraceparent: false }, observability: { request: { tracesStream: "app-traces" } } },
  ],
  records: [checkoutFailure, traceOnly, {}],
});

function prepare(record: unknown, profile: Record<string, unknown> = {}) {
  const update = parseProfileUpdate(JSON.stringify({ profile: { kind: "evlog", ...profile } }));
  if (!update.ok) throw new Error(update.message);
  const prepared = evlogProfile.prepareRecord!(update.profile.document as never, structuredClone(record), NOW);
  if (!prepared.ok) throw new Error(prepared.message);
  return { envelope: prepared.value as Record<string, unknown>, key: prepared.routingKey };
}

describe("normalization", () => {
  test("a failing request: reserved fields derived, the rest in context, secrets redacted", () => {
    const { envelope, key } = prepare(checkoutFailure, { redactKeys: ["sessionToken"] });
    expect(envelope).toEqual({
      timestamp: "2025-03-04T05:06:06.250Z",
      level: "error",
      service: "checkout",
      environment: "prod",
      version: null,
      region: null,
      requestId: "req_8f2c",
      traceId: null,
      spanId: null,
      method: "POST",
      path: "/api/orders",
      status: 502,
      duration: 812.5,
      message: "payment provider timed out",
      why: "upstream gateway did not answer within 800ms",
      fix: null,
      link: null,
      sampling: null,
      redaction: { keys: ["user.credentials.token", "headers.authorization", "cart.items.0.secret", "sessionToken"] },
      context: {
        user: { id: "u_42", email: "ada@example.com", credentials: { token: "[REDACTED]", scopes: ["orders"] } },
        headers: { authorization: "[REDACTED]", "x-forwarded-for": "10.0.0.7" },
        cart: { items: [{ sku: "A1", secret: "[REDACTED]" }, { sku: "B2" }] },
        sessionToken: "[REDACTED]",
      },
    });
    expect(key).toBe("req_8f2c");
  });

  test("without a request id the trace id from traceparent is the routing key; nested context is merged and redacted", () => {
    const { envelope, key } = prepare(traceOnly);
    expect(envelope).toMatchObject({ level: "info", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", requestId: null });
    expect(envelope.context).toEqual({ region: "eu-west-1", password: "[REDACTED]", traceparent: traceOnly.traceparent });
    expect(envelope.redaction).toEqual({ keys: ["password"] });
    expect(key).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  test("the spec's example: password and a configured sessionToken, in traversal order", () => {
    const { envelope } = prepare({ password: "p", sessionToken: "s", keep: 1 }, { redactKeys: ["sessionToken"] });
    expect(envelope.redaction).toEqual({ keys: ["password", "sessionToken"] });
    expect(envelope.context).toEqual({ password: "[REDACTED]", sessionToken: "[REDACTED]", keep: 1 });
  });

  test("levels: given, else error for why/fix/link, else by status", () => {
    expect(prepare({ level: "Warn" }).envelope.level).toBe("warn");
    expect(prepare({ level: "fatal", fix: "restart" }).envelope.level).toBe("error");
    expect(prepare({ status: 404 }).envelope.level).toBe("warn");
    expect(prepare({ status: 200 }).envelope.level).toBe("info");
  });

  test("timestamps default to now; blank strings become null; a scalar context is kept as context.context", () => {
    const { envelope } = prepare({ service: "  ", context: "raw", status: "n/a" });
    expect(envelope).toMatchObject({ timestamp: "2025-03-04T05:06:07.000Z", service: null, status: null, context: { context: "raw" } });
  });

  test("configured correlation fields; all-zero trace ids count as absent; traceparent parsing can be turned off", () => {
    expect(prepare({ ctx: { rid: "r-9" }, requestId: "ignored" }, { correlation: { requestIdFields: ["ctx.rid"] } }).key).toBe("r-9");
    expect(prepare({ span: { traceId: "t-1" } }, { correlation: { traceContextFields: ["span.traceId"] } }).envelope.traceId).toBe("t-1");
    expect(prepare({ traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" }).envelope.traceId).toBeNull();
    expect(prepare({ headers: { traceparent: traceOnly.traceparent } }, { correlation: { parseTraceparent: false } }).key).toBeNull();
  });

  test("a record that is not an object is refused", () => {
    expect(evlogProfile.prepareRecord!({ kind: "evlog" }, [1], NOW)).toEqual({ ok: false, message: "evlog record must be an object" });
  });
});

describe("document", () => {
  const refusal = (profile: Record<string, unknown>) => {
    const parsed = parseProfileUpdate(JSON.stringify({ profile: { kind: "evlog", ...profile } }));
    return parsed.ok ? (parsed.profile.document as unknown) : parsed.message;
  };

  test("redact keys are trimmed, lower-cased and deduplicated; bad lists are refused by name", () => {
    expect(refusal({ redactKeys: [" SessionToken ", "sessiontoken"] })).toEqual({ kind: "evlog", redactKeys: ["sessiontoken"] });
    expect(refusal({ redactKeys: "token" })).toBe("profile.redactKeys must be an array of strings");
    expect(refusal({ redactKeys: [""] })).toBe("profile.redactKeys must not contain empty strings");
    expect(refusal({ redactKeys: Array.from({ length: 65 }, (_, i) => `k${i}`) })).toBe("profile.redactKeys too large (max 64)");
  });

  test("correlation and observability: strict keys, empty parts dropped", () => {
    expect(refusal({ correlation: { parseTraceparent: "yes" } })).toBe("profile.correlation.parseTraceparent must be boolean");
    expect(refusal({ correlation: { requestIdFields: [1] } })).toBe("profile.correlation.requestIdFields must be an array of strings");
    expect(refusal({ correlation: { spanFields: [] } })).toBe("profile.correlation.spanFields is not supported");
    expect(refusal({ correlation: {}, observability: {} })).toEqual({ kind: "evlog" });
    expect(refusal({ observability: { request: { tracesStream: " " } } })).toBe("profile.observability.request.tracesStream must not be empty");
    expect(refusal({ observability: { request: { tracesStream: 5 } } })).toBe("profile.observability.request.tracesStream must be a string");
  });
});

describe("install preconditions", () => {
  const ctx = (over: Partial<Parameters<typeof evlogProfile.install>[0]>) => ({ streamName: "logs", contentType: "application/json", nextOffset: 0, currentKind: "generic", ...over });

  test("needs a JSON stream", () => {
    expect(evlogProfile.install(ctx({ contentType: "text/plain" }), { kind: "evlog" })).toBe("evlog profile requires application/json stream content-type");
  });

  test("needs an empty stream, unless it is already evlog", () => {
    expect(evlogProfile.install(ctx({ nextOffset: 3 }), { kind: "evlog" })).toBe("evlog profile must be installed before appending data");
    expect(evlogProfile.install(ctx({ nextOffset: 3, currentKind: "evlog" }), { kind: "evlog" })).toBeNull();
  });
});
