// How a batch crosses to the writer thread: one JSON string for the commands (their byte
// fields stripped) plus one transferred buffer holding every payload, rebuilt as views on
// the other side. Structured clone of many small objects costs more than this.
import type { RecordBatch } from "./records.ts";
import type { WriteCommand } from "./write-commands.ts";

export interface WireBatch {
  json: string;
  payload: Uint8Array;
}

/** Lengths of a command's byte fields in the payload, in order; -1 stands for null. */
interface WireBytes {
  keyLength: number;
  chunkLengths: number[];
  /** Per-record routing keys (RecordBatch.keys), when the batch has them. */
  recordKeyLengths?: number[];
}

type WireCommand = WriteCommand & { bytes?: WireBytes };

export function encodeBatch(commands: readonly WriteCommand[]): WireBatch {
  const parts: Uint8Array[] = [];
  let total = 0;
  const add = (bytes: Uint8Array | null): number => {
    if (bytes === null) return -1;
    parts.push(bytes);
    total += bytes.byteLength;
    return bytes.byteLength;
  };
  const wire: WireCommand[] = commands.map((command) => {
    if (command.op !== "append" && command.op !== "create") return command;
    const key = command.op === "append" ? command.req.routingKey : null;
    const source = command.req.records;
    const bytes: WireBytes = { keyLength: add(key), chunkLengths: source.chunks.map((c) => add(c)) };
    if (source.keys) bytes.recordKeyLengths = source.keys.map(add);
    const records: RecordBatch = source.unparsed ? { chunks: [], count: source.count, unparsed: true } : { chunks: [], count: source.count };
    const req = command.op === "append" ? { ...command.req, records, routingKey: null } : { ...command.req, records };
    return { ...command, req, bytes } as WireCommand;
  });
  const payload = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    payload.set(part, at);
    at += part.byteLength;
  }
  return { json: JSON.stringify(wire), payload };
}

export function decodeBatch(batch: WireBatch): WriteCommand[] {
  const commands = JSON.parse(batch.json) as WireCommand[];
  let at = 0;
  const take = (length: number): Uint8Array | null => {
    if (length < 0) return null;
    const view = batch.payload.subarray(at, at + length);
    at += length;
    return view;
  };
  for (const command of commands) {
    if (!command.bytes || (command.op !== "append" && command.op !== "create")) continue;
    const { keyLength, chunkLengths, recordKeyLengths } = command.bytes;
    const key = take(keyLength);
    if (command.op === "append") command.req.routingKey = key;
    command.req.records.chunks = chunkLengths.map((length) => take(length)!);
    if (recordKeyLengths) command.req.records.keys = recordKeyLengths.map(take);
    delete command.bytes;
  }
  return commands;
}
