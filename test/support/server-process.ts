// Spawns the real server (`bun run src/server.ts`) on a free loopback port with its own data
// directory, for black-box tests under bun test and vitest alike.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BUN = join(REPO_ROOT, "node_modules", ".bin", "bun");

export interface ServerProcess {
  url: string;
  port: number;
  root: string;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  root?: string;
  env?: Record<string, string>;
  args?: string[];
  port?: number;
  startTimeoutMs?: number;
}

export function makeTempDir(prefix = "ds-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  const root = options.root ?? makeTempDir();
  const child = spawn(BUN, ["run", join(REPO_ROOT, "src/server.ts"), ...(options.args ?? ["--no-auth"])], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DS_HOST: "127.0.0.1",
      PORT: String(options.port ?? 0),
      DS_ROOT: root,
      DS_LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start:\n${output}`));
    }, options.startTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    root,
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
