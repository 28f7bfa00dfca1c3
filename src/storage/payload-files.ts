// WAL payload files: the large payloads of WAL rows, kept beside SQLite instead of in it
// (docs/storage.md, "Payload files"). In SQLite a payload costs its bytes three times
// over: written into SQLite's WAL, copied into the database file by a checkpoint, then
// read back page by page to free its overflow chain when the rows are collected (measured:
// collecting published 10 KB rows took a quarter of JSON ingest). Here a batch's payloads
// are one write and one fdatasync, a read is one pread, and collecting them ends in
// deleting a whole file.
//
// A file is `<db path>-payloads/<id>.payload`; ids are never reused while a row could name
// them. A record is a 16-byte header (its own file id and position, u64 big-endian each)
// followed by the payload. The header goes to disk with the payload and is checked on every
// read, so bytes written over an emptied file are never taken for the record once there.
//
// An emptied file is kept as a spare (up to a few) and later written over as a new file:
// overwriting blocks a file already has costs an fdatasync less than half of what growing a
// file does on this kind of disk (ext4 journals each allocation). A spare is reused only
// seconds after it was emptied; readers read a record right after the query that named it,
// and the header check stands behind that.
//
// This module only touches files; which records live where, and when a file may go, is
// SQLite's (storage/sqlite/payload-files.ts), committed in the batches that change it.
import { closeSync, fdatasync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writevSync } from "node:fs";
import { join } from "node:path";

export const PAYLOAD_HEADER_BYTES = 16;
const SUFFIX = ".payload";
const SPARE_PREFIX = "spare-";
/** A spare is written over only this long after it was emptied. */
export const SPARE_REUSE_DELAY_MS = 2000;
/** writev takes at most IOV_MAX (1024 on Linux) buffers per call. */
const WRITEV_MAX_BUFFERS = 1024;

/** The payload directory that belongs to a database file (like SQLite's `-wal` and `-shm`). */
export function payloadDirOf(dbPath: string): string {
  return `${dbPath}-payloads`;
}

export function payloadFilePath(dir: string, id: number): string {
  return join(dir, `${String(id).padStart(12, "0")}${SUFFIX}`);
}

/** Names in `dir`, none when it does not exist (yet). */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Ids of the payload files present in `dir`. */
export function listPayloadFiles(dir: string): number[] {
  const ids: number[] = [];
  for (const name of namesIn(dir)) {
    if (!name.endsWith(SUFFIX)) continue;
    const id = Number(name.slice(0, -SUFFIX.length));
    if (Number.isSafeInteger(id) && id > 0) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/** Deletes the files of ids whose last record SQLite no longer references (after that commit). */
export function removePayloadFiles(dir: string, ids: readonly number[]): void {
  for (const id of ids) rmSync(payloadFilePath(dir, id), { force: true });
}

interface Spare {
  name: string;
  retiredAtMs: number;
}

/** Spares in `dir`, oldest first. */
function listSpares(dir: string): Spare[] {
  const spares: Spare[] = [];
  for (const name of namesIn(dir)) {
    if (!name.startsWith(SPARE_PREFIX) || !name.endsWith(SUFFIX)) continue;
    const retiredAtMs = Number(name.slice(SPARE_PREFIX.length).split("-")[0]);
    if (Number.isSafeInteger(retiredAtMs)) spares.push({ name, retiredAtMs });
  }
  return spares.sort((a, b) => a.retiredAtMs - b.retiredAtMs);
}

/**
 * Files whose last record SQLite no longer references (after that commit): kept as spares
 * while fewer than `keepSpares` are, else deleted.
 */
export function retirePayloadFiles(dir: string, ids: readonly number[], keepSpares: number, nowMs = Date.now()): void {
  let spares = keepSpares > 0 ? listSpares(dir).length : 0;
  for (const id of ids) {
    if (spares >= keepSpares) {
      rmSync(payloadFilePath(dir, id), { force: true });
      continue;
    }
    try {
      renameSync(payloadFilePath(dir, id), join(dir, `${SPARE_PREFIX}${nowMs}-${id}${SUFFIX}`));
      spares += 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

/** Start-up: at most `keep` spares stay, the most recent ones. */
export function trimSpares(dir: string, keep: number): void {
  const spares = listSpares(dir);
  for (const spare of spares.slice(0, Math.max(0, spares.length - keep))) rmSync(join(dir, spare.name), { force: true });
}

/** Renames the oldest spare emptied before `readyBeforeMs` to `path`; false when there is none. */
function reuseSpare(dir: string, path: string, readyBeforeMs: number): boolean {
  for (const spare of listSpares(dir)) {
    if (spare.retiredAtMs > readyBeforeMs) return false;
    try {
      renameSync(join(dir, spare.name), path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return false;
}

/** A record's header: where it was written, file id and position (u64 big-endian each). */
export function encodePayloadHeader(file: number, position: number): Uint8Array {
  const header = new Uint8Array(PAYLOAD_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setBigUint64(0, BigInt(file));
  view.setBigUint64(8, BigInt(position));
  return header;
}

/** Whether `record` starts with the header of a record written at `position` of file `file`. */
export function payloadHeaderMatches(record: Uint8Array, file: number, position: number): boolean {
  if (record.byteLength < PAYLOAD_HEADER_BYTES) return false;
  const view = new DataView(record.buffer, record.byteOffset, PAYLOAD_HEADER_BYTES);
  return view.getBigUint64(0) === BigInt(file) && view.getBigUint64(8) === BigInt(position);
}

/** The file a row points to is gone: the row was collected after the query that saw it. */
export class PayloadGoneError extends Error {}

/** The bytes at a row's position are not its record: the file is damaged. */
export class PayloadCorruptError extends Error {}

/** Reads records, keeping a few files open (reads of one stream's rows go to few files). */
export class PayloadFileReader {
  /** Open descriptors by file id, least recently used first. */
  private readonly open = new Map<number, number>();

  constructor(
    readonly dir: string,
    private readonly maxOpenFiles = 8,
  ) {}

  /** The `length`-byte payload of the record at `position` of file `id`. */
  read(id: number, position: number, length: number): Uint8Array {
    const record = new Uint8Array(PAYLOAD_HEADER_BYTES + length);
    const fd = this.descriptor(id);
    let done = 0;
    while (done < record.byteLength) {
      const n = readSync(fd, record, done, record.byteLength - done, position + done);
      if (n === 0) throw new PayloadCorruptError(`payload file ${id} ends before its record at ${position}`);
      done += n;
    }
    if (!payloadHeaderMatches(record, id, position)) throw new PayloadCorruptError(`payload file ${id} holds no record at ${position}`);
    return record.subarray(PAYLOAD_HEADER_BYTES);
  }

  /** Closes the descriptors of files that were removed (an open one keeps its disk space). */
  forget(ids: readonly number[]): void {
    for (const id of ids) {
      const fd = this.open.get(id);
      if (fd === undefined) continue;
      this.open.delete(id);
      closeSync(fd);
    }
  }

  close(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }

  private descriptor(id: number): number {
    const cached = this.open.get(id);
    if (cached !== undefined) {
      this.open.delete(id);
      this.open.set(id, cached);
      return cached;
    }
    let fd: number;
    try {
      fd = openSync(payloadFilePath(this.dir, id), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new PayloadGoneError(`payload file ${id} is gone`);
      throw error;
    }
    this.open.set(id, fd);
    if (this.open.size > this.maxOpenFiles) {
      const [oldestId, oldestFd] = this.open.entries().next().value as [number, number];
      this.open.delete(oldestId);
      closeSync(oldestFd);
    }
    return fd;
  }
}

/** Where a payload was written: its record (header, then the bytes) starts at `position` of file `file`. */
export interface PayloadRef {
  file: number;
  position: number;
}

/**
 * Appends records to one file at a time (the inline writer's only: writer.ts). A batch's
 * payloads go in one write; `durable` resolves once an fdatasync issued after that write has
 * finished, and only then may rows pointing to them commit. The sync runs off the thread,
 * which serves other requests meanwhile.
 */
export class PayloadAppender {
  private fd = -1;
  private id = 0;
  private end = 0;
  /** fdatasyncs still running per descriptor: a replaced file is closed when its last one ends. */
  private readonly pendingSyncs = new Map<number, number>();
  /** Every fdatasync still running, for `close`. */
  private readonly syncsInFlight = new Set<Promise<void>>();
  private readonly retiring = new Set<number>();

  constructor(
    readonly dir: string,
    /** A file takes records until it reaches this size (a batch never spans two files). */
    readonly fileBytesMax: number,
    /** Hands out the next file id (never one SQLite knows already). */
    private readonly nextId: () => number,
  ) {}

  /** Writes the payloads at the end of the current file (or a new one) and starts their sync. */
  write(payloads: readonly Uint8Array[], nowMs = Date.now()): { refs: PayloadRef[]; durable: Promise<void> } {
    let bytes = 0;
    for (const payload of payloads) bytes += PAYLOAD_HEADER_BYTES + payload.byteLength;
    if (this.fd < 0 || (this.end > 0 && this.end + bytes > this.fileBytesMax)) this.startFile(nowMs);
    const refs: PayloadRef[] = new Array(payloads.length);
    const buffers: Uint8Array[] = [];
    let at = this.end;
    for (let i = 0; i < payloads.length; i++) {
      refs[i] = { file: this.id, position: at };
      buffers.push(encodePayloadHeader(this.id, at), payloads[i]!);
      at += PAYLOAD_HEADER_BYTES + payloads[i]!.byteLength;
    }
    let position = this.end;
    for (let i = 0; i < buffers.length; i += WRITEV_MAX_BUFFERS) position += writeAll(this.fd, buffers.slice(i, i + WRITEV_MAX_BUFFERS), position);
    this.end = at;
    return { refs, durable: this.sync(this.fd) };
  }

  /** Waits for every sync in flight, then closes the file. */
  async close(): Promise<void> {
    this.retire(this.fd);
    this.fd = -1;
    await Promise.allSettled(this.syncsInFlight);
  }

  /** Starts the next file: a spare written over from the start when one is ready, else a new file. */
  private startFile(nowMs: number): void {
    this.retire(this.fd);
    mkdirSync(this.dir, { recursive: true });
    const id = this.nextId();
    const path = payloadFilePath(this.dir, id);
    this.fd = openSync(path, reuseSpare(this.dir, path, nowMs - SPARE_REUSE_DELAY_MS) ? "r+" : "wx");
    this.id = id;
    this.end = 0;
  }

  private sync(fd: number): Promise<void> {
    this.pendingSyncs.set(fd, (this.pendingSyncs.get(fd) ?? 0) + 1);
    const synced = new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => {
        const left = this.pendingSyncs.get(fd)! - 1;
        if (left > 0) this.pendingSyncs.set(fd, left);
        else {
          this.pendingSyncs.delete(fd);
          if (this.retiring.delete(fd)) closeSync(fd);
        }
        this.syncsInFlight.delete(synced);
        if (error) reject(error);
        else resolve();
      });
    });
    this.syncsInFlight.add(synced);
    return synced;
  }

  private retire(fd: number): void {
    if (fd < 0) return;
    if (this.pendingSyncs.has(fd)) this.retiring.add(fd);
    else closeSync(fd);
  }
}

/** writev until every byte is down (a short write continues where it stopped); returns the bytes. */
function writeAll(fd: number, buffers: Uint8Array[], position: number): number {
  let total = 0;
  for (const buffer of buffers) total += buffer.byteLength;
  let written = writevSync(fd, buffers, position);
  while (written < total) {
    // Rare: the kernel took part of the vector. Finish the rest buffer by buffer.
    let skip = written;
    const rest: Uint8Array[] = [];
    for (const buffer of buffers) {
      if (skip >= buffer.byteLength) {
        skip -= buffer.byteLength;
        continue;
      }
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    written += writevSync(fd, rest, position + written);
  }
  return total;
}
