// `record --fault <type>[:key=value,…]` (issue 9 §5): the command-line form of one entry of the
// scenario's `faults[]`, parsed into the same object and checked by the same zod schema, so the
// two forms take the same fields (`--fault link_loss:mac=02:00:00:00:00:01,at=2s,for=500ms`).
// Values are strings (durations as in the scenario: "2s", "500ms") or integers.

import { UsageError } from '../cli/errors.js';
import { formatPath } from '../scenario/field-path.js';
import { faultSchema } from '../scenario/schema.js';

/** One --fault as given and as the scenario object it stands for. */
export interface CliFault {
  spec: string;
  fault: Record<string, string | number>;
}

const INTEGER = /^[+-]?\d+$/;

function value(text: string): string | number {
  return INTEGER.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

/** `type:key=value,…` -> {type, key: value, …}; a malformed spec is a UsageError naming it. */
export function parseFaultSpec(spec: string): CliFault {
  const colon = spec.indexOf(':');
  const type = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const where = `--fault ${spec}`;
  if (type === '') throw new UsageError(`--fault "${spec}": expected <type>[:key=value,…], e.g. link_loss:ppm=200000`);
  const fault: Record<string, string | number> = { type };
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  for (const pair of rest === '' ? [] : rest.split(',')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (eq < 0 || key === '') {
      throw new UsageError(`${where}: expected key=value, got "${pair}" (e.g. ${type}:at=2s,for=500ms)`);
    }
    if (key in fault) throw new UsageError(`${where}: ${key}: given twice`);
    fault[key] = value(pair.slice(eq + 1).trim());
  }
  const parsed = faultSchema.safeParse(fault);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${where}: ${i.path.length === 0 ? '' : `${formatPath(i.path)}: `}${i.message}`);
    throw new UsageError(lines.join('\n'));
  }
  return { spec, fault };
}
