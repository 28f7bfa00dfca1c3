// Goal: core code dispatches on profile capabilities, never on kind strings: outside
// src/profiles/ no source file spells a profile kind as a string literal.
// Method: scan every .ts file under src/ except src/profiles/ for quoted kinds.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { profileKinds } from "../../src/profiles/index.ts";

const SRC = join(import.meta.dir, "../../src");
const PROFILES_DIR = join(SRC, "profiles");
/** Registered kinds, plus those the spec names that may be registered later. */
const KINDS = [...new Set([...profileKinds(), "otel-traces", "queue"])];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === PROFILES_DIR ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const literal = (kind: string) => new RegExp(`["'\`]${kind.replace(/[-]/g, "\\-")}["'\`]`);

test("the scan finds a quoted kind where there is one", () => {
  expect(literal("evlog").test('if (row.profile === "evlog") {')).toBe(true);
  expect(literal("metrics").test('app.all("/metrics", handler)')).toBe(false);
});

test("no kind literal outside src/profiles/", () => {
  const files = sourceFiles(SRC);
  expect(files.length).toBeGreaterThan(20);
  const offenders = files.flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return KINDS.filter((kind) => literal(kind).test(text)).map((kind) => `${relative(SRC, file)}: "${kind}"`);
  });
  expect(offenders).toEqual([]);
});
