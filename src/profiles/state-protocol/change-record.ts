// Append-time checks of State Protocol records (spec 03 §3.5.3): a change record
// (`type`, `key`, `value`, `old_value`, `headers.operation`, ...) or a control record
// (`headers.control` only). Records are stored unchanged. Pure: null or the 400 message.
import { decode128 } from "../../util/base32.ts";
import { isRfc3339 } from "../../schema/json-schema.ts";
import { isPlainObject } from "../../util/doc-issues.ts";

const CHANGE_KEYS = new Set(["type", "key", "value", "old_value", "headers"]);
const CHANGE_HEADER_KEYS = new Set(["operation", "txid", "timestamp"]);
const CONTROL_HEADER_KEYS = new Set(["control", "offset"]);
const OPERATIONS = new Set(["insert", "update", "delete"]);
const CONTROLS = new Set(["snapshot-start", "snapshot-end", "reset"]);
const OFFSET_TOKEN_LENGTH = 26;

const nonBlank = (value: unknown): boolean => typeof value === "string" && value.trim() !== "";
const unknownKey = (keys: Iterable<string>, allowed: ReadonlySet<string>): string | undefined => [...keys].find((k) => !allowed.has(k));

function isStreamOffset(value: unknown): boolean {
  if (value === "-1") return true;
  return typeof value === "string" && value.length === OFFSET_TOKEN_LENGTH && decode128(value) !== null;
}

function checkControl(record: Record<string, unknown>, headers: Record<string, unknown>): string | null {
  const extra = unknownKey(Object.keys(record), new Set(["headers"]));
  if (extra !== undefined) return `state-protocol record.${extra} is not supported`;
  const extraHeader = unknownKey(Object.keys(headers), CONTROL_HEADER_KEYS);
  if (extraHeader !== undefined) return `state-protocol record.headers.${extraHeader} is not supported`;
  if (typeof headers.control !== "string" || !CONTROLS.has(headers.control)) {
    return "state-protocol record.headers.control must be snapshot-start, snapshot-end, or reset";
  }
  if (headers.offset !== undefined && !isStreamOffset(headers.offset)) return "state-protocol record.headers.offset must be a valid stream offset string";
  return null;
}

function checkChange(record: Record<string, unknown>, headers: Record<string, unknown>): string | null {
  const extra = unknownKey(Object.keys(record), CHANGE_KEYS);
  if (extra !== undefined) return `state-protocol record.${extra} is not supported`;
  const extraHeader = unknownKey(Object.keys(headers), CHANGE_HEADER_KEYS);
  if (extraHeader !== undefined) return `state-protocol record.headers.${extraHeader} is not supported`;
  if (!nonBlank(record.type)) return "state-protocol record.type must be a non-empty string";
  if (!nonBlank(record.key)) return "state-protocol record.key must be a non-empty string";
  const operation = headers.operation;
  if (typeof operation !== "string" || !OPERATIONS.has(operation)) return "state-protocol record.headers.operation must be insert, update, or delete";
  if (operation !== "delete" && !Object.hasOwn(record, "value")) return `state-protocol ${operation} records must include value`;
  if (headers.txid !== undefined && !nonBlank(headers.txid)) return "state-protocol record.headers.txid must be a non-empty string";
  if (headers.timestamp !== undefined && !(typeof headers.timestamp === "string" && isRfc3339(headers.timestamp))) {
    return "state-protocol record.headers.timestamp must be a valid RFC 3339 timestamp";
  }
  return null;
}

export function checkStateRecord(record: unknown): string | null {
  if (!isPlainObject(record)) return "state-protocol records must be JSON objects";
  const headers = record.headers;
  if (!isPlainObject(headers)) return "state-protocol record.headers must be an object";
  const hasControl = Object.hasOwn(headers, "control");
  const hasOperation = Object.hasOwn(headers, "operation");
  if (hasControl && hasOperation) return "state-protocol record.headers cannot mix control and operation";
  if (!hasControl && !hasOperation) return "state-protocol record.headers must contain operation or control";
  return hasControl ? checkControl(record, headers) : checkChange(record, headers);
}
