// The scenario file format as a JSON Schema (draft 2020-12), generated from the zod schema so the
// two cannot drift: `tracevisor scenarios --schema` prints it, and a scenario file that names it
// in "$schema" gets completion and checks in an editor. It describes the input side — durations
// as integer ns or a string with a unit — and the field ranges; cross-field rules (unique names,
// bus load, memory) are checked only when tracevisor loads the file.

import { z } from 'zod';
import { scenarioSchema } from './schema.js';

export function scenarioJsonSchema(): Record<string, unknown> {
  const options = { io: 'input', unrepresentable: 'any' } as const;
  const schema = z.toJSONSchema(scenarioSchema, options) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'tracevisor scenario',
    description:
      'A virtual platform: VMs, devices, CAN buses and ECUs, and the guest programs that drive them.',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
