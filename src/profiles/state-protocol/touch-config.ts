// The `touch` configuration of a state-protocol profile (spec 03 §3.5.1). Disabled touch
// is stored as `{"enabled":false}` whatever else was sent; enabled touch is validated key
// by key and stored fully expanded with defaults. Values go through Number(), as upstream
// does, so numeric strings are accepted.
import { z } from "zod";
import { isPlainObject, refuse } from "../../util/doc-issues.ts";

type Rule = { default: number; integer: boolean; min: number; minExclusive: boolean; max?: number; say: string };

const positive = (value: number, integer = false): Rule => ({ default: value, integer, min: 0, minExclusive: true, say: `must be ${integer ? "an integer" : "a number"} > 0` });
const nonNegative = (value: number, integer = true): Rule => ({ default: value, integer, min: 0, minExclusive: false, say: `must be ${integer ? "an integer" : "a number"} >= 0` });
const between = (value: number, min: number, max: number): Rule => ({ default: value, integer: true, min, minExclusive: false, max, say: `must be an integer in [${min},${max}]` });

const TOP: Record<string, Rule> = {
  coarseIntervalMs: positive(100),
  touchCoalesceWindowMs: positive(100),
  lagDegradeFineTouchesAtSourceOffsets: nonNegative(5000),
  lagRecoverFineTouchesAtSourceOffsets: nonNegative(1000),
  fineTouchBudgetPerBatch: nonNegative(2000),
  fineTokensPerSecond: nonNegative(200_000),
  fineBurstTokens: nonNegative(400_000),
  lagReservedFineTouchBudgetPerBatch: nonNegative(200),
};
const MEMORY: Record<string, Rule> = {
  bucketMs: positive(100, true),
  filterPow2: between(22, 10, 30),
  k: between(4, 1, 8),
  pendingMaxKeys: positive(100_000, true),
  keyIndexMaxKeys: between(32, 1, 1024),
  hotKeyTtlMs: positive(10_000, true),
  hotTemplateTtlMs: positive(10_000, true),
  hotMaxKeys: positive(1_000_000, true),
  hotMaxTemplates: positive(4096, true),
};
const TEMPLATES: Record<string, Rule> = {
  defaultInactivityTtlMs: nonNegative(3_600_000, false),
  lastSeenPersistIntervalMs: positive(300_000),
  gcIntervalMs: positive(60_000),
  maxActiveTemplatesPerEntity: positive(256),
  maxActiveTemplatesPerStream: positive(2048),
  activationRateLimitPerMinute: nonNegative(100, false),
};
const MISSING_BEFORE = ["coarse", "skipBefore", "error"];
const TOP_KEYS = new Set(["enabled", "onMissingBefore", "memory", "templates", ...Object.keys(TOP)]);

export type TouchConfig = { enabled: false } | ({ enabled: true; onMissingBefore: string; memory: Record<string, number>; templates: Record<string, number> } & Record<string, unknown>);

function check(rule: Rule, raw: unknown): number | null {
  const n = raw === undefined ? rule.default : Number(raw);
  if (!Number.isFinite(n) || (rule.integer && !Number.isInteger(n))) return null;
  if (rule.minExclusive ? n <= rule.min : n < rule.min) return null;
  return rule.max !== undefined && n > rule.max ? null : n;
}

/** Each key of `input` validated by its rule, unknown keys refused; null after adding the issue. */
function section(ctx: z.RefinementCtx, input: unknown, rules: Record<string, Rule>, path: string[]): Record<string, number> | null {
  const issue = (message: string, at: string[]) => {
    ctx.addIssue({ code: "custom", message, path: at });
    return null;
  };
  if (input === undefined) input = {};
  if (!isPlainObject(input)) return issue("must be an object", path);
  for (const key of Object.keys(input)) if (!Object.hasOwn(rules, key)) return issue("is not supported", [...path, key]);
  const out: Record<string, number> = {};
  for (const [key, rule] of Object.entries(rules)) {
    const value = check(rule, input[key]);
    if (value === null) return issue(rule.say, [...path, key]);
    out[key] = value;
  }
  return out;
}

export const touchConfig = z.unknown().transform((input, ctx): TouchConfig => {
  if (!isPlainObject(input)) return refuse(ctx, "must be an object");
  for (const key of Object.keys(input)) if (!TOP_KEYS.has(key)) return refuse(ctx, "is not supported", [key]);
  if (!input.enabled) return { enabled: false };
  const top = section(ctx, Object.fromEntries(Object.keys(TOP).map((k) => [k, input[k]])), TOP, []);
  if (!top) return z.NEVER;
  const onMissingBefore = input.onMissingBefore ?? "coarse";
  if (typeof onMissingBefore !== "string" || !MISSING_BEFORE.includes(onMissingBefore)) {
    return refuse(ctx, `must be ${MISSING_BEFORE.join("|")}`, ["onMissingBefore"]);
  }
  const memory = section(ctx, input.memory, MEMORY, ["memory"]);
  if (!memory) return z.NEVER;
  const templates = section(ctx, input.templates, TEMPLATES, ["templates"]);
  if (!templates) return z.NEVER;
  return { enabled: true, ...top, onMissingBefore, memory, templates };
});
