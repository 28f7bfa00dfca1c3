// JSON pointers (RFC 6901): `""` is the whole document, `/a/b` walks object members and
// array indexes, `~1` stands for `/` and `~0` for `~`. Pure.

/** The unescaped segments of `pointer`, or null when it is neither "" nor starts with "/". */
export function parsePointer(pointer: string): string[] | null {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return null;
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function formatPointer(segments: readonly string[]): string {
  return segments.map((s) => "/" + s.replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

const INDEX = /^(0|[1-9][0-9]*)$/;

/** What `segments` point at in `value`; `found` is false when any step is missing. */
export function resolvePointer(value: unknown, segments: readonly string[]): { found: true; value: unknown } | { found: false } {
  let current = value;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!INDEX.test(segment)) return { found: false };
      const index = Number(segment);
      if (index >= current.length) return { found: false };
      current = current[index];
    } else if (current !== null && typeof current === "object") {
      if (!Object.hasOwn(current, segment)) return { found: false };
      current = (current as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}
