// The profile contract: what a stream's records mean (spec 03 §1). A profile is a kind,
// a zod schema for its document, an install step run in the writer's transaction, and
// optional capabilities named for what core code needs. Core code resolves a stream's
// profile and asks for a capability; it never compares kinds (test/unit/profile-kinds.test.ts).
import type { z } from "zod";
import type { SchemaRegistry } from "../schema/registry.ts";

/** Every profile document names its kind; the rest is the profile's own configuration. */
export interface ProfileDocument {
  kind: string;
}

/** The stream a profile is being installed on, as the writer's transaction sees it. */
export interface InstallContext {
  streamName: string;
  /** Normalised content type (lower case, no parameters). */
  contentType: string;
  /** Records in the stream's view so far (0 = empty). */
  nextOffset: number;
  /** The kind installed before this install (the default kind when none was). */
  currentKind: string;
}

/** One JSON record after a profile's ingest hook: what to store and the key it suggests. */
export type PreparedRecord = { ok: true; value: unknown; routingKey: string | null } | { ok: false; message: string };

export interface ProfileDefinition<D extends ProfileDocument = ProfileDocument> {
  readonly kind: string;
  /**
   * Validates and normalises a document (an object whose `kind` is this kind, trimmed).
   * The parsed value is what is stored and what GET /_profile returns; stored documents
   * are parsed again on load. Issue messages follow src/util/doc-issues.ts (prefix
   * `profile`).
   */
  readonly document: z.ZodType<D>;
  /** Preconditions, checked in the writer's transaction: null to go ahead, or the 400 message. */
  install(ctx: InstallContext, doc: D): string | null;
  /**
   * The canonical registry this profile owns: installing the profile replaces the
   * stream's registry with it wholesale (spec 03 §6.2).
   */
  defaultSchema?(streamName: string): SchemaRegistry;
  /**
   * JSON ingest hook, per record of an append, before schema validation: validate,
   * normalise, redact, and suggest a routing key. Returning the input object unchanged
   * (the same reference) keeps the record's bytes as sent.
   */
  prepareRecord?(doc: D, record: unknown, nowMs: number): PreparedRecord;
}
