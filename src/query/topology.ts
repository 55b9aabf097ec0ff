// `vms` and `devices`: small lookup tables built from the scenario in the manifest, so queries
// can show names instead of indices (JOIN vms USING (vm)). Traces without a platform scenario
// (imported logs) get the tables empty. A device's type is a closed set: an ENUM, as the trace
// tables' closed sets are (principle 7).

import type { DuckDBConnection } from '@duckdb/node-api';
import { scenarioSchema } from '../scenario/schema.js';
import { deviceEntries, vmEntries, type DeviceEntry } from '../scenario/topology.js';

export const DEVICE_TYPES = ['console', 'net', 'can'] as const satisfies readonly DeviceEntry['type'][];

export const TOPOLOGY_TABLES = {
  vms: 'vm SMALLINT, name VARCHAR, ecu VARCHAR, vcpus SMALLINT, priority SMALLINT, program VARCHAR',
  devices: 'dev SMALLINT, vm SMALLINT, type device_type, address VARCHAR',
} as const;

export async function createTopologyTables(connection: DuckDBConnection, scenario: unknown): Promise<void> {
  const types = DEVICE_TYPES.map((t) => `'${t}'`).join(', ');
  await connection.run(`CREATE TYPE device_type AS ENUM (${types})`);
  for (const [name, columns] of Object.entries(TOPOLOGY_TABLES)) {
    await connection.run(`CREATE TABLE ${name} (${columns})`);
  }
  const parsed = scenarioSchema.safeParse(scenario);
  if (!parsed.success) return;
  for (const v of vmEntries(parsed.data)) {
    await connection.run('INSERT INTO vms VALUES ($1, $2, $3, $4, $5, $6)', [v.vm, v.name, v.ecu, v.vcpus, v.priority, v.program]);
  }
  for (const d of deviceEntries(parsed.data)) {
    await connection.run('INSERT INTO devices VALUES ($1, $2, $3, $4)', [d.dev, d.vm, d.type, d.address]);
  }
}
