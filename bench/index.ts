// npm run bench: what Carrier Watch costs, measured side by side in one run.
//   - the engine in Node, beside a naive baseline;
//   - the built extension in Debian's Chromium: cold start, page-load overhead
//     against the same browser without it, badge lag, a 10,000-request page,
//     the popup's first render;
//   - the page-load overhead in Chromium and in Debian's Firefox ESR, on two
//     pages (500 requests; 20 iframes), against no extension and against a
//     do-nothing "floor" extension (pages.ts), and in Block mode on the first;
//   - bundle sizes of dist/chrome and dist/firefox.
// It prints figures and a summary against the targets; it asserts nothing.
//
//   npm run bench                 everything (builds first)
//   npm run bench -- --engine     the engine only (no browser, no build)
//   npm run bench -- --runs 20    more runs of each browser measurement
//   npm run bench -- --audit      the site audit only (bench/audit.bench.ts)
//   npm run bench -- --data-updates   opt-in data updates only (bench/data-updates.bench.ts)

import { cpus, totalmem } from 'node:os';
import { bundleSizes } from './bundle-size.ts';
import { runBrowserBench, type BrowserFigures } from './browser.bench.ts';
import { runEngineBench } from './engine.ts';
import { auditFigureLines, auditMedian, AUDIT_BENCH_PAGES, runAuditBench } from './audit.bench.ts';
import { runFirefoxBench } from './firefox.bench.ts';
import { dataUpdateFigureLines, runDataUpdatesBench } from './data-updates.bench.ts';
import type { PageKey, PageLoads } from './pages.ts';

const args = process.argv.slice(2);
const engineOnly = args.includes('--engine');
const runsArg = args.indexOf('--runs');
const runs = runsArg === -1 ? 10 : Math.max(3, Number(args[runsArg + 1]) || 10);

const ns = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} ms` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} µs` : `${v.toFixed(0)} ns`);
const ms = (v: number) => `${v.toFixed(1)} ms`;
const kb = (v: number) => `${(v / 1024).toFixed(1)} KB`;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const p95 = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))] ?? NaN;
const log = (line: string) => console.error(`  … ${line}`);

const summary: Array<[string, string, string, boolean | null]> = [];
const check = (what: string, figure: string, target: string, met: boolean | null) => summary.push([what, figure, target, met]);

// Page loads: every ratio is one median over another.
type LoadMedians = { none: number; floor: number; noContent: number; cw: number; block: number };
const mediansOf = (p: PageLoads): LoadMedians => ({ none: median(p.noneMs), floor: median(p.floorMs), noContent: median(p.noContentMs), cw: median(p.withMs), block: median(p.blockMs) });
const pageOf = (pages: readonly PageLoads[], key: PageKey): PageLoads => {
  const found = pages.find((p) => p.key === key);
  if (!found) throw new Error(`no page-load figures for ${key}`);
  return found;
};
const LOAD_TARGET = 1.03; // Carrier Watch against the floor extension
const BLOCK_TARGET = 1.05; // Carrier Watch in Block mode against the floor extension

function printLoads(p: PageLoads): void {
  const m = mediansOf(p);
  console.log(`${`${p.label} load, without extension`.padEnd(47)}median ${ms(m.none)}`);
  console.log(`${`${p.label} load, floor extension`.padEnd(47)}median ${ms(m.floor)}   ratio ${(m.floor / m.none).toFixed(3)} (one empty webRequest listener)`);
  console.log(`${`${p.label} load, without the content script`.padEnd(47)}median ${ms(m.noContent)}   ratio ${(m.noContent / m.none).toFixed(3)}, ${(m.noContent / m.floor).toFixed(3)} against the floor`);
  console.log(`${`${p.label} load, with extension`.padEnd(47)}median ${ms(m.cw)}   ratio ${(m.cw / m.none).toFixed(3)}, ${(m.cw / m.floor).toFixed(3)} against the floor, ${(m.cw / m.noContent).toFixed(3)} against it without the content script`);
  if (p.blockMs.length > 0) console.log(`${`${p.label} load, Block mode`.padEnd(47)}median ${ms(m.block)}   ratio ${(m.block / m.none).toFixed(3)}, ${(m.block / m.floor).toFixed(3)} against the floor, ${(m.block / m.cw).toFixed(3)} against Warn mode`);
  console.log(`  Carrier Watch's badge on it: ${p.badge || '(empty)'} (flagged hosts: ${p.expectedBadge})`);
}

/** Carrier Watch against the floor (the target), and optionally the floor against no extension. */
function checkLoads(browserName: string, p: PageLoads, floorRow: boolean): void {
  const m = mediansOf(p);
  check(`${browserName}, ${p.label}: CW/floor`, `${(m.cw / m.floor).toFixed(3)} (${m.cw.toFixed(0)}/${m.floor.toFixed(0)} ms)`, `≤ ${LOAD_TARGET}× floor`, m.cw / m.floor <= LOAD_TARGET);
  check('  CW/CW without content script', `${(m.cw / m.noContent).toFixed(3)} (${m.cw.toFixed(0)}/${m.noContent.toFixed(0)} ms)`, '—', null);
  if (p.blockMs.length > 0) {
    check(`${browserName}, ${p.label}: Block/floor`, `${(m.block / m.floor).toFixed(3)} (${m.block.toFixed(0)}/${m.floor.toFixed(0)} ms)`, `≤ ${BLOCK_TARGET}× floor`, m.block / m.floor <= BLOCK_TARGET);
    check('  Block/Warn', `${(m.block / m.cw).toFixed(3)} (${m.block.toFixed(0)}/${m.cw.toFixed(0)} ms)`, '—', null);
  }
  if (floorRow) check('  floor/none', `${(m.floor / m.none).toFixed(3)} (${m.floor.toFixed(0)}/${m.none.toFixed(0)} ms)`, '—', null);
}

console.log(`Carrier Watch benchmark — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);

// ---- site audit (bench/audit.bench.ts) ----------------------------------------------------
// `npm run bench -- --audit` runs this section alone; a full run has it after the bundles.
const auditOnly = args.includes('--audit');
async function auditSection(): Promise<void> {
  console.log(`\nSite audit (${AUDIT_BENCH_PAGES} pages of one login-page shape, one Chromium)`);
  const figures = await runAuditBench(log);
  for (const line of auditFigureLines(figures)) console.log(line);
  const one = figures.runs[0];
  if (one) check('audit, one page (median)', ms(auditMedian(one.pageMs)), '—', null);
  for (const run of figures.runs) {
    check(`audit, ${run.pages} pages at concurrency ${run.concurrency}`, `${(run.wallMs / 1000).toFixed(2)} s, ${run.pagesPerSecond.toFixed(2)} pages/s`, '—', run.errors === 0 ? null : false);
  }
}
if (auditOnly) {
  await auditSection();
  console.log('\nSummary');
  for (const [what, figure, target, met] of summary) console.log(`${what.padEnd(46)}${figure.padEnd(24)}${target.padEnd(16)}${met === null ? '' : met ? 'met' : 'MISSED'}`);
  process.exit(process.exitCode ?? 0);
}
// ---- end of the site audit's block ---------------------------------------------------------

// ---- data updates (bench/data-updates.bench.ts) --------------------------------------------
const dataUpdatesOnly = args.includes('--data-updates');
async function dataUpdatesSection(): Promise<void> {
  console.log(`\nData updates (${runs} runs each; builds a copy of the extension that trusts a key made for the run)`);
  const figures = await runDataUpdatesBench(runs, log);
  for (const line of dataUpdateFigureLines(figures)) console.log(line);
  for (const f of figures) {
    const cold = median(f.coldOnMs) / median(f.coldOffMs);
    check(`${f.kind}: cold start, updates on/off`, `${cold.toFixed(3)} (${median(f.coldOnMs).toFixed(1)}/${median(f.coldOffMs).toFixed(1)} ms)`, '≤ 1.05×', cold <= 1.05);
    const load = median(f.loadApplyingMs) / median(f.loadPlainMs);
    check(`${f.kind}: page load while applying`, `${load.toFixed(3)} (${median(f.loadApplyingMs).toFixed(0)}/${median(f.loadPlainMs).toFixed(0)} ms)`, '—', null);
  }
}
if (dataUpdatesOnly) {
  await dataUpdatesSection();
  console.log('\nSummary');
  for (const [what, figure, target, met] of summary) console.log(`${what.padEnd(46)}${figure.padEnd(24)}${target.padEnd(16)}${met === null ? '' : met ? 'met' : 'MISSED'}`);
  process.exit(process.exitCode ?? 0);
}

// ---- engine ----
const engine = runEngineBench();
console.log(`\nEngine (Node): ${engine.v4Ranges} IPv4 + ${engine.v6Ranges} IPv6 ranges`);
console.log(`${'operation'.padEnd(46)}${'median'.padEnd(11)}${'p99/call'.padEnd(11)}${'naive median'.padEnd(14)}naive/engine`);
for (const r of engine.rows) {
  console.log(`${r.label.padEnd(46)}${ns(r.engine.medianNs).padEnd(11)}${ns(r.engineP99PerCallNs).padEnd(11)}${ns(r.naive.medianNs).padEnd(14)}${(r.naive.medianNs / r.engine.medianNs).toFixed(1)}×`);
}
console.log(`${'table load (view + validate)'.padEnd(46)}${ns(engine.load.medianNs).padEnd(11)}${ns(engine.load.p99Ns).padEnd(11)}${ns(engine.naiveLoad.medianNs).padEnd(14)}${(engine.naiveLoad.medianNs / engine.load.medianNs).toFixed(1)}×`);
console.log(`${'engine ready (list parse + table load)'.padEnd(46)}${ns(engine.engineReady.medianNs)}`);
console.log(`table: ${engine.tableBytes} bytes on disk, ${engine.typedArrayBytes} bytes in typed arrays`);
const v4 = engine.rows[0]!;
check('IPv4 lookup, median', ns(v4.engine.medianNs), '< 1 µs', v4.engine.medianNs < 1000);
check('IPv4 lookup vs naive', `${(v4.naive.medianNs / v4.engine.medianNs).toFixed(0)}×`, '≥ 100×', v4.naive.medianNs / v4.engine.medianNs >= 100);
for (const r of engine.rows.slice(1)) check(`${r.label}, median`, ns(r.engine.medianNs), '—', null);
check('table load', ns(engine.load.medianNs), '—', null);

// ---- browser ----
let browser: BrowserFigures | undefined;
if (!engineOnly) {
  console.log(`\nChromium (${runs} runs each)`);
  browser = await runBrowserBench(runs, log);
  console.log(`browser: ${browser.version}`);
  const load = pageOf(browser.pages, 'load');
  const ratio = median(load.withMs) / median(load.noneMs);
  const floorRatio = median(load.floorMs) / median(load.noneMs);
  console.log(`service worker cold start, empty state        median ${ms(median(browser.coldStartEmptyMs))}  (${browser.coldStartEmptyMs.map((v) => v.toFixed(0)).join(', ')})`);
  console.log(`service worker cold start, 50 tabs restored    median ${ms(median(browser.coldStart50TabsMs))}  (${browser.tabsRestored} tabs)`);
  for (const p of browser.pages) printLoads(p);
  for (const [label, p] of [['empty', browser.coldStartPhases], ['50 tabs', browser.coldStart50TabsPhases]] as const) {
    console.log(`  phases (${label}, median): script running at ${ms(p.scriptMs)}, data in after +${ms(p.dataMs)}, data and storage both in after +${ms(p.storageMs)} (read in parallel), restored +${ms(p.restoreMs)}`);
  }
  console.log(`worker heap when idle after start              ${(browser.idleHeapBytes / 2 ** 20).toFixed(1)} MB`);
  console.log(`page's last response → final badge             median ${ms(median(browser.badgeAfterLastResponseMs))} (negative: final before the page finished)`);
  console.log(`final count knowable → badge shows it          median ${ms(median(browser.badgeLagMs))}, p95 ${ms(p95(browser.badgeLagMs))}`);
  console.log(`  of which Chrome's delay delivering request events to the worker: median ${ms(median(browser.dispatchLagMs))}`);
  console.log(`10,000-request page: peak worker heap of the floor extension ${(browser.floorStressHeapPeakBytes / 2 ** 20).toFixed(1)} MB`);
  console.log(`10,000-request page: peak worker heap ${(browser.stressHeapPeakBytes / 2 ** 20).toFixed(1)} MB, storage.session ${kb(browser.stressSessionBytes)}, popup render ${browser.stressPopupRenderMs === null ? 'n/a' : ms(browser.stressPopupRenderMs)}`);
  console.log(`popup first render, 1,000 endpoints            median ${ms(median(browser.popup1000RenderMs))}`);
  check('cold start to ready (empty)', ms(median(browser.coldStartEmptyMs)), '< 50 ms', median(browser.coldStartEmptyMs) < 50);
  check('cold start to ready (50 tabs)', ms(median(browser.coldStart50TabsMs)), '< 50 ms', median(browser.coldStart50TabsMs) < 50);
  check('page-load ratio with/without', ratio.toFixed(3), '≤ 1.03', ratio <= 1.03);
  check('  floor extension ratio', floorRatio.toFixed(3), '—', null);
  for (const p of browser.pages) checkLoads('Chromium', p, p.key !== 'load'); // the 500-request floor ratio is the row above
  check('badge final after last response', ms(median(browser.badgeAfterLastResponseMs)), '< 200 ms', median(browser.badgeAfterLastResponseMs) < 200);
  check('badge lag after count knowable', ms(median(browser.badgeLagMs)), '< 200 ms', median(browser.badgeLagMs) < 200);
  check('peak worker heap, 10k requests', `${(browser.stressHeapPeakBytes / 2 ** 20).toFixed(1)} MB`, '< 20 MB', browser.stressHeapPeakBytes < 20 * 2 ** 20);
  check('  floor extension heap', `${(browser.floorStressHeapPeakBytes / 2 ** 20).toFixed(1)} MB`, '—', null);
  check('storage.session, 10k requests', kb(browser.stressSessionBytes), '—', null);
  check('popup render, 1,000 endpoints', ms(median(browser.popup1000RenderMs)), '< 100 ms', median(browser.popup1000RenderMs) < 100);
}

// ---- Firefox: page loads only ----
if (!engineOnly) {
  console.log(`\nFirefox ESR (${runs} runs each)`);
  try {
    const firefox = await runFirefoxBench(runs, log);
    console.log(`browser: ${firefox.version}`);
    for (const p of firefox.pages) printLoads(p);
    const l = firefox.lookups;
    if (l) {
      const mean = l.lookups > 0 ? l.waitedMs / l.lookups : 0;
      console.log(`Block mode's DNS look-ups (whole run): ${l.lookups} waited for, mean ${ms(mean)}, max ${ms(l.maxWaitMs)}, ${l.timeouts} timed out, ${l.failures} failed; ${l.blocked} requests blocked`);
      check('Firefox Block: look-up wait per host, mean', `${ms(mean)} (max ${ms(l.maxWaitMs)}, ${l.lookups} look-ups)`, '—', null);
    } else console.log("Block mode's DNS look-ups: the event page's counters could not be read");
    for (const p of firefox.pages) checkLoads('Firefox', p, true);
  } catch (error) {
    // Keep the figures already taken; say loudly that these are missing.
    console.log(`Firefox bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    check('Firefox page loads', 'failed', `≤ ${LOAD_TARGET}× floor`, false);
    process.exitCode = 1;
  }
}

// ---- bundles ----
if (!engineOnly) {
  console.log('\nBundles');
  for (const target of ['chrome', 'firefox']) {
    const sizes = bundleSizes(`dist/${target}`);
    console.log(`dist/${target}: ${kb(sizes.total)} (${kb(sizes.gzipTotal)} gzipped)`);
    for (const f of sizes.files.slice(0, 8)) console.log(`  ${f.path.padEnd(48)}${kb(f.bytes).padStart(10)}${kb(f.gzipBytes).padStart(10)} gz`);
    check(`dist/${target} total`, `${kb(sizes.total)} (${kb(sizes.gzipTotal)} gz)`, '—', null);
  }
}

// ---- site audit (see its block above) ----
if (!engineOnly) {
  await auditSection();
  await dataUpdatesSection();
}

console.log('\nSummary');
console.log(`${'measure'.padEnd(46)}${'figure'.padEnd(24)}${'target'.padEnd(16)}`);
for (const [what, figure, target, met] of summary) {
  console.log(`${what.padEnd(46)}${figure.padEnd(24)}${target.padEnd(16)}${met === null ? '' : met ? 'met' : 'MISSED'}`);
}
