// Real PTP on the wire (issues 11 and 12 together): the cockpit with gPTP (test/sync/
// cockpit-gptp.json) exported as pcapng, and tshark dissects its 802.1AS frames as `ptp`, with
// no malformed-packet or warning expert info, one packet per PTP row of the frames table.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';
import { requireCli, tv } from '../executable.js';
import { frameRows, record, tempDir } from '../frames/helpers.js';
import { expertProblems, requireTool, tsharkFields } from './tshark.js';

const PTP_ETHERTYPE = 0x88f7;

describe('export pcap of a gPTP run', () => {
  let pcap: string;
  let ptpRows: number;
  beforeAll(() => {
    requireCli();
    const dir = record(join(packageRoot(), 'test', 'sync', 'cockpit-gptp.json'), '2s');
    ptpRows = frameRows(dir).filter((r) => r.kind === 'eth' && ((r.data[12]! << 8) | r.data[13]!) === PTP_ETHERTYPE).length;
    pcap = join(tempDir('tv-pcap-ptp-'), 'gptp.pcapng');
    expect(tv('export', 'pcap', dir, '-o', pcap).code).toBe(0);
  }, 120_000);

  it('dissects every PTP frame as ptp: Sync, Follow_Up and the three peer-delay messages', (ctx) => {
    requireTool(ctx, 'tshark');
    expect(ptpRows).toBeGreaterThan(0);
    expect(expertProblems(pcap)).toEqual([]);
    const ptp = tsharkFields(pcap, ['ptp.v2.messagetype'], 'ptp');
    expect(ptp).toHaveLength(ptpRows);
    // 802.1AS message types: Sync 0x0, Pdelay_Req 0x2, Pdelay_Resp 0x3, Follow_Up 0x8, Pdelay_Resp_Follow_Up 0xa
    expect(new Set(ptp.map((p) => p[0]))).toEqual(new Set(['0x00', '0x02', '0x03', '0x08', '0x0a']));
  });
});
