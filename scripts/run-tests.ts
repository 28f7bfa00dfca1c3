// `npm test`: the type check, the project's own tests (bun test) and the external
// conformance suite (vitest), then one closing line `N passed, N failed` summed over all
// runners. Exits non-zero when anything failed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
const results = join(root, "test-results");

interface Tally {
  runner: string;
  passed: number;
  failed: number;
  skipped: number;
}

function run(command: string, args: string[]): number {
  const child = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  return child.status ?? 1;
}

function typecheck(): Tally {
  console.log("\n== type check (tsc --noEmit) ==");
  const ok = run(bin("tsc"), ["--noEmit", "-p", "."]) === 0;
  return { runner: "tsc", passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 };
}

function bunTests(): Tally {
  console.log("\n== bun test ==");
  const report = join(results, "bun.xml");
  const status = run(bin("bun"), ["test", "--reporter=junit", `--reporter-outfile=${report}`]);
  if (!existsSync(report)) return { runner: "bun test", passed: 0, failed: 1, skipped: 0 };
  const head = /<testsuites[^>]*>/.exec(readFileSync(report, "utf8"))?.[0] ?? "";
  const count = (name: string): number => Number(new RegExp(`${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
  const tests = count("tests");
  const failed = count("failures") + count("errors");
  const skipped = count("skipped");
  // A crash or a file that failed to load can leave the report short of failures.
  const extra = status !== 0 && failed === 0 ? 1 : 0;
  return { runner: "bun test", passed: tests - failed - skipped, failed: failed + extra, skipped };
}

function conformance(): Tally {
  console.log("\n== conformance suite (vitest) ==");
  const report = join(results, "conformance.json");
  const status = run(bin("vitest"), [
    "run",
    "-c",
    "vitest.conformance.config.ts",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ]);
  if (!existsSync(report)) return { runner: "vitest", passed: 0, failed: 1, skipped: 0 };
  const json = JSON.parse(readFileSync(report, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  const extra = status !== 0 && json.numFailedTests === 0 ? 1 : 0;
  return {
    runner: "vitest",
    passed: json.numPassedTests,
    failed: json.numFailedTests + extra,
    skipped: json.numPendingTests + json.numTodoTests,
  };
}

rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const tallies = [typecheck(), bunTests(), conformance()];
console.log("\n== summary ==");
for (const t of tallies) console.log(`${t.runner}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
const passed = tallies.reduce((n, t) => n + t.passed, 0);
const failed = tallies.reduce((n, t) => n + t.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
