// `status`, `stop` and `reset` of named local servers (spec 05 §6.4), from outside the
// server's process: they read `server.json`, probe the pid and `/health`, and use the lock
// to tell a live server from a pid that was reused by some other process.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { z } from "zod";
import { acquireLocalLock, isLocalLockHeld, LocalLockedError } from "./lock.ts";
import { localPaths, type LocalPaths } from "./paths.ts";
import type { LocalServerDump } from "./server.ts";

const HEALTH_TIMEOUT_MS = 1000;
const STOP_POLL_MS = 100;
const STOP_WAIT_MS = 5000;

const dumpSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  http: z.object({ port: z.number().int(), url: z.string() }),
  sqlite: z.object({ path: z.string() }),
});

export interface LocalStatus {
  name: string;
  dataDir: string;
  dump: LocalServerDump | null;
  pidAlive: boolean;
  healthy: boolean;
  running: boolean;
  stale: boolean;
}

export class LocalRunningError extends Error {}

/** `server.json`, or null when it is missing or unreadable (a torn or foreign file is no server). */
export function readDump(paths: LocalPaths): LocalServerDump | null {
  try {
    const parsed = dumpSchema.safeParse(JSON.parse(readFileSync(paths.dump, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Signal 0 checks existence (EPERM: it exists but belongs to someone else). On Linux a zombie
 * (exited, not yet reaped by a busy parent) still answers signal 0, so /proc decides.
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name, which may itself contain ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

export async function localStatus(root: string, name: string): Promise<LocalStatus> {
  const paths = localPaths(root, name);
  const dump = readDump(paths);
  const pidAlive = dump !== null && isPidAlive(dump.pid);
  const healthy = dump !== null && (await isHealthy(dump.http.url));
  const running = pidAlive && healthy;
  return { name, dataDir: paths.dir, dump, pidAlive, healthy, running, stale: dump !== null && !running };
}

/** Every named server under the root (each sub-directory), in name order. */
export async function localStatusAll(root: string): Promise<LocalStatus[]> {
  if (!existsSync(root)) return [];
  const names = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(names.map((name) => localStatus(root, name)));
}

export type StopResult =
  | { name: string; stopped: false; reason: "not_found" | "pid_not_running" | "lock_not_held"; pid?: number }
  | { name: string; stopped: boolean; pid: number };

/**
 * SIGTERM to the recorded pid, then up to 5 s for it to exit. Only a pid whose lock is still
 * held is signalled: after a crash the pid may belong to an unrelated process by now.
 */
export async function stopLocal(root: string, name: string): Promise<StopResult> {
  const paths = localPaths(root, name);
  const dump = readDump(paths);
  if (dump === null) return { name, stopped: false, reason: "not_found" };
  if (!isPidAlive(dump.pid)) return { name, stopped: false, reason: "pid_not_running", pid: dump.pid };
  if (!(await isLocalLockHeld(paths.lock))) return { name, stopped: false, reason: "lock_not_held", pid: dump.pid };
  process.kill(dump.pid, "SIGTERM");
  for (let waited = 0; waited < STOP_WAIT_MS && isPidAlive(dump.pid); waited += STOP_POLL_MS) await Bun.sleep(STOP_POLL_MS);
  return { name, stopped: !isPidAlive(dump.pid), pid: dump.pid };
}

/**
 * Deletes the server's database (and any cache directory). Refused while it runs; the lock
 * is held meanwhile, so a server cannot start on a half-deleted database.
 */
export async function resetLocal(root: string, name: string): Promise<{ name: string; reset: true; sqlite: string }> {
  const paths = localPaths(root, name);
  const status = await localStatus(root, name);
  if (status.running) throw new LocalRunningError(`server is running: ${name}`);
  const result = { name, reset: true as const, sqlite: paths.sqlite };
  if (!existsSync(paths.dir)) return result;
  let release: () => Promise<void>;
  try {
    release = await acquireLocalLock(paths.lock, paths.dir, () => {});
  } catch (error) {
    if (error instanceof LocalLockedError) throw new LocalRunningError(`server is running: ${name}`);
    throw error;
  }
  try {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${paths.sqlite}${suffix}`, { force: true });
    rmSync(`${paths.dir}/cache`, { recursive: true, force: true });
  } finally {
    await release();
  }
  return result;
}
