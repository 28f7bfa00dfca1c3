// Where a named local server keeps its files (spec 02 §1.2, 05 §6.2): one directory per
// name under a per-user data root.
import envPaths from "env-paths";
import { join, resolve } from "node:path";

export const DEFAULT_LOCAL_NAME = "default";

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

export class LocalNameError extends Error {}

/**
 * `$DS_LOCAL_DATA_ROOT`, else env-paths' data directory of `prisma-dev` (with env-paths' own
 * `-nodejs` suffix, as upstream) plus `durable-streams`, so `prisma dev` and this CLI agree.
 */
export function localDataRoot(env: Record<string, string | undefined>): string {
  const configured = env.DS_LOCAL_DATA_ROOT;
  if (configured !== undefined && configured !== "") return resolve(configured);
  return join(envPaths("prisma-dev").data, "durable-streams");
}

/** A server name: trimmed, empty means `default`; it becomes a directory name, so `.` and `..` are refused. */
export function normalizeLocalName(name: string | undefined): string {
  const trimmed = (name ?? "").trim();
  if (trimmed === "") return DEFAULT_LOCAL_NAME;
  if (!NAME_PATTERN.test(trimmed) || trimmed === "." || trimmed === "..") {
    throw new LocalNameError(`invalid --name ${JSON.stringify(trimmed)} (letters, digits, ".", "_" and "-" only)`);
  }
  return trimmed;
}

export interface LocalPaths {
  name: string;
  dir: string;
  sqlite: string;
  lock: string;
  /** `server.json`: pid and URL of the server that holds (or held) the lock. */
  dump: string;
}

export function localPaths(root: string, name: string): LocalPaths {
  const dir = join(root, name);
  return {
    name,
    dir,
    sqlite: join(dir, "durable-streams.sqlite"),
    lock: join(dir, "server.lock"),
    dump: join(dir, "server.json"),
  };
}
