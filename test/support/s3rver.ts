// An S3 protocol server (s3rver) on loopback, as a Node child process, with one bucket.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { makeTempDir, removeDir, REPO_ROOT } from "./server-process.ts";

export interface S3Fixture {
  endpoint: string;
  bucket: string;
  /** Environment for a server started with `--object-store r2` against this fixture. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3rver(bucket = "streams-test"): Promise<S3Fixture> {
  const directory = makeTempDir("ds-s3rver-");
  // s3rver signs list continuation tokens with a cipher OpenSSL 3 keeps in its legacy provider.
  const child = spawn("node", ["--openssl-legacy-provider", join(REPO_ROOT, "test/support/s3rver-main.mjs"), directory, bucket], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}:\n${output}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      DURABLE_STREAMS_R2_BUCKET: bucket,
      DURABLE_STREAMS_R2_ACCOUNT_ID: "local-test",
      DURABLE_STREAMS_R2_ACCESS_KEY_ID: "S3RVER",
      DURABLE_STREAMS_R2_SECRET_ACCESS_KEY: "S3RVER",
      DURABLE_STREAMS_R2_ENDPOINT: endpoint,
    },
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      removeDir(directory);
    },
  };
}
