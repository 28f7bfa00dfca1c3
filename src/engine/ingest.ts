// JSON appends on streams whose profile or schema looks at records (spec 03 §6.1): each
// record goes through the profile's ingest hook, then the current schema's validator, then
// gets its routing key (registry pointer, else the Stream-Key header, else the hook's
// suggestion). Streams without any of these never come here: their appends are stored as
// sent without being parsed. Records the hooks leave unchanged keep their bytes as sent.
import { isJsonType } from "./content-types.ts";
import { describeErrors } from "../schema/json-schema.ts";
import { extractRoutingKey } from "../schema/routing-key.ts";
import { joinJsonValues, splitJsonValues } from "./json-split.ts";
import type { RecordBatch } from "./records.ts";
import type { StreamMeta } from "./stream-meta.ts";

export interface IngestInput {
  contentType: string;
  /** The append as prepared by `prepareRecords` (JSON already checked). */
  records: RecordBatch;
  /** The `Stream-Key` header, if any. */
  headerKey: string | null;
  nowMs: number;
}

export type Ingested =
  | { ok: true; records: RecordBatch; routingKey: Uint8Array | null }
  | { ok: false; status: 400 | 500; message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const key = (value: string | null): Uint8Array | null => (value === null ? null : encoder.encode(value));
const refuse = (message: string): Ingested => ({ ok: false, status: 400, message });

export function ingestRecords(meta: StreamMeta, input: IngestInput): Ingested {
  if (!meta.profile || !meta.registry) return { ok: false, status: 500, message: meta.profile ? "invalid schema registry" : "invalid stream profile" };
  const routingKey = meta.routingKey;
  if (routingKey && input.headerKey !== null) return refuse("Stream-Key not allowed when routingKey is configured");
  if (!isJsonType(input.contentType)) {
    return meta.registry.currentVersion > 0 || routingKey ? refuse("stream requires JSON") : { ok: true, records: input.records, routingKey: key(input.headerKey) };
  }
  if (input.records.count === 0) return { ok: true, records: input.records, routingKey: null };

  const chunk = input.records.chunks[0]!;
  const values = JSON.parse(`[${decoder.decode(chunk)}]`) as unknown[];
  const { definition, document } = meta.profile;
  const validate = meta.validator();
  const keys: Array<string | null> = [];
  let changed = false;
  const where = (i: number) => (values.length > 1 ? ` (record ${i})` : "");
  for (let i = 0; i < values.length; i++) {
    let suggested: string | null = null;
    if (definition.prepareRecord) {
      const prepared = definition.prepareRecord(document, values[i], input.nowMs);
      if (!prepared.ok) return refuse(prepared.message + where(i));
      if (prepared.value !== values[i]) {
        values[i] = prepared.value;
        changed = true;
      }
      suggested = prepared.routingKey;
    }
    if (validate && !validate(values[i])) return refuse(describeErrors(validate.errors) + where(i));
    if (routingKey) {
      const extracted = extractRoutingKey(routingKey, values[i]);
      if (!extracted.ok) return refuse(extracted.message + where(i));
      keys.push(extracted.value);
    } else {
      keys.push(input.headerKey ?? suggested);
    }
  }
  return stored(chunk, values, changed, keys);
}

/** The records in stored form: one chunk when they share a key, else one per record with its key. */
function stored(chunk: Uint8Array, values: unknown[], changed: boolean, keys: Array<string | null>): Ingested {
  const sharedKey = keys.every((k) => k === keys[0]);
  if (!changed && sharedKey) return { ok: true, records: { chunks: [chunk], count: values.length }, routingKey: key(keys[0] ?? null) };
  const chunks = changed ? values.map((v) => encoder.encode(JSON.stringify(v))) : splitJsonValues(chunk);
  if (sharedKey) return { ok: true, records: { chunks: [joinJsonValues(chunks)], count: values.length }, routingKey: key(keys[0] ?? null) };
  return { ok: true, records: { chunks, count: values.length, keys: keys.map(key) }, routingKey: null };
}
