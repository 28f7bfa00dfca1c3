// `state-protocol` (spec 03 §3.5): streams of State Protocol change and control records.
// The document carries the touch configuration (state-protocol/touch-config.ts); appends
// are checked record by record (state-protocol/change-record.ts) and stored unchanged.
// The schema registry stays the user's. The live `/touch/*` routes come with the live
// issue; until then they answer 404 like any unknown sub-resource.
import { closedObject } from "../util/doc-issues.ts";
import { kindField } from "./doc-fields.ts";
import { requireJsonStream } from "./install-checks.ts";
import type { ProfileDefinition } from "./profile.ts";
import { checkStateRecord } from "./state-protocol/change-record.ts";
import { touchConfig, type TouchConfig } from "./state-protocol/touch-config.ts";

const KIND = "state-protocol";

interface StateProtocolDocument {
  kind: typeof KIND;
  touch?: TouchConfig;
}

export const stateProtocolProfile: ProfileDefinition<StateProtocolDocument> = {
  kind: KIND,
  document: closedObject({ kind: kindField(KIND), touch: touchConfig.optional() }),
  install: (ctx) => requireJsonStream(KIND, ctx),
  prepareRecord(_doc, record) {
    const refusal = checkStateRecord(record);
    return refusal === null ? { ok: true, value: record, routingKey: null } : { ok: false, message: refusal };
  },
};
