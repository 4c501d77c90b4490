import type { Page } from 'puppeteer-core';
import type { Browser as WebExtBrowser } from 'webextension-polyfill';
import { committedDataDate, committedFiles, generateBundleKeys, signedBundle, withDomain } from '../src/data/test-bundles.ts';
import type { DataStatus } from '../src/background/messages.ts';
import { launch, type BrowserKind, type E2EBrowser } from '../tests/e2e/lib/browsers.ts';
import type { ChromiumE2EBrowser } from '../tests/e2e/lib/chromium.ts';
import { buildWithTestKey } from '../tests/e2e/lib/data-bundles.ts';
import type { ExtApiGlobal } from '../tests/e2e/lib/internal.ts';
import { pollUntil } from '../tests/e2e/lib/poll.ts';
import { startServer, type TestServer } from '../tests/e2e/lib/server.ts';
import { addBenchPages, BENCH_HOST, loadTime, pageHosts, SETTINGS } from './pages.ts';

// What opt-in data updates cost (npm run bench -- --data-updates), in
// Chromium and Firefox ESR, each figure against its baseline in the same run:
// - cold start (script start → ready) with updates on and a bundle applied
//   (restored from storage at every start) against updates off (the shipped
//   data), two browsers side by side, starts alternating;
// - the 500-request page's load while a bundle is fetched, verified and
//   applied at the same moment, against the same page with no check,
//   alternating; and the check's own steps, as the background timed them.
// The extension is built trusting a key made for the run (as the browser
// tests do), so bundles can be signed here. Prints figures; asserts nothing.

export interface DataUpdateFigures {
  kind: BrowserKind;
  version: string;
  coldOffMs: number[];
  coldOnMs: number[];
  /** Each start's phases (ms from the worker's start): script evaluated, data in, storage in, ready. */
  phasesOff: Startup[];
  phasesOn: Startup[];
  loadPlainMs: number[];
  loadApplyingMs: number[];
  /** The longest any of the page's last 512 request events waited to reach the background (ms), per load. */
  lagPlainMs: number[];
  lagApplyingMs: number[];
  /** Per applied check: the background's own timing of each step (ms, wall clock, awaits included). */
  steps: Array<{ downloadMs: number; verifyMs: number; guardsMs: number; storeMs: number; applyMs: number }>;
}

const BUNDLE_PATH = '/bench-data.cwdata';
type Startup = { readyMs: number; dataLoadedMs: number; storageReadMs: number; scriptStartMs: number; tableArrivedMs: number; localArrivedMs: number; restoreStartMs: number };
type Steps = DataUpdateFigures['steps'][number];

/** Read from the background: its start-up figures, or the last check's steps. Chromium: the worker; Firefox: the event page (runtime.getBackgroundPage). */
async function backgroundValue<K extends 'startup' | 'steps' | 'lag'>(b: E2EBrowser, what: K): Promise<K extends 'startup' ? Startup : K extends 'steps' ? Steps : number> {
  type Globals = { __carrierWatchStartup?: unknown; __carrierWatchStats?: { dataUpdate(): unknown; dispatchLagMs: Float32Array } };
  if (b.kind === 'chromium') {
    const worker = await (b as ChromiumE2EBrowser).waitForWorker();
    return worker.evaluate((key: string) => {
      const g = globalThis as unknown as Globals;
      if (key === 'lag') return Math.max(...(g.__carrierWatchStats?.dispatchLagMs ?? [0]));
      return key === 'startup' ? g.__carrierWatchStartup : g.__carrierWatchStats?.dataUpdate();
    }, what) as never;
  }
  return b.evalInExtension(async (key: string) => {
    const g = globalThis as unknown as ExtApiGlobal;
    const page = (await ((g.browser ?? g.chrome) as WebExtBrowser).runtime.getBackgroundPage()) as unknown as Globals | null;
    const stats = page?.__carrierWatchStats;
    const value = key === 'lag' ? Math.max(...(stats?.dispatchLagMs ?? [0])) : key === 'startup' ? page?.__carrierWatchStartup : stats?.dataUpdate();
    // Across the page boundary: a plain copy.
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  }, what) as never;
}

async function coldStart(b: E2EBrowser, wake: Page, url: string): Promise<Startup> {
  if (b.kind === 'chromium') await (b as ChromiumE2EBrowser).stopWorker();
  else await b.stopBackground();
  await wake.goto(url, { waitUntil: 'load' }); // its requests wake the background
  await b.waitForBackground();
  return backgroundValue(b, 'startup');
}

export async function runDataUpdatesBench(runs: number, log: (line: string) => void): Promise<DataUpdateFigures[]> {
  const keys = await generateBundleKeys();
  const files = withDomain(committedFiles(), 'bench-bundle-only.test', 'china-telecom');
  const date = committedDataDate();
  // One version per applied check: each must be newer than the one in use.
  const bundles = await Promise.all(Array.from({ length: runs + 2 }, (_, i) => signedBundle(files, keys.privateKey, `${date}.${i + 1}`)));
  log('building the extension with a key made for this run…');
  const dirs = await buildWithTestKey(keys.publicJwk);
  const out: DataUpdateFigures[] = [];
  for (const kind of ['chromium', 'firefox'] as const) {
    const server = await startServer();
    let served = bundles[0]!;
    server.route('127.0.0.1', BUNDLE_PATH, () => ({ body: served, headers: { 'content-type': 'application/octet-stream' } }));
    addBenchPages(server);
    const options = { extensionDir: dirs[kind], hosts: { ...pageHosts(), '127.0.0.1': '127.0.0.1' as const }, backgroundIdleTimeoutMs: 1000 };
    const off = await launch(kind, options);
    const on = await launch(kind, options);
    try {
      const updates = { enabled: true, url: server.url('127.0.0.1', BUNDLE_PATH) };
      await off.waitForBackground();
      await off.setStorage('local', { settings: { ...SETTINGS, dataUpdates: { ...updates, enabled: false } } });
      await on.waitForBackground();
      await on.setStorage('local', { settings: { ...SETTINGS, dataUpdates: updates } });
      await pollUntil(`${kind}: the first bundle applied`, () => on.storage('local'), (s) => s['dataBundle'] !== undefined, { timeoutMs: 30_000 });
      const figures: DataUpdateFigures = { kind, version: await on.browser.version(), coldOffMs: [], coldOnMs: [], phasesOff: [], phasesOn: [], loadPlainMs: [], loadApplyingMs: [], lagPlainMs: [], lagApplyingMs: [], steps: [] };

      log(`${kind}: cold start, updates off against on with a bundle applied…`);
      const blank = server.url(BENCH_HOST, '/blank');
      const wakeOff = await off.newPage();
      const wakeOn = await on.newPage();
      for (let i = 0; i < runs; i++) {
        // Each pair in the other order from the last, so neither side always follows the other's start.
        const offFirst = i % 2 === 0;
        const first = await coldStart(offFirst ? off : on, offFirst ? wakeOff : wakeOn, blank);
        const second = await coldStart(offFirst ? on : off, offFirst ? wakeOn : wakeOff, blank);
        const [a, b] = offFirst ? [first, second] : [second, first];
        figures.phasesOff.push(a);
        figures.phasesOn.push(b);
        figures.coldOffMs.push(a.readyMs);
        figures.coldOnMs.push(b.readyMs);
      }

      log(`${kind}: the 500-request page, with and without a bundle applied meanwhile…`);
      const control = await on.openExtensionPage('src/options/index.html');
      const tab = await on.newPage();
      const url = server.url(BENCH_HOST, '/load');
      await loadTime(tab, url); // warm-up
      for (let i = 0; i < runs; i++) {
        await tab.goto(blank);
        figures.loadPlainMs.push(await loadTime(tab, url));
        figures.lagPlainMs.push(await backgroundValue(on, 'lag'));
        await tab.goto(blank);
        served = bundles[i + 1]!;
        const check = control.evaluate(() => {
          const g = globalThis as unknown as ExtApiGlobal;
          return ((g.browser ?? g.chrome) as WebExtBrowser).runtime.sendMessage({ type: 'check-data-now' }) as Promise<DataStatus>;
        });
        figures.loadApplyingMs.push(await loadTime(tab, url));
        const status = await check;
        if (status.lastCheck?.outcome !== 'applied') throw new Error(`${kind}: check ${i + 1} was not applied: ${JSON.stringify(status.lastCheck)}`);
        figures.lagApplyingMs.push(await backgroundValue(on, 'lag'));
        figures.steps.push(await backgroundValue(on, 'steps'));
      }
      out.push(figures);
    } finally {
      await off.close();
      await on.close();
      await server.close();
    }
  }
  return out;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function dataUpdateFigureLines(all: readonly DataUpdateFigures[]): string[] {
  const lines: string[] = [];
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  for (const f of all) {
    const coldRatio = median(f.coldOnMs) / median(f.coldOffMs);
    const loadRatio = median(f.loadApplyingMs) / median(f.loadPlainMs);
    lines.push(`${f.kind} (${f.version})`);
    lines.push(`  cold start, updates off                      median ${ms(median(f.coldOffMs))}  (${f.coldOffMs.map((v) => v.toFixed(0)).join(', ')})`);
    lines.push(`  cold start, updates on, a bundle applied     median ${ms(median(f.coldOnMs))}  (${f.coldOnMs.map((v) => v.toFixed(0)).join(', ')})   ratio ${coldRatio.toFixed(3)} (target ≤ 1.05)`);
    for (const [label, phases] of [['off', f.phasesOff], ['on ', f.phasesOn]] as const) {
      const mid = (g: (s: Startup) => number) => ms(median(phases.map(g)));
      lines.push(
        `  phases, updates ${label}: script starts ${mid((s) => s.scriptStartMs)}; then the shipped table in +${mid((s) => s.tableArrivedMs - s.scriptStartMs)}, storage.local in +${mid((s) => s.localArrivedMs - s.scriptStartMs)}` +
          `${label === 'on ' ? `, update restored in ${mid((s) => s.dataLoadedMs - s.restoreStartMs)}` : ''}, data in +${mid((s) => s.dataLoadedMs - s.scriptStartMs)}, ready +${mid((s) => s.readyMs - s.scriptStartMs)}`,
      );
    }
    lines.push(`  500-request page                             median ${ms(median(f.loadPlainMs))}`);
    lines.push(`  500-request page, a bundle applied meanwhile median ${ms(median(f.loadApplyingMs))}   ratio ${loadRatio.toFixed(3)}`);
    lines.push(`  longest wait of a request event for the background, per load: median ${ms(median(f.lagPlainMs))} without, ${ms(median(f.lagApplyingMs))} with a bundle applied meanwhile (max ${ms(Math.max(...f.lagApplyingMs))})`);
    const step = (k: keyof Steps) => ms(median(f.steps.map((s) => s[k])));
    lines.push(`  a check's steps (median): download ${step('downloadMs')}, verify ${step('verifyMs')}, guards ${step('guardsMs')}, store ${step('storeMs')}, apply ${step('applyMs')}`);
  }
  return lines;
}
