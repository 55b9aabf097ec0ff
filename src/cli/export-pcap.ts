// `tracevisor export pcap <trace-dir> -o run.pcapng` and `tracevisor export candump <trace-dir>
// -o can.log` (issue 12 §2): the `frames` table as a pcapng capture (src/formats/pcapng) and its
// CAN frames as a candump -l log (src/formats/candump-export.ts). The trace is read verified, as
// `query` reads it: a damaged trace is the same one-line error. --filter takes link and bus
// names (the interface names, src/trace/frames-read.ts; an unknown one is refused with the list),
// --from/--to a window of virtual time. `-o -` writes to stdout (the summary then goes to stderr).

import type { Command } from 'commander';
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { parseDuration } from '../scenario/duration.js';
import { openCheckedTrace, type CheckedTrace } from '../trace/open.js';
import { frameInterfaces, type FrameInterface, type FrameSelection } from '../trace/frames-read.js';
import { exportPcapng } from '../formats/pcapng/export.js';
import { exportCandump } from '../formats/candump-export.js';
import { packageInfo } from '../util/package-root.js';
import { collect } from './options.js';
import { fileError, UsageError } from './errors.js';

interface FramesExportFlags {
  output: string;
  filter: string[];
  from?: string;
  to?: string;
  force?: boolean;
  json?: boolean;
  trust?: boolean;
  salvage?: boolean;
}

const STDOUT = '-';

/** Registers `export pcap` and `export candump` under the `export` command. */
export function registerFrameExports(command: Command): void {
  withFrameOptions(command.command('pcap'))
    .description('write the frames table as a pcapng capture for Wireshark/tshark (one interface per Ethernet link and CAN bus)')
    .requiredOption('-o, --output <file>', 'pcapng file to write; - writes to stdout')
    .action((dir: string, flags: FramesExportFlags) => void runFramesExport(dir, flags, 'pcap'));
  withFrameOptions(command.command('candump'))
    .description('write the CAN frames of the frames table as a candump -l log (what record --can-input reads)')
    .requiredOption('-o, --output <file>', 'log file to write; - writes to stdout')
    .action((dir: string, flags: FramesExportFlags) => void runFramesExport(dir, flags, 'candump'));
}

function withFrameOptions(c: Command): Command {
  return c
    .argument('<trace-dir>', 'trace directory')
    .option('--filter <name>', 'only this link or bus (an interface name such as gateway-eth0 or can0; repeatable)', collect, [])
    .option('--from <time>', 'only frames from this virtual time on (e.g. 2s, 1500ms)')
    .option('--to <time>', 'only frames before this virtual time')
    .option('-f, --force', 'replace an existing file')
    .option('--json', 'print the summary as one JSON object')
    .option('--trust', 'skip the content hash check of the trace files (as query --trust)')
    .option('--salvage', 'export the intact part of a damaged or cut trace (as query --salvage)');
}

export interface FramesExportSummary {
  output: string;
  frames: number;
  bytes: number;
  interfaces: string[];
}

/** Runs one export and prints its summary (stdout; stderr when the data goes to stdout). */
export function runFramesExport(dir: string, flags: FramesExportFlags, format: 'pcap' | 'candump'): FramesExportSummary {
  const toStdout = flags.output === STDOUT;
  if (toStdout && flags.json === true) throw new UsageError('--json and -o - both write to stdout; -o a file to get the JSON summary');
  if (!toStdout) checkOutput(flags);
  if (flags.trust === true && flags.salvage === true) throw new UsageError('--trust and --salvage: give one of them');
  const checked = openCheckedTrace(dir, flags.salvage === true ? 'salvage' : flags.trust === true ? 'trust' : 'verify');
  for (const warning of checked.warnings) process.stderr.write(`tracevisor: ${dir}: ${warning}\n`);
  const selection = selectionOf(dir, checked, flags, format);
  const summary = writeExport(checked, selection, flags.output, format);
  const line = `exported ${summary.frames} ${format === 'pcap' ? 'frames' : 'CAN frames'} (${summary.bytes} bytes) ` +
    `from ${summary.interfaces.join(', ')} -> ${toStdout ? 'stdout' : flags.output}\n`;
  if (toStdout) process.stderr.write(line);
  else process.stdout.write(flags.json === true ? `${JSON.stringify(summary)}\n` : line);
  return summary;
}

function checkOutput(flags: FramesExportFlags): void {
  if (!existsSync(flags.output)) return;
  if (statSync(flags.output).isDirectory()) throw new UsageError(`${flags.output}: is a directory; -o takes a file name`);
  if (flags.force !== true) throw new UsageError(`${flags.output} exists; use --force to replace it, or -o another file`);
}

function selectionOf(dir: string, checked: CheckedTrace, flags: FramesExportFlags, format: 'pcap' | 'candump'): FrameSelection {
  const { manifest } = checked.trace;
  if (manifest.frames === 'off') {
    throw new UsageError(`${dir}: recorded with --no-frames, so its frames table is empty; record it again without --no-frames to export frames`);
  }
  const all = frameInterfaces(manifest).filter((f) => format === 'pcap' || f.kind === 'can');
  if (all.length === 0) {
    const what = format === 'pcap' ? 'no Ethernet link or CAN bus' : 'no CAN bus';
    throw new UsageError(`${dir}: the trace's scenario has ${what}; nothing to export`);
  }
  const fromNs = timeOption('--from', flags.from, 0);
  const toNs = timeOption('--to', flags.to, Number.MAX_SAFE_INTEGER);
  if (toNs <= fromNs) throw new UsageError(`--to ${flags.to} is not after --from ${flags.from ?? '0'}; give a window that holds time`);
  return { interfaces: pickInterfaces(all, flags.filter), fromNs: BigInt(fromNs), toNs: BigInt(toNs) };
}

function pickInterfaces(all: FrameInterface[], names: readonly string[]): FrameInterface[] {
  if (names.length === 0) return all;
  for (const name of names) {
    if (!all.some((f) => f.name === name)) {
      throw new UsageError(`--filter ${name}: no such link or bus in this trace; it has ${all.map((f) => f.name).join(', ')}`);
    }
  }
  return all.filter((f) => names.includes(f.name));
}

function timeOption(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ns = parseDuration(text);
  if (ns === null) throw new UsageError(`${option}: expected a virtual time such as 2s or 1500ms, got "${text}"`);
  return ns;
}

function writeExport(checked: CheckedTrace, selection: FrameSelection, output: string, format: 'pcap' | 'candump'): FramesExportSummary {
  const toStdout = output === STDOUT;
  const temp = `${output}.tmp-${process.pid}`;
  let fd = -1;
  try {
    fd = toStdout ? 1 : openSync(temp, 'w');
    const out = fd;
    const batches = checked.batches('frames');
    const result = format === 'pcap'
      ? exportPcapng(batches, selection, `tracevisor ${packageInfo().version}`, (chunk) => writeAll(out, chunk))
      : exportCandump(batches, selection, (text) => writeAll(out, Buffer.from(text)));
    if (!toStdout) {
      closeSync(fd);
      fd = -1;
      renameSync(temp, output);
    }
    return { output, frames: result.frames, bytes: result.bytes, interfaces: selection.interfaces.map((f) => f.name) };
  } catch (error) {
    if (fd > 1) closeSync(fd);
    if (!toStdout) rmSync(temp, { force: true });
    throw fileError(error);
  }
}

/** writeSync until every byte is out (a pipe on stdout may take a part, or say EAGAIN). */
function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // the reader is behind: wait 1 ms
    }
  }
}
