// S3-compatible object storage (Cloudflare R2 by default; MinIO, s3rver or AWS S3 through
// an explicit endpoint with path-style addressing), with @aws-sdk/client-s3. Uploads of
// files and downloads to files are streamed.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ObjectStore, StoredObject } from "./object-store.ts";

export interface S3StoreOptions {
  bucket: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Any S3-compatible endpoint; default the R2 endpoint of `accountId`. */
  endpoint?: string;
  region: string;
}

function isMissing(error: unknown): boolean {
  if (error instanceof NoSuchKey || error instanceof NotFound) return true;
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404;
}

let tempCounter = 0;

export class S3ObjectStore implements ObjectStore {
  readonly kind = "r2";
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint ?? `https://${options.accountId}.r2.cloudflarestorage.com`,
      // Path-style (`endpoint/bucket/key`) works with R2 and every S3-compatible server.
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // The uploader has its own retry policy with backoff; one attempt per call here.
      maxAttempts: 1,
      // The SDK's default streamed-upload checksums use aws-chunked trailers that R2 and
      // many S3-compatible servers do not accept; checksum only where the API needs it.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  async put(key: string, body: Uint8Array): Promise<StoredObject> {
    const result = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength }));
    return { size: body.byteLength, etag: result.ETag ?? "" };
  }

  async putFile(key: string, path: string): Promise<StoredObject> {
    const size = (await stat(path)).size;
    const result = await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: createReadStream(path), ContentLength: size }),
    );
    return { size, etag: result.ETag ?? "" };
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Uint8Array | null> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return result.Body ? await result.Body.transformToByteArray() : new Uint8Array(0);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async getToFile(key: string, path: string): Promise<boolean> {
    let body: Readable;
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      body = result.Body as Readable;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.tmp-${process.pid}-${++tempCounter}`;
    try {
      await pipeline(body, createWriteStream(temp));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return true;
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: result.ContentLength ?? 0, etag: result.ETag ?? "" };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
}
