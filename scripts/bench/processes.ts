// Process handling for the benchmark: spawning the trivial server (the real one comes from
// test/support/server-process.ts) and sampling a process's memory from /proc.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/support/server-process.ts";

const BUN = join(REPO_ROOT, "node_modules", ".bin", "bun");
const START_TIMEOUT_MS = 20_000;

export interface TrivialServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Reads the child's stdout until the `{"url": ...}` line; rejects on exit or timeout. */
async function waitForUrl(stdout: ReadableStream<Uint8Array>, exited: Promise<number>): Promise<string> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`trivial server did not start:\n${seen}`)), START_TIMEOUT_MS);
  });
  const died = exited.then((code) => Promise.reject(new Error(`trivial server exited with ${code}:\n${seen}`)));
  const scan = async (): Promise<string> => {
    for (let i = 0; i < 1000; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
      const match = /"url":"(http:\/\/[^"]+)"/.exec(seen);
      if (match) return match[1]!;
    }
    throw new Error(`trivial server printed no url:\n${seen}`);
  };
  try {
    return await Promise.race([scan(), timeout, died]);
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => {}); // nothing more to read; the server prints one line
  }
}

export async function startTrivialServer(): Promise<TrivialServer> {
  const child = Bun.spawn([BUN, "run", join(REPO_ROOT, "scripts/bench/trivial-server.ts")], {
    cwd: REPO_ROOT,
    env: { ...process.env, DS_HOST: "127.0.0.1", PORT: "0" },
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const url = await waitForUrl(child.stdout, child.exited);
    return {
      url,
      pid: child.pid,
      stop: async () => {
        if (child.exitCode === null) child.kill("SIGTERM");
        await child.exited;
      },
    };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

/** A `/proc/<pid>/status` field in MiB (the kernel reports kB), or null once the process is gone. */
export function procStatusMiB(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface MemorySampler {
  /** Stops sampling; returns the highest sampled VmRSS and the kernel's VmHWM (peak RSS). */
  finish(): { maxSampledRssMiB: number; vmHwmMiB: number | null };
}

export function sampleMemory(pid: number, intervalMs = 200): MemorySampler {
  let max = 0;
  const sample = (): void => {
    max = Math.max(max, procStatusMiB(pid, "VmRSS") ?? 0);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    finish: () => {
      clearInterval(timer);
      sample();
      return { maxSampledRssMiB: max, vmHwmMiB: procStatusMiB(pid, "VmHWM") };
    },
  };
}
