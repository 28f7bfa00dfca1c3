// The writer's commands as plain data (they cross to the writer thread by postMessage),
// and the one function that runs a whole batch of them in a transaction.
//
// Commit order of a batch (docs/architecture.md, "Append"):
//   1. BEGIN
//   2. run each command in arrival order: TTL renewals recorded by reads, then each
//      request's checks in spec order, its WAL inserts and producer-state upserts
//   3. write back every changed stream row
//   4. COMMIT POINT: SQLite commits with synchronous=FULL (the WAL frame is fsynced)
//   5. the stream cache takes the new rows, then each request is answered and readers woken
// A crash before 4 loses the whole batch, and none of its requests was answered.
import type { Database } from "bun:sqlite";
import type { AppendOutcome, AppendRequest } from "./append-checks.ts";
import { executeAppend } from "./append.ts";
import { executeCreate, type CreateOutcome, type CreateRequest } from "./create.ts";
import { applyRenewals, executeDelete, executeExpire, executePurgeChunk, type DeleteOutcome } from "./delete.ts";
import { executeSchemaUpdate, executeSetProfile, type ProfileOutcome, type SchemaOutcome } from "./meta-commands.ts";
import type { ProfileDocument } from "../profiles/profile.ts";
import type { SchemaUpdate } from "../schema/schema-update.ts";
import type { DeleteChunk } from "../storage/sqlite/wal.ts";
import { retirePayloadFiles } from "../storage/payload-files.ts";
import { crashPoint } from "../util/crash-point.ts";
import { batchBytes } from "./records.ts";
import {
  executeCollectWal,
  executeCommitManifest,
  executeInlinePayloads,
  executeMarkUploaded,
  executeSeal,
  type ManifestCommit,
  type SealRequest,
} from "./tiering.ts";
import { WriteBatch, type BatchEffects, type CommittedRows, type WriterPayloads } from "./write-batch.ts";

export type WriteCommand =
  | { op: "append"; req: AppendRequest }
  | { op: "create"; req: CreateRequest }
  | { op: "delete"; name: string }
  | { op: "expire"; names: string[] }
  | { op: "purge"; chunk: DeleteChunk }
  | { op: "profile"; name: string; document: ProfileDocument }
  | { op: "schema"; name: string; update: SchemaUpdate }
  /** [stream id, last read at ms] pairs: sliding-TTL renewals recorded by reads. */
  | { op: "renew"; renewals: Array<[number, number]> }
  | { op: "seal"; req: SealRequest }
  | { op: "mark-uploaded"; req: { streamId: number; segmentIndex: number; etag: string } }
  | { op: "commit-manifest"; req: ManifestCommit }
  | { op: "collect-wal"; req: { streamId: number; chunk: DeleteChunk } }
  /** Moves a chunk of the rows still pointing into a mostly collected payload file inline. */
  | { op: "inline-payloads"; req: { file: number; chunk: DeleteChunk } };

export interface CommandResults {
  append: AppendOutcome;
  create: CreateOutcome;
  delete: DeleteOutcome;
  expire: number;
  purge: boolean;
  profile: ProfileOutcome;
  schema: SchemaOutcome;
  renew: null;
  seal: "sealed" | "stale";
  "mark-uploaded": null;
  "commit-manifest": { more: boolean };
  "collect-wal": { more: boolean };
  "inline-payloads": { more: boolean };
}

export type WriteResult = CommandResults[keyof CommandResults];

export type BatchReply =
  | ({ ok: true; results: WriteResult[]; commitMs: number } & BatchEffects)
  | { ok: false; message: string; code: string | null };

function executeCommand(batch: WriteBatch, command: WriteCommand): WriteResult {
  switch (command.op) {
    case "append":
      return executeAppend(batch, command.req);
    case "create":
      return executeCreate(batch, command.req);
    case "delete":
      return executeDelete(batch, command.name);
    case "expire":
      return executeExpire(batch, command.names);
    case "purge":
      return executePurgeChunk(batch, command.chunk);
    case "profile":
      return executeSetProfile(batch, command.name, command.document);
    case "schema":
      return executeSchemaUpdate(batch, command.name, command.update);
    case "renew":
      applyRenewals(batch, command.renewals);
      return null;
    case "seal":
      return executeSeal(batch, command.req);
    case "mark-uploaded":
      return executeMarkUploaded(batch, command.req);
    case "commit-manifest":
      return executeCommitManifest(batch, command.req);
    case "collect-wal":
      return executeCollectWal(batch, command.req);
    case "inline-payloads":
      return executeInlinePayloads(batch, command.req);
  }
}

/**
 * Runs `commands` in one transaction; SQLITE_BUSY (another process) is retried, bounded.
 * Records referring to payload files (`RecordBatch.refs`) must already be durable there.
 * Payload files whose last row the batch removed are retired after COMMIT: a crash in
 * between leaves a file no row names, which start-up removes (`reconcilePayloadFiles`).
 */
export function executeBatch(
  db: Database,
  commands: readonly WriteCommand[],
  busyRetryMs: number,
  committed: CommittedRows,
  payloads: WriterPayloads | null = null,
): BatchReply {
  const started = performance.now();
  const deadline = started + busyRetryMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const batch = new WriteBatch(db, Date.now(), committed, payloads);
      const results: WriteResult[] = new Array(commands.length);
      db.transaction(() => {
        for (let i = 0; i < commands.length; i++) results[i] = executeCommand(batch, commands[i]!);
        batch.flushRows();
      })();
      const effects = batch.effects();
      if (payloads && effects.deadPayloadFiles.length > 0) {
        crashPoint("payload:before-remove");
        payloads.reader.forget(effects.deadPayloadFiles);
        retirePayloadFiles(payloads.reader.dir, effects.deadPayloadFiles, payloads.keepSpares);
      }
      return { ok: true, results, commitMs: performance.now() - started, ...effects };
    } catch (error) {
      const code = (error as { code?: string } | null)?.code ?? null;
      if ((code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT") && performance.now() < deadline) {
        Bun.sleepSync(Math.min(200, 5 * 2 ** attempt));
        continue;
      }
      return { ok: false, message: error instanceof Error ? error.message : String(error), code };
    }
  }
}

/**
 * Commands whose cost is not in their payload bytes: bulk deletions of WAL rows (a
 * published segment's or a deleted stream's, one chunk at a time: see `DeleteChunk`).
 * Their batches go to the writer thread like large ones: inline, a single collection of a
 * 16 MiB segment's rows held the event loop for 20-80 ms.
 */
export function isBulkCommand(command: WriteCommand): boolean {
  return command.op === "collect-wal" || command.op === "commit-manifest" || command.op === "purge" || command.op === "inline-payloads";
}

/** The largest record a command carries (a JSON append's messages count as one: they are stored together). */
export function largestRecordBytes(command: WriteCommand): number {
  if (command.op !== "append" && command.op !== "create") return 0;
  let largest = 0;
  for (const chunk of command.req.records.chunks) if (chunk.byteLength > largest) largest = chunk.byteLength;
  return largest;
}

/** Payload bytes a command carries, for the queue's byte bounds. */
export function commandBytes(command: WriteCommand): number {
  if (command.op !== "append" && command.op !== "create") return 0;
  return batchBytes(command.req.records);
}
