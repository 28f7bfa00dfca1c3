// The exclusive lock that makes a named local server single-instance (spec 05 §6.3): a
// proper-lockfile lock on `server.lock`, refreshed while held and taken over once stale (30 s
// without a refresh: its holder died). No retries, so a second start fails at once.
import { closeSync, mkdirSync, openSync } from "node:fs";
import lockfile from "proper-lockfile";

export const LOCK_STALE_MS = 30_000;

export class LocalLockedError extends Error {}

/** Takes the lock (creating the file if needed); resolves to its release. */
export async function acquireLocalLock(lockPath: string, dir: string, onCompromised: (error: Error) => void): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  closeSync(openSync(lockPath, "a"));
  try {
    return await lockfile.lock(lockPath, { stale: LOCK_STALE_MS, retries: 0, realpath: false, onCompromised });
  } catch (error) {
    if ((error as { code?: string }).code === "ELOCKED") throw new LocalLockedError(`server is already running (lock held: ${lockPath})`);
    throw error;
  }
}

/** True while a live holder keeps the lock fresh. */
export async function isLocalLockHeld(lockPath: string): Promise<boolean> {
  try {
    return await lockfile.check(lockPath, { stale: LOCK_STALE_MS, realpath: false });
  } catch {
    return false;
  }
}
