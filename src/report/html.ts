// The report as one self-contained HTML file (issue 12 §4): no network, nothing beside it — the
// chart library (uPlot: small, canvas-drawn, made for large time series), its stylesheet, the
// data and the page's own script are all inlined, so the file opens by double-click and can be
// mailed. The data is JSON in a <script type="application/json"> element, escaped so that no
// string in a trace (a DLT payload saying "</script>") can end the element early.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { renderReport } from './page-script.js';
import type { ReportData } from './report-data.js';

const require = createRequire(import.meta.url);

function asset(path: string): string {
  return readFileSync(require.resolve(path), 'utf8');
}

/** JSON that is safe inside a <script> element: `<`, `>`, `&` and the JS line separators escaped. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px 32px; color: #222; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 14px; margin: 12px 0 2px; }
dl#facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }
dt { color: #666; } dd { margin: 0; }
p.note { color: #555; margin: 2px 0 6px; } p.query { color: #888; font: 12px monospace; margin: 0 0 6px; }
p.empty { color: #777; font-style: italic; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.bad { color: #b00; font-weight: 600; }
table.incidents td:last-child { font-family: monospace; font-size: 12px; }
.chart { margin: 4px 0 12px; }
`;

export function reportHtml(data: ReportData): string {
  const title = `tracevisor report: ${data.header.scenario}, seed ${data.header.seed}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${asset('uplot/dist/uPlot.min.css')}</style>
<style>${STYLE}</style>
</head>
<body>
<h1 id="title">${escapeHtml(title)}</h1>
<dl id="facts"></dl>
<div id="sections"></div>
<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>
<script>${asset('uplot/dist/uPlot.iife.min.js')}</script>
<script>
(${renderReport.toString()})(document, JSON.parse(document.getElementById('report-data').textContent), uPlot);
</script>
</body>
</html>
`;
}
