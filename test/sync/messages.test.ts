// gPTP frames (IEEE 802.1AS-2020 §11.4): the bytes at the offsets the standard gives, round trips,
// and malformed frames (a hostile guest's) refused with null.
import { describe, expect, it } from 'vitest';
import { MSG, clockIdentityOf, decodePtp, encodePtp, portIdentityBytes } from '../../src/sync/ptp-messages.js';

const mac = Uint8Array.of(0x02, 0, 0, 0, 1, 7);
const id = clockIdentityOf(mac);
const base = { srcMac: mac, clockIdentity: id, portNumber: 1, logMessageInterval: -3 };

describe('encodePtp', () => {
  it('Sync: multicast, ethertype 0x88F7, majorSdoId 1, versionPTP 2, 44 bytes, twoStepFlag, padded to 60', () => {
    const f = encodePtp({ ...base, type: MSG.sync, sequenceId: 0x1234 });
    expect([...f.subarray(0, 6)]).toEqual([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]);
    expect([...f.subarray(6, 12)]).toEqual([...mac]);
    expect((f[12]! << 8) | f[13]!).toBe(0x88f7);
    expect(f[14]).toBe(0x10); //                 majorSdoId 1, messageType 0
    expect(f[15]! & 0x0f).toBe(2);
    expect((f[16]! << 8) | f[17]!).toBe(44);
    expect(f[20]).toBe(0x02); //                 flags octet 0: twoStepFlag
    expect([...f.subarray(34, 42)]).toEqual([0x02, 0, 0, 0xff, 0xfe, 0, 1, 7]); // EUI-64 from the MAC
    expect((f[44]! << 8) | f[45]!).toBe(0x1234);
    expect(f[47]).toBe(0xfd); //                 logMessageInterval −3
    expect(f.length).toBe(60);
  });
  it('Follow_Up: preciseOriginTimestamp as be48 s | be32 ns, the 802.1AS information TLV', () => {
    const f = encodePtp({ ...base, type: MSG.followUp, sequenceId: 1, timestampNs: 1_000_005 * 1e9 + 123 });
    expect(f.length).toBe(14 + 76);
    expect([...f.subarray(48, 54)]).toEqual([0, 0, 0x00, 0x0f, 0x42, 0x45]); // 1000005 s
    expect([...f.subarray(54, 58)]).toEqual([0, 0, 0, 123]);
    expect([...f.subarray(58, 62)]).toEqual([0x00, 0x03, 0x00, 28]);
    expect([...f.subarray(62, 65)]).toEqual([0x00, 0x80, 0xc2]);
  });
});

describe('decodePtp', () => {
  it('round trip of every message type', () => {
    const requester = portIdentityBytes(clockIdentityOf(Uint8Array.of(2, 0, 0, 0, 1, 1)), 1);
    for (const type of [MSG.sync, MSG.followUp, MSG.pdelayReq, MSG.pdelayResp, MSG.pdelayRespFollowUp]) {
      const hasTs = type !== MSG.sync && type !== MSG.pdelayReq;
      const hasReq = type === MSG.pdelayResp || type === MSG.pdelayRespFollowUp;
      const f = encodePtp({ ...base, type, sequenceId: 65535, correctionNs: 6800.5, timestampNs: hasTs ? 1_234_567_890_123 : 0, ...(hasReq ? { requestingPort: requester } : {}) });
      const m = decodePtp(f)!;
      expect(m).toEqual({
        type, sequenceId: 65535, correctionNs: 6800.5, sourcePort: '020000fffe000107:1',
        timestampNs: hasTs ? 1_234_567_890_123 : 0, requestingPort: hasReq ? '020000fffe000101:1' : '',
      });
    }
  });
  it('a negative clock reading survives as 48-bit two\'s complement seconds', () => {
    const f = encodePtp({ ...base, type: MSG.followUp, sequenceId: 1, timestampNs: -1_500_000_000 });
    expect(decodePtp(f)!.timestampNs).toBe(-1_500_000_000);
  });

  const good = () => encodePtp({ ...base, type: MSG.followUp, sequenceId: 9, timestampNs: 1e9 });
  const broken: [string, (f: Uint8Array) => Uint8Array][] = [
    ['shorter than the PTP header', (f) => f.subarray(0, 40)],
    ['another ethertype', (f) => { f[13] = 0xb5; return f; }],
    ['versionPTP 1', (f) => { f[15] = 0x01; return f; }],
    ['messageLength beyond the frame', (f) => { f[16] = 0x01; return f; }],
    ['messageLength shorter than the type\'s body', (f) => { f[17] = 40; f[16] = 0; return f; }],
    ['nanoseconds >= 1e9', (f) => { f.set([0x3b, 0x9a, 0xca, 0x00], 54); return f; }],
    ['a correction beyond 1000 s', (f) => { f[22] = 0x7f; return f; }],
    ['an unhandled messageType (Announce)', (f) => { f[14] = 0x1b; return f; }],
    ['truncated body', (f) => f.subarray(0, 14 + 50)],
  ];
  for (const [what, damage] of broken) {
    it(`refuses ${what}`, () => {
      expect(decodePtp(good())).not.toBeNull();
      expect(decodePtp(damage(good()))).toBeNull();
    });
  }
});
