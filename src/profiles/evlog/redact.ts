// Redaction of an evlog record's `context` tree (spec 03 §3.2.4): a property whose key,
// lower-cased, is in the key set has its whole value replaced, and its dotted path (the
// original casing, in traversal order) is reported. Reserved top-level fields are never
// passed here. Changes `context` in place (it is the record's own copy).

export const REDACTED = "[REDACTED]";
export const DEFAULT_REDACT_KEYS: readonly string[] = ["password", "token", "secret", "authorization", "cookie", "apikey"];

/** Redacts in place; returns the redacted paths. `keys` must be lower-case. */
export function redactContext(context: Record<string, unknown>, keys: ReadonlySet<string>): string[] {
  const paths: string[] = [];
  walk(context, "", keys, paths);
  return paths;
}

function walk(node: unknown, prefix: string, keys: ReadonlySet<string>, paths: string[]): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) walk(node[i], `${prefix}${i}.`, keys, paths);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const object = node as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (keys.has(key.toLowerCase())) {
      object[key] = REDACTED;
      paths.push(prefix + key);
    } else {
      walk(object[key], `${prefix}${key}.`, keys, paths);
    }
  }
}
