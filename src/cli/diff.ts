// `tracevisor diff <a> <b>`: options and dispatch; the work is in src/replay/diff*.ts.
import type { Command } from 'commander';
import { RunsDiffer } from './errors.js';

interface DiffFlags {
  named?: string;
  skip?: boolean;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare two traces: the first divergent row, then rows per table and event kind, and per VM, for both')
    .argument('<a>', 'trace directory')
    .argument('<b>', 'trace directory')
    .option('-n, --named <query>', 'also run this named query (see `tracevisor queries`) on both, side by side')
    .option('--no-skip', 'read and verify both traces whole instead of skipping the batches their digests show identical')
    .addHelpText('after', '\nExit status: 0 the traces are identical, 3 they differ, 2 bad input.')
    .action(async (a: string, b: string, flags: DiffFlags) => {
      const { diffTraces } = await import('../replay/diff.js');
      const { diffReport, sideBySide, DIFF_LABELS } = await import('../replay/diff-report.js');
      const warn = (line: string): void => void process.stderr.write(`tracevisor: warning: ${line}\n`);
      const diff = diffTraces(a, b, warn, { skip: flags.skip !== false });
      process.stdout.write(diffReport(diff));
      if (flags.named !== undefined) {
        const { runQuery } = await import('./query.js');
        const query = { named: flags.named, format: 'table' };
        const [left, right] = [await runQuery(a, undefined, query), await runQuery(b, undefined, query)];
        process.stdout.write(`\n${flags.named}:\n${sideBySide(left, right, DIFF_LABELS)}`);
      }
      if (diff.first !== null) throw new RunsDiffer('traces differ');
    });
}
