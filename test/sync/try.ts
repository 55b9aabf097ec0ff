import { runSync, syncScenario } from '/work/wt/gptp/test/sync/run.js';
const run = await runSync(syncScenario([
  { name: 'gm', role: 'grandmaster', offsetNs: 250000, driftPpb: 4000 },
  { name: 'a', role: 'client', offsetNs: 1_200_000_000, driftPpb: -35000 },
  { name: 'b', role: 'client', offsetNs: -3000, driftPpb: 12000 },
], JSON.parse(process.env.EXTRA ?? '{}')));
for (const r of run.rows.filter((r) => r.vm === 1).slice(0, 30)) console.log(r.exchange, r.seq, r.state, 'off', r.offset_ns, 'pd', r.path_delay_ns, 'corr', r.correction_ns, 'rr', r.rate_ratio_ppb, 'adj', r.freq_adj_ppb, 'err', r.error_ns);
const up = run.updates(1);
console.log('last', up.slice(-5).map((r) => [r.state, r.offset_ns, r.error_ns, r.freq_adj_ppb]));
console.log('rows', run.rows.length);
