// The local object store: objects are files under a root directory, written atomically
// (temp file, fsync, rename, fsync of the directory), so they survive restarts, unlike
// the upstream in-memory mock. The embedded default.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { fsyncDirectory } from "../segment/file.ts";
import { sha256Hex, type ObjectStore, type StoredObject } from "./object-store.ts";

let tempCounter = 0;

export class LocalObjectStore implements ObjectStore {
  readonly kind = "local";

  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    if (key.split("/").some((part) => part === ".." || part === "")) throw new Error(`invalid object key ${key}`);
    return join(this.root, ...key.split("/"));
  }

  private async writeAtomically(path: string, write: (temp: string) => Promise<string>): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.tmp-${process.pid}-${++tempCounter}`;
    try {
      const etag = await write(temp);
      const handle = await open(temp, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      fsyncDirectory(dirname(path));
      return etag;
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  localFile(key: string): string | null {
    const path = this.pathOf(key);
    return existsSync(path) ? path : null;
  }

  async put(key: string, body: Uint8Array): Promise<StoredObject> {
    const etag = await this.writeAtomically(this.pathOf(key), async (temp) => {
      await Bun.write(temp, body);
      return sha256Hex(body);
    });
    return { size: body.byteLength, etag };
  }

  async putFile(key: string, path: string): Promise<StoredObject> {
    const etag = await this.writeAtomically(this.pathOf(key), (temp) => copyHashing(path, temp));
    return { size: (await stat(path)).size, etag };
  }

  // Reads treat a file that is missing when opened as an absent object: checking first and
  // opening after left a window in which a concurrent delete made the read throw ENOENT.

  get(key: string, range?: { start: number; end: number }): Promise<Uint8Array | null> {
    const file = Bun.file(this.pathOf(key));
    const slice = range ? file.slice(range.start, range.end + 1) : file;
    return unlessMissing(async () => new Uint8Array(await slice.arrayBuffer()), null);
  }

  getToFile(key: string, path: string): Promise<boolean> {
    const source = this.pathOf(key);
    return unlessMissing(async () => {
      await this.writeAtomically(path, (temp) => copyHashing(source, temp));
      return true;
    }, false);
  }

  head(key: string): Promise<StoredObject | null> {
    const path = this.pathOf(key);
    return unlessMissing(async () => {
      const info = await stat(path);
      return { size: info.size, etag: `${info.size}-${Math.floor(info.mtimeMs)}` };
    }, null);
  }

  async list(prefix: string): Promise<string[]> {
    if (!existsSync(this.root)) return [];
    const keys: string[] = [];
    for (const entry of await readdir(this.root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.includes(".tmp-")) continue;
      const key = relative(this.root, join(entry.parentPath, entry.name)).split(sep).join("/");
      if (key.startsWith(prefix)) keys.push(key);
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

async function unlessMissing<T>(read: () => Promise<T>, missing: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if ((error as { code?: string } | null)?.code === "ENOENT") return missing;
    throw error;
  }
}

/** Copies a file while hashing it; returns the SHA-256 hex. */
async function copyHashing(from: string, to: string): Promise<string> {
  const hash = createHash("sha256");
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), tap, createWriteStream(to));
  return hash.digest("hex");
}
