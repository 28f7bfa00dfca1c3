// What engine commands share: the reader-side services a command's effects reach.
import type { AccessTracker } from "./expiry.ts";
import type { Notifier } from "./notifier.ts";

export interface EngineContext {
  readonly notifier: Notifier;
  readonly access: AccessTracker;
  /** Called after a commit that deleted stream data, so the purger picks it up. */
  readonly onPurgeScheduled: () => void;
}
