// Where things live: local segment files and the segment cache (per incarnation id, so a
// re-created name never touches an old incarnation's files), and object-store keys (per
// name hash, spec 02 §1.3).
import { join } from "node:path";
import { segmentNumber, streamHash } from "../util/stream-hash.ts";

export function localSegmentDir(root: string, streamId: number): string {
  return join(root, "local", "segments", String(streamId));
}

export function localSegmentPath(root: string, streamId: number, index: number): string {
  return join(localSegmentDir(root, streamId), `${segmentNumber(index)}.bin`);
}

export function cachedSegmentDir(root: string, streamId: number): string {
  return join(root, "cache", "segments", String(streamId));
}

export function cachedSegmentPath(root: string, streamId: number, index: number): string {
  return join(cachedSegmentDir(root, streamId), `${segmentNumber(index)}.bin`);
}

export function objectStoreRoot(root: string): string {
  return join(root, "objects");
}

export function segmentKey(name: string, index: number): string {
  return `streams/${streamHash(name)}/segments/${segmentNumber(index)}.bin`;
}

export function manifestKey(name: string): string {
  return `streams/${streamHash(name)}/manifest.json`;
}

export function schemaRegistryKey(name: string): string {
  return `streams/${streamHash(name)}/schema-registry.json`;
}

export const MANIFEST_SUFFIX = "/manifest.json";
