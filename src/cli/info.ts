import type { Command } from 'commander';
import { readManifest } from '../trace/manifest.js';
import { formatDuration } from '../scenario/duration.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show a trace\'s manifest: scenario, seed, versions, tables, rows, hashes')
    .argument('<trace-dir>', 'trace directory')
    .option('--json', 'print the manifest as JSON')
    .action((dir: string, flags: { json?: boolean }) => {
      process.stdout.write(describeTrace(dir, flags.json === true));
    });
}

export function describeTrace(dir: string, json: boolean): string {
  const manifest = readManifest(dir);
  if (json) return JSON.stringify(manifest, null, 2) + '\n';
  const scenario = manifest.scenario as { name?: string; durationNs?: number; vms?: { name: string; ecu: string }[] };
  const lines = [
    `trace      ${dir}`,
    `complete   ${manifest.complete ? 'yes' : 'NO (the recording did not finish; the tables hold what was written)'}`,
    `scenario   ${scenario.name ?? '?'}${scenario.durationNs !== undefined ? `, ${formatDuration(scenario.durationNs)}` : ''}`,
    `seed       ${manifest.seed}`,
    `tool       ${manifest.tool.name} ${manifest.tool.version}, core ${manifest.coreVersion}`,
    `recorded   ${manifest.createdAt}`,
  ];
  if (scenario.vms) lines.push(`vms        ${scenario.vms.map((vm) => `${vm.name} (${vm.ecu})`).join(', ')}`);
  lines.push('tables');
  for (const [name, t] of Object.entries(manifest.tables)) {
    lines.push(`  ${name.padEnd(8)} ${String(t.rows).padStart(10)} rows ${String(t.batches).padStart(5)} batches  ${t.file.padEnd(13)} sha256 ${t.sha256}`);
  }
  return lines.join('\n') + '\n';
}
