// `evlog` (spec 03 §3.2): request-centric wide events. JSON appends become the canonical
// envelope (evlog/envelope.ts) with sensitive context keys redacted before anything is
// stored; the routing key is the request id, else the trace id. Installing it replaces
// the stream's registry with the canonical one (evlog/registry.ts).
import { z } from "zod";
import { closedObject, isPlainObject } from "../util/doc-issues.ts";
import { booleanField, kindField, stringList } from "./doc-fields.ts";
import { toEnvelope } from "./evlog/envelope.ts";
import { DEFAULT_REDACT_KEYS } from "./evlog/redact.ts";
import { evlogRegistry } from "./evlog/registry.ts";
import type { Correlation } from "./evlog/trace-ids.ts";
import { requireEmptyUnlessReinstall, requireJsonStream } from "./install-checks.ts";
import type { ProfileDefinition } from "./profile.ts";

const KIND = "evlog";
const LIST_MAX = 64;

interface EvlogDocument {
  kind: typeof KIND;
  redactKeys?: string[];
  correlation?: Correlation;
  observability?: { request: { tracesStream: string } };
}

const tracesStream = z.string({ error: "must be a string" }).trim().min(1, "must not be empty");

const document = closedObject({
  kind: kindField(KIND),
  redactKeys: stringList(LIST_MAX, true).optional(),
  correlation: closedObject({
    requestIdFields: stringList(LIST_MAX).optional(),
    traceContextFields: stringList(LIST_MAX).optional(),
    parseTraceparent: booleanField.optional(),
  }).optional(),
  observability: closedObject({ request: closedObject({ tracesStream: tracesStream.optional() }).optional() }).optional(),
}).transform((doc): EvlogDocument => {
  // Parts that say nothing are left out of the stored document.
  const out: EvlogDocument = { kind: KIND };
  if (doc.redactKeys) out.redactKeys = doc.redactKeys;
  const correlation = Object.fromEntries(Object.entries(doc.correlation ?? {}).filter(([, v]) => v !== undefined));
  if (Object.keys(correlation).length > 0) out.correlation = correlation as Correlation;
  const traces = doc.observability?.request?.tracesStream;
  if (traces !== undefined) out.observability = { request: { tracesStream: traces } };
  return out;
});

/** Key sets per document: the defaults plus the document's own, built once per document object. */
const redactKeySets = new WeakMap<EvlogDocument, ReadonlySet<string>>();

function redactKeysOf(doc: EvlogDocument): ReadonlySet<string> {
  let keys = redactKeySets.get(doc);
  if (!keys) {
    keys = new Set([...DEFAULT_REDACT_KEYS, ...(doc.redactKeys ?? [])]);
    redactKeySets.set(doc, keys);
  }
  return keys;
}

export const evlogProfile: ProfileDefinition<EvlogDocument> = {
  kind: KIND,
  document,
  install: (ctx) => requireJsonStream(KIND, ctx) ?? requireEmptyUnlessReinstall(KIND, ctx),
  defaultSchema: evlogRegistry,
  prepareRecord(doc, record, nowMs) {
    if (!isPlainObject(record)) return { ok: false, message: "evlog record must be an object" };
    const envelope = toEnvelope(record, doc.correlation, redactKeysOf(doc), nowMs);
    return { ok: true, value: envelope, routingKey: envelope.requestId ?? envelope.traceId };
  },
};
