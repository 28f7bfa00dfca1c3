// The object store the configuration asks for.
import type { Config } from "../../config.ts";
import { objectStoreRoot } from "../paths.ts";
import { LocalObjectStore } from "./local.ts";
import { NoObjectStore } from "./none.ts";
import type { ObjectStore } from "./object-store.ts";
import { S3ObjectStore } from "./s3.ts";

export function createObjectStore(config: Config): ObjectStore {
  if (config.objectStore === "none") return new NoObjectStore();
  if (config.objectStore === "r2" && config.r2) return new S3ObjectStore(config.r2);
  return new LocalObjectStore(objectStoreRoot(config.root));
}
