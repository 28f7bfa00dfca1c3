// Turning zod issues into the messages documents are refused with: the field's dotted
// path after a prefix, then what is wrong (`profile.redactKeys too large (max 64)`), or
// `<path>.<key> is not supported` for a key the document may not have. Zod schemas that
// use this give their issues the wording after the path as their message.
import { z } from "zod";

type Issue = z.core.$ZodIssue;

function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter((part) => part !== "").join(".");
}

export function issueMessage(prefix: string, issue: Issue): string {
  if (issue.code === "unrecognized_keys") return `${pathOf(prefix, [...issue.path, issue.keys[0]!])} is not supported`;
  return `${pathOf(prefix, issue.path)} ${issue.message}`;
}

/** The message for a failed parse: unknown keys first (outermost first), then the first other issue. */
export function firstIssueMessage(prefix: string, error: z.ZodError): string {
  const unknownKeys = error.issues.filter((i) => i.code === "unrecognized_keys").sort((a, b) => a.path.length - b.path.length);
  return issueMessage(prefix, unknownKeys[0] ?? error.issues[0]!);
}

/** An object that refuses keys it does not declare, and says "must be an object" otherwise. */
export function closedObject<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, { error: (issue) => (issue.code === "invalid_type" ? "must be an object" : undefined) });
}

/** Adds an issue at `path` (relative to the value being transformed) and yields zod's NEVER. */
export function refuse(ctx: z.RefinementCtx, message: string, path: PropertyKey[] = []): never {
  ctx.addIssue({ code: "custom", message, path });
  return z.NEVER;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
