// `generic` (spec 03 §3.1): plain durable stream semantics, the default of every stream.
// No configuration, no content-type rule, no ingest hook; a schema, if any, is the user's.
import { kindField } from "./doc-fields.ts";
import { closedObject } from "../util/doc-issues.ts";
import type { ProfileDefinition } from "./profile.ts";

const KIND = "generic";

export const genericProfile: ProfileDefinition<{ kind: typeof KIND }> = {
  kind: KIND,
  document: closedObject({ kind: kindField(KIND) }),
  install: () => null,
};
