// How a batch crosses to the writer thread: one JSON string for the commands (their byte
// fields stripped) plus one transferred buffer holding every payload, rebuilt as views on
// the other side. Structured clone of many small objects costs more than this.
import type { WriteCommand } from "./write-commands.ts";

export interface WireBatch {
  json: string;
  payload: Uint8Array;
}

interface WireBytes {
  /** Routing key length, or -1 for none. */
  keyLength: number;
  chunkLengths: number[];
}

type WireCommand = WriteCommand & { bytes?: WireBytes };

export function encodeBatch(commands: readonly WriteCommand[]): WireBatch {
  const parts: Uint8Array[] = [];
  let total = 0;
  const wire: WireCommand[] = commands.map((command) => {
    if (command.op !== "append" && command.op !== "create") return command;
    const key = command.op === "append" ? command.req.routingKey : null;
    if (key) {
      parts.push(key);
      total += key.byteLength;
    }
    for (const chunk of command.req.records.chunks) {
      parts.push(chunk);
      total += chunk.byteLength;
    }
    const bytes: WireBytes = { keyLength: key ? key.byteLength : -1, chunkLengths: command.req.records.chunks.map((c) => c.byteLength) };
    const records = { chunks: [], count: command.req.records.count };
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
  const take = (length: number): Uint8Array => {
    const view = batch.payload.subarray(at, at + length);
    at += length;
    return view;
  };
  for (const command of commands) {
    if (!command.bytes || (command.op !== "append" && command.op !== "create")) continue;
    if (command.op === "append" && command.bytes.keyLength >= 0) command.req.routingKey = take(command.bytes.keyLength);
    command.req.records.chunks = command.bytes.chunkLengths.map(take);
    delete command.bytes;
  }
  return commands;
}
