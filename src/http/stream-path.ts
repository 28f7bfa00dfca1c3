// Turning a `/v1/stream/...` path into a stream name and an optional sub-resource
// (spec 01 §1.2). Names may contain `/` (raw or `%2F`); the last segments may name a
// sub-resource, which is split off before the name is percent-decoded once.
import { badRequest, notFound } from "./errors.ts";

export const STREAM_PREFIX = "/v1/stream/";

export type SubResource =
  | { kind: "stream" }
  | { kind: "pk"; key: string }
  | { kind: "named"; name: string };

export interface StreamTarget {
  name: string;
  sub: SubResource;
}

const SINGLE_SUFFIXES = new Set(["_schema", "_profile", "_search", "_aggregate", "_details", "_index_status", "_routing_keys"]);
const MULTI_SUFFIXES: readonly string[][] = [
  ["_otlp", "v1", "traces"],
  ["touch", "templates", "activate"],
  ["touch", "meta"],
  ["touch", "wait"],
];

/** The still-encoded path and the query of an absolute request URL, without `new URL`. */
export function splitUrl(url: string): { path: string; query: string } {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start < 0) return { path: "/", query: "" };
  const q = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  const end = hash < 0 ? url.length : hash;
  return q < 0 || q > end ? { path: url.slice(start, end), query: "" } : { path: url.slice(start, q), query: url.slice(q + 1, end) };
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest(`invalid percent-encoding in ${what}`);
  }
}

/** Parses the path after `/v1/stream/` (still percent-encoded). */
export function parseStreamPath(encodedRest: string, nameMaxBytes: number): StreamTarget {
  const segments = encodedRest.replace(/\/+$/, "").split("/");
  let sub: SubResource = { kind: "stream" };
  let nameSegments = segments;
  const last = segments[segments.length - 1] ?? "";
  if (segments.length >= 2 && segments[segments.length - 2] === "pk") {
    sub = { kind: "pk", key: decode(last, "routing key") };
    nameSegments = segments.slice(0, -2);
  } else if (segments.length >= 2 && SINGLE_SUFFIXES.has(last)) {
    sub = { kind: "named", name: last };
    nameSegments = segments.slice(0, -1);
  } else {
    for (const suffix of MULTI_SUFFIXES) {
      if (segments.length > suffix.length && suffix.every((s, i) => segments[segments.length - suffix.length + i] === s)) {
        sub = { kind: "named", name: suffix.join("/") };
        nameSegments = segments.slice(0, -suffix.length);
        break;
      }
    }
  }
  const name = decode(nameSegments.join("/"), "stream name");
  validateStreamName(name, nameMaxBytes);
  if (name === "__ds" || name.startsWith("__ds/")) throw notFound("reserved path");
  return { name, sub };
}

/** Names are non-empty, bounded, free of control characters and of `.`/`..`/empty segments. */
export function validateStreamName(name: string, maxBytes: number): void {
  if (name === "") throw badRequest("missing stream name");
  if (Buffer.byteLength(name, "utf8") > maxBytes) throw badRequest(`stream name longer than ${maxBytes} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw badRequest("stream name contains control characters");
  for (const segment of name.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw badRequest("stream name has an empty, '.' or '..' segment");
    }
  }
}

/** `Stream-Forked-From` carries the source's path (`/v1/stream/name`); a bare name also works. */
export function parseForkSource(value: string, nameMaxBytes: number): string {
  const trimmed = value.trim();
  let path = trimmed;
  if (/^https?:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      throw badRequest("invalid Stream-Forked-From");
    }
  }
  if (path.startsWith(STREAM_PREFIX)) {
    const target = parseStreamPath(path.slice(STREAM_PREFIX.length), nameMaxBytes);
    if (target.sub.kind !== "stream") throw badRequest("Stream-Forked-From must name a stream");
    return target.name;
  }
  const name = decode(path, "Stream-Forked-From");
  validateStreamName(name, nameMaxBytes);
  return name;
}
