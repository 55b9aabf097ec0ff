// The report page's own script: it runs in the browser, not in Node. html.ts inlines it as
// `(${renderReport})(document, data, uPlot)`, so the function must be self-contained: every
// helper lives inside it and it touches only its parameters and the browser's standard globals.
// The DOM is typed loosely (`any`): the project compiles for Node without the DOM library, and
// the headless-Chromium test (test/report) is what checks this code.
/* eslint-disable @typescript-eslint/no-explicit-any */

import type { ReportData, ReportTable } from './report-data.js';

export function renderReport(doc: any, data: ReportData, uPlot: any): void {
  const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  const WIDTH = Math.max(600, Math.min(1200, (doc.documentElement.clientWidth || 1000) - 64));
  const HEIGHT = 220;
  const MARK = '#b00000'; // fatal and error markers
  const drawn: string[] = [];
  // one colour per VM in every chart (its ECU id too), the others in order of appearance
  const colours = new Map<string, string>();
  for (const [n, r] of data.tables.health.rows.entries()) {
    const row = Object.fromEntries(data.tables.health.columns.map((c, i) => [c, r[i]]));
    const colour = PALETTE[n % PALETTE.length]!;
    colours.set(String(row.vm_name ?? `vm ${row.vm}`), colour);
    if (row.ecu !== null && !colours.has(String(row.ecu))) colours.set(String(row.ecu), colour);
  }
  let others = data.tables.health.rows.length;
  function colourOf(label: string): string {
    if (!colours.has(label)) colours.set(label, PALETTE[others++ % PALETTE.length]!);
    return colours.get(label)!;
  }

  function el(tag: string, attrs: Record<string, string>, text?: string): any {
    const node = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** The rows of a table as objects keyed by column name. */
  function records(table: ReportTable): Record<string, any>[] {
    return table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c, row[i]])));
  }

  function section(id: string, title: string, table: ReportTable | null, note: string): any {
    const box = el('section', { id });
    box.appendChild(el('h2', {}, title));
    if (note !== '') box.appendChild(el('p', { class: 'note' }, note));
    if (table !== null) box.appendChild(el('p', { class: 'query' }, `data: tracevisor query <trace> --named ${table.query}`));
    doc.getElementById('sections').appendChild(box);
    return box;
  }

  function empty(box: any, what: string): void {
    box.appendChild(el('p', { class: 'empty' }, what));
  }

  /** A zoomable time chart (drag to zoom, double-click to reset): x in seconds. */
  function timeChart(box: any, name: string, yLabel: string, xs: number[], series: { label: string; values: (number | null)[]; points?: boolean; fill?: boolean }[], yLog = false): void {
    const holder = el('div', { class: 'chart', 'data-chart': name });
    box.appendChild(holder);
    const opts = {
      width: WIDTH,
      height: HEIGHT,
      scales: { x: { time: false }, y: yLog ? { distr: 3 } : { range: (_u: any, min: number, max: number) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] } },
      axes: [{ label: 'time (s)' }, { label: yLabel, size: 70 }],
      series: [
        { label: 't (s)', value: (_u: any, v: number | null) => (v === null ? '–' : v.toFixed(3)) },
        ...series.map((s) => {
          const color = s.points ? MARK : colourOf(s.label);
          return s.points
            ? { label: s.label, stroke: color, width: 0, points: { show: true, size: 7, fill: color } }
            : { label: s.label, stroke: color, width: 1.5, fill: s.fill ? `${color}55` : undefined, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } };
        }),
      ],
    };
    new uPlot(opts, [xs, ...series.map((s) => s.values)], holder);
    drawn.push(name);
  }

  /** The bin starts of a binned table, as one shared x axis in seconds (every bin, empty ones too). */
  function binAxis(table: ReportTable): { xs: number[]; index: Map<number, number>; binNs: number } | null {
    const rows = records(table);
    if (rows.length === 0) return null;
    const binNs = rows[0]!.bin_ns as number;
    // the whole trace, not just the bins with rows: every chart shares the same time range
    let first = 0;
    let last = Math.floor(data.header.durationNs / binNs) * binNs;
    for (const r of rows) {
      first = Math.min(first, r.bin_start_ns);
      last = Math.max(last, r.bin_start_ns);
    }
    const xs: number[] = [];
    const index = new Map<number, number>();
    for (let t = first; t <= last; t += binNs) {
      index.set(t, xs.length);
      xs.push(t / 1e9);
    }
    return { xs, index, binNs };
  }

  /** Groups a binned table's rows into one series per key, zero where a bin has no row. */
  function binnedSeries(table: ReportTable, key: (r: Record<string, any>) => string, value: (r: Record<string, any>) => number, zero: number | null = 0) {
    const axis = binAxis(table);
    if (axis === null) return null;
    const byKey = new Map<string, (number | null)[]>();
    for (const r of records(table)) {
      const k = key(r);
      if (!byKey.has(k)) byKey.set(k, new Array(axis.xs.length).fill(zero));
      byKey.get(k)![axis.index.get(r.bin_start_ns)!] = value(r);
    }
    return { xs: axis.xs, series: [...byKey].map(([label, values]) => ({ label, values })) };
  }

  const vmName = (r: Record<string, any>): string => r.vm_name ?? `vm ${r.vm}`;

  function header(): void {
    const h = data.header;
    doc.getElementById('title').textContent = `tracevisor report: ${h.scenario}, seed ${h.seed}`;
    const facts = [
      ['scenario', h.scenario], ['seed', h.seed], ['duration', `${(h.durationNs / 1e9).toFixed(3)} s`],
      ['recorded by', h.tool], ['core', h.coreVersion], ['complete', h.complete ? 'yes' : 'NO (the run did not finish)'],
      ...Object.entries(h.rows).map(([t, n]) => [`${t} rows`, String(n)]),
    ];
    if (h.originNs !== '0') facts.push(['times from', `${h.originNs} ns (the first message: wall-clock time)`]);
    const dl = doc.getElementById('facts');
    for (const [k, v] of facts) {
      dl.appendChild(el('dt', {}, k!));
      dl.appendChild(el('dd', {}, v!));
    }
    const box = section('verdicts', 'Per-VM verdicts', data.tables.health, '');
    const rows = records(data.tables.health);
    if (rows.length === 0) return empty(box, 'No VMs: this trace has no platform scenario (imported logs).');
    const table = el('table', { class: 'verdicts' });
    const head = el('tr', {});
    for (const c of ['VM', 'ECU', 'vCPUs', 'deadline misses', 'faults', 'rx drops', 'steal', 'DLT messages', 'DLT fatal+error', 'clock sync']) head.appendChild(el('th', {}, c));
    table.appendChild(head);
    for (const r of rows) {
      const tr = el('tr', {});
      const cells: [string, boolean][] = [
        [vmName(r), false], [r.ecu ?? '', false], [String(r.vcpus), false],
        [String(r.deadline_misses), r.deadline_misses > 0], [String(r.faults), r.faults > 0], [String(r.rx_drops), r.rx_drops > 0],
        [r.steal_share === null ? '–' : `${(r.steal_share * 100).toFixed(2)} %`, r.steal_share > 0.05],
        [String(r.dlt_messages), false], [String(r.dlt_errors), r.dlt_errors > 0],
        syncVerdict(r),
      ];
      for (const [text, bad] of cells) tr.appendChild(el('td', bad ? { class: 'bad' } : {}, text));
      table.appendChild(tr);
    }
    box.appendChild(table);
  }

  /** The verdicts' clock-sync cell: a client's lock time and error after lock (clock/sync). */
  function syncVerdict(r: Record<string, any>): [string, boolean] {
    const role = data.header.syncRoles[r.vm_name];
    if (role === undefined) return ['not synchronised', false];
    if (role === 'grandmaster' || role === 'master') return [role, false]; // CanTSyn master (issue 11 §2)
    const s = records(data.tables.sync).find((x) => x.vm === r.vm);
    if (s === undefined || s.lock_ns === null) return [`${role}: never locked`, true];
    return [`locked at ${(s.lock_ns / 1e9).toFixed(3)} s, error RMS ${fmtNs(Math.round(s.error_rms_ns))}, max ${fmtNs(s.error_abs_max_ns)}`, s.unlocks_after_lock > 0];
  }

  function occupancy(): void {
    const t = data.tables.occupancy;
    const box = section('occupancy', 'vCPU occupancy per physical CPU', t, 'Share of each time bin a VM ran on the CPU, stacked (the top edge is the CPU\'s total load). Drag to zoom, double-click to reset.');
    const rows = records(t);
    if (rows.length === 0) return empty(box, 'No scheduling rows in this trace.');
    const pcpus = [...new Set(rows.map((r) => r.pcpu as number))].sort((a, b) => a - b);
    for (const pcpu of pcpus) {
      const sub = { ...t, rows: t.rows.filter((row) => row[t.columns.indexOf('pcpu')] === pcpu) };
      const grouped = binnedSeries(sub, vmName, (r) => r.share)!;
      // stacked: each series is the sum of itself and those below it, drawn top first so every
      // band shows its own colour
      const cumulative = grouped.series.map((s, i) => ({
        label: s.label,
        values: s.values.map((_v, j) => grouped.series.slice(0, i + 1).reduce((sum, o) => sum + ((o.values[j] as number) ?? 0), 0)),
        fill: true,
      }));
      box.appendChild(el('h3', {}, `physical CPU ${pcpu}`));
      timeChart(box, `occupancy-pcpu${pcpu}`, 'share of CPU', grouped.xs, cumulative.reverse());
    }
  }

  function steal(): void {
    const t = data.tables.steal;
    const box = section('steal', 'Steal time per VM', t, 'vCPUs of the VM waiting runnable for a physical CPU, on average over each bin.');
    const grouped = binnedSeries(t, vmName, (r) => r.share);
    if (grouped === null) return empty(box, 'No VM ever waited for a CPU.');
    timeChart(box, 'steal', 'vCPUs waiting', grouped.xs, grouped.series);
  }

  function clock(): void {
    const t = data.tables.clock;
    const box = section('clock', 'Clock offset per VM', t, 'Each VM\'s local clock minus true time (last sample of each bin). Synchronisation error appears here once a VM runs clock sync.');
    const grouped = binnedSeries(t, vmName, (r) => r.offset_ns_last / 1e6, null);
    if (grouped === null) return empty(box, 'No clock samples in this trace.');
    timeChart(box, 'clock', 'offset (ms)', grouped.xs, grouped.series.map((s) => ({ ...s, values: fillForward(s.values) })));
  }

  function syncError(): void {
    const t = data.tables.syncTimeline;
    const box = section('sync', 'Clock synchronisation error per VM', t, 'Size of each synchronised client\'s clock minus the grandmaster\'s after the last servo update of each bin (log scale, so the nanoseconds after lock show beside the first offset of up to seconds; 0 is drawn at 1 ns): ground truth, which only a simulation knows.');
    // |error| on a log axis: a linear one spent its height on the offset before the first step
    // (1.2 s on the default cockpit) and drew the error after lock as a flat line at 0.
    const grouped = binnedSeries(t, vmName, (r) => Math.max(Math.abs(r.error_ns_last), 1) / 1e3, null);
    if (grouped === null) return empty(box, 'No VM runs clock synchronisation in this trace (scenario clock.sync).');
    timeChart(box, 'sync', '|error| (µs)', grouped.xs, grouped.series.map((s) => ({ ...s, values: fillForward(s.values) })), true);
  }

  function fillForward(values: (number | null)[]): (number | null)[] {
    let last: number | null = null;
    return values.map((v) => (v === null ? last : (last = v)));
  }

  function latency(): void {
    const t = data.tables.latency;
    const box = section('latency', 'Virtqueue latency distribution', t, 'Cumulative share of completions per device queue against latency (log scale): a curve further right is slower.');
    const rows = records(t);
    if (rows.length === 0) return empty(box, 'No virtqueue completions in this trace.');
    const edges = [...new Set(rows.map((r) => r.bucket_low_ns * 2))].sort((a, b) => a - b);
    const keyOf = (r: Record<string, any>): string => `${vmName(r)} ${r.device ?? 'dev'}${r.dev} q${r.queue}`;
    const byKey = new Map<string, Map<number, number>>();
    for (const r of rows) {
      const k = keyOf(r);
      if (!byKey.has(k)) byKey.set(k, new Map());
      byKey.get(k)!.set(r.bucket_low_ns * 2, r.cumulative_share);
    }
    const series = [...byKey].map(([label, shares]) => {
      let last = 0;
      return { label, values: edges.map((e) => (shares.has(e) ? (last = shares.get(e)!) : last)) };
    });
    const holder = el('div', { class: 'chart', 'data-chart': 'latency' });
    box.appendChild(holder);
    // x is log10(latency) on a linear scale, with a tick per decade labelled in time units
    const decades = (_u: any, _axis: number, min: number, max: number): number[] => {
      const ticks: number[] = [];
      for (let d = Math.ceil(min); d <= Math.floor(max); d++) ticks.push(d);
      return ticks;
    };
    new uPlot({
      width: WIDTH, height: HEIGHT + 80,
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [
        { label: 'latency (log scale)', splits: decades, values: (_u: any, ticks: number[]) => ticks.map((d) => fmtNs(10 ** d)) },
        { label: 'share ≤ latency', size: 70 },
      ],
      series: [{ label: 'latency', value: (_u: any, v: number | null) => (v === null ? '–' : `≤ ${fmtNs(Math.round(10 ** v))}`) },
        ...series.map((s) => ({ label: s.label, stroke: colourOf(s.label), width: 1.5, paths: uPlot.paths.stepped({ align: -1 }), points: { show: false } }))],
    }, [edges.map((e) => Math.log10(e)), ...series.map((s) => s.values)], holder);
    drawn.push('latency');
  }

  function fmtNs(v: number): string {
    if (v >= 1e9) return `${+(v / 1e9).toPrecision(3)} s`;
    if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)} ms`;
    if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)} µs`;
    return `${v} ns`;
  }

  function throttle(): void {
    const t = data.tables.throttle;
    const box = section('throttle', 'Memory-bus throttling', t, 'Delay imposed on each VM for exhausting its bus bandwidth budget, per bin.');
    const grouped = binnedSeries(t, vmName, (r) => r.delay_ns / 1e6);
    if (grouped === null) return empty(box, 'No VM was throttled.');
    timeChart(box, 'throttle', 'delay (ms)', grouped.xs, grouped.series);
  }

  function links(): void {
    const t = data.tables.links;
    const box = section('links', 'Link utilisation', t, 'Share of each bin each Ethernet link spent transmitting, both directions together (up to 2).');
    const grouped = binnedSeries(t, (r) => `link ${r.link}${r.vm >= 0 ? ` (${vmNameOf(r.vm)})` : ''}`, (r) => r.utilisation);
    if (grouped === null) return empty(box, 'No Ethernet frames in this trace.');
    timeChart(box, 'links', 'utilisation', grouped.xs, grouped.series);
  }

  function vmNameOf(vm: number): string {
    const row = records(data.tables.health).find((r) => r.vm === vm);
    return row?.vm_name ?? `vm ${vm}`;
  }

  function dlt(): void {
    const t = data.tables.dlt;
    const box = section('dlt', 'DLT message rate per ECU', t, 'Messages per bin for each ECU; dots mark bins with fatal or error messages (their count).');
    const grouped = binnedSeries(t, (r) => r.ecu, (r) => r.messages);
    if (grouped === null) return empty(box, 'No DLT messages in this trace.');
    const marks = binnedSeries(t, (r) => `${r.ecu} fatal+error`, (r) => (r.fatals + r.errors > 0 ? r.fatals + r.errors : null), null)!;
    const flagged = marks.series.filter((s) => s.values.some((v) => v !== null)).map((s) => ({ ...s, points: true }));
    timeChart(box, 'dlt', 'messages per bin', grouped.xs, [...grouped.series, ...flagged]);
  }

  function incidents(): void {
    const t = data.tables.incidents;
    const box = section('incidents', 'Faults and deadline misses', t, 'Every refused fault, deadline miss, seeded fault and dropped frame, with what the VM last logged before it.');
    if (t.rows.length === 0) return empty(box, 'None: no faults, deadline misses, seeded faults or dropped frames.');
    const table = el('table', { class: 'incidents' });
    const head = el('tr', {});
    for (const c of ['time (s)', 'VM', 'kind', 'what', 'last DLT message before it']) head.appendChild(el('th', {}, c));
    table.appendChild(head);
    for (const r of records(t)) {
      const tr = el('tr', {});
      for (const text of [(r.ts_ns / 1e9).toFixed(6), r.vm >= 0 ? vmName(r) : '–', r.kind, r.what ?? '', r.last_log ?? '']) tr.appendChild(el('td', {}, String(text)));
      table.appendChild(tr);
    }
    box.appendChild(table);
    if (t.more > 0) box.appendChild(el('p', { class: 'note' }, `… and ${t.more} more (query the trace for all of them).`));
  }

  header();
  occupancy();
  steal();
  clock();
  syncError();
  latency();
  throttle();
  links();
  dlt();
  incidents();
  // what the tests (and a curious reader) can check: the charts that drew
  doc.body.setAttribute('data-charts-drawn', drawn.join(' '));
}
