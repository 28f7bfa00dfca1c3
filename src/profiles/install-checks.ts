// Install preconditions several profiles share, worded as spec 03 §3 words them.
import { isJsonType } from "../engine/content-types.ts";
import type { InstallContext } from "./profile.ts";

/** Profiles whose records are JSON refuse streams of any other type. */
export function requireJsonStream(kind: string, ctx: InstallContext): string | null {
  return isJsonType(ctx.contentType) ? null : `${kind} profile requires application/json stream content-type`;
}

/** A profile that reshapes every record must see all of them: only an empty stream (or a re-install). */
export function requireEmptyUnlessReinstall(kind: string, ctx: InstallContext): string | null {
  return ctx.currentKind !== kind && ctx.nextOffset > 0 ? `${kind} profile must be installed before appending data` : null;
}
