// Zod pieces profile documents share, with the wording of spec 03 §3.
import { z } from "zod";
import { refuse } from "../util/doc-issues.ts";

/** A list of strings, at most `max`, each trimmed (and `lowerCase`d if asked), none empty, duplicates dropped. */
export function stringList(max: number, lowerCase = false) {
  return z.unknown().transform((value, ctx) => {
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) return refuse(ctx, "must be an array of strings");
    if (value.length > max) return refuse(ctx, `too large (max ${max})`);
    const out: string[] = [];
    for (const item of value as string[]) {
      const trimmed = lowerCase ? item.trim().toLowerCase() : item.trim();
      if (trimmed === "") return refuse(ctx, "must not contain empty strings");
      if (!out.includes(trimmed)) out.push(trimmed);
    }
    return out;
  });
}

export const booleanField = z.boolean({ error: "must be boolean" });

/** The document's kind: the literal, with the message the spec gives for another one. */
export const kindField = <K extends string>(kind: K) => z.literal(kind, { error: `must be ${kind}` });
