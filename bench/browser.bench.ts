import { rmSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Browser as WebExtBrowser } from 'webextension-polyfill';
import { launch, extensionDirFor, type HostMap } from '../tests/e2e/lib/browsers.ts';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, hostResolverRules, type ChromiumE2EBrowser } from '../tests/e2e/lib/chromium.ts';
import { closeAndClean, makeTempProfile, NO_PUPPETEER_SIGNAL_HANDLERS } from '../tests/e2e/lib/internal.ts';
import { pollUntil } from '../tests/e2e/lib/poll.ts';
import { manyRequestsPage, page, PAGE_DONE_FLAG, startServer, text, type TestServer } from '../tests/e2e/lib/server.ts';
import { addBenchPages, BENCH_HOST, FLAGGED_LOAD_HOSTS, loadHost, BLOCK_SETTINGS, measurePage, pageHosts, SETTINGS, writeFloorExtension, writeWithoutContentScript, type LoadTabs, type PageLoads } from './pages.ts';

// What Carrier Watch costs in a real browser (Debian's Chromium, headless):
// the service worker's cold start, the page-load overhead of each bench page
// (pages.ts) against the same browser without the extension and with the floor
// extension (alternating runs), the time from a page's last response to the
// final badge, and a 10,000-request page's heap and storage. Firefox's page
// loads are in firefox.bench.ts. Prints figures; asserts nothing (speed is
// measured, not tested).

export interface BrowserFigures {
  coldStartEmptyMs: number[];
  coldStart50TabsMs: number[];
  /** Median phases of the empty cold start, each from the script starting: data in; data and storage in (read in parallel); then restored. */
  coldStartPhases: Phases;
  coldStart50TabsPhases: Phases;
  idleHeapBytes: number;
  tabsRestored: number;
  /** browser.version(), e.g. Chrome/156.0.… */
  version: string;
  /** Load times of each bench page: without an extension, with the floor extension (one empty webRequest listener, nothing else), with Carrier Watch. */
  pages: PageLoads[];
  floorStressHeapPeakBytes: number;
  /** Badge final minus the page's last response (negative: final before the page finished). */
  badgeAfterLastResponseMs: number[];
  /** Badge final minus the first response of the last flagged host (when the count became knowable). */
  badgeLagMs: number[];
  /** Median of how late request events reached the worker during the 500-request loads. */
  dispatchLagMs: number[];
  stressHeapPeakBytes: number;
  stressSessionBytes: number;
  stressRequests: number;
  stressPopupRenderMs: number | null;
  /** popup.html?bench=1000: first render of 1,000 synthetic endpoints. */
  popup1000RenderMs: number[];
}

const STRESS_REQUESTS = 10_000;
const STRESS_HOSTS = 1000;

function hosts(): HostMap {
  return { ...pageHosts(), 'api.flagged.test': '127.0.0.1', '*.bulk.test': '127.0.0.2' };
}

/** The Chromium-only routes (saved tabs, the stress page) beside the shared bench pages. */
function sites(s: TestServer): void {
  s.route(BENCH_HOST, '/tab', page({ scripts: [s.url('cdn.flagged.test', '/a.js'), s.url('api.flagged.test', '/b.js')], images: [s.url(loadHost(0), '/img/0.gif')] }));
  s.route(BENCH_HOST, '/bulk', manyRequestsPage(s.port, { hosts: STRESS_HOSTS, requests: STRESS_REQUESTS, hostSuffix: 'bulk.test' }));
  s.route(BENCH_HOST, '/n', text('ok'));
  s.route('cdn.flagged.test', '/a.js', { body: '' });
  s.site('api.flagged.test', { '/b.js': { body: '' } });
}

/** Heap peak of a worker while a page makes the stress requests. */
async function stressHeapPeak(b: ChromiumE2EBrowser, url: string, wakeUrl: string): Promise<{ peak: number; page: Page }> {
  const p = await b.newPage();
  // A request wakes a worker the browser stopped while idle.
  await p.goto(wakeUrl, { waitUntil: 'load' });
  const worker = await b.waitForWorker();
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const usage = (await worker.client.send('Runtime.getHeapUsage').catch(() => null)) as { usedSize: number } | null;
      if (usage) peak = Math.max(peak, usage.usedSize);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await p.goto(url, { waitUntil: 'load' });
  // Polled: one long in-page wait would outlive the harness's protocol timeout.
  await pollUntil('the 10,000 requests', () => p.evaluate(`window.${PAGE_DONE_FLAG} === true`), (done) => done === true, { timeoutMs: 300_000, intervalMs: 500 });
  sampling = false;
  await sampler;
  return { peak, page: p };
}

/** Chromium with the same flags and host mapping, and no extension: the baseline. */
async function launchPlain(hostMap: HostMap): Promise<{ browser: Browser; close(): Promise<void> }> {
  const { dir, resource } = makeTempProfile('cw-bench-plain-');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    pipe: true,
    userDataDir: dir,
    ...NO_PUPPETEER_SIGNAL_HANDLERS,
    args: [...CHROMIUM_FLAGS, `--host-resolver-rules=${hostResolverRules(hostMap)}`],
  });
  resource.pid = browser.process()?.pid;
  return { browser, close: () => closeAndClean(browser, resource) };
}

type Phases = { scriptMs: number; dataMs: number; storageMs: number; restoreMs: number };

/** Median of each phase, each measured from the script starting. */
function phasesOf(startups: readonly Startup[]): Phases {
  const mid = (f: (s: Startup) => number) => startups.map(f).sort((x, y) => x - y)[Math.floor(startups.length / 2)]!;
  return {
    scriptMs: mid((s) => s.scriptStartMs),
    dataMs: mid((s) => s.dataLoadedMs - s.scriptStartMs),
    storageMs: mid((s) => s.storageReadMs - s.scriptStartMs),
    restoreMs: mid((s) => s.readyMs - s.storageReadMs),
  };
}

type Startup = { scriptStartMs: number; dataLoadedMs: number; storageReadMs: number; readyMs: number; tabsRestored: number };

async function coldStart(b: ChromiumE2EBrowser, wake: Page, url: string): Promise<Startup> {
  await b.stopWorker();
  await wake.goto(url, { waitUntil: 'load' }); // its requests wake the worker
  const worker = await b.waitForWorker();
  return worker.evaluate(() => (globalThis as unknown as { __carrierWatchStartup: Startup }).__carrierWatchStartup);
}

export async function runBrowserBench(runs: number, log: (line: string) => void): Promise<BrowserFigures> {
  const server = await startServer();
  const benchPages = addBenchPages(server);
  sites(server);
  const hostMap = hosts();
  const b = (await launch('chromium', { extensionDir: extensionDirFor('chromium'), hosts: hostMap })) as ChromiumE2EBrowser;
  const plain = await launchPlain(hostMap);
  const floorDir = writeFloorExtension('chromium');
  const floor = (await launch('chromium', { extensionDir: floorDir, hosts: hostMap })) as ChromiumE2EBrowser;
  const noContentDir = writeWithoutContentScript(extensionDirFor('chromium'), 'chromium');
  const noContent = await launch('chromium', { extensionDir: noContentDir, hosts: hostMap });
  const block = await launch('chromium', { extensionDir: extensionDirFor('chromium'), hosts: hostMap });
  try {
    await block.waitForBackground();
    await block.setStorage('local', { settings: BLOCK_SETTINGS });
    await noContent.waitForBackground();
    await noContent.setStorage('local', { settings: SETTINGS });
    await b.waitForBackground();
    await b.setStorage('local', { settings: SETTINGS });
    const figures: BrowserFigures = {
      coldStartEmptyMs: [], coldStart50TabsMs: [], tabsRestored: 0, coldStartPhases: { scriptMs: 0, dataMs: 0, storageMs: 0, restoreMs: 0 }, coldStart50TabsPhases: { scriptMs: 0, dataMs: 0, storageMs: 0, restoreMs: 0 }, idleHeapBytes: 0, version: await b.browser.version(), pages: [], dispatchLagMs: [], floorStressHeapPeakBytes: 0, badgeAfterLastResponseMs: [], badgeLagMs: [],
      stressHeapPeakBytes: 0, stressSessionBytes: 0, stressRequests: 0, stressPopupRenderMs: null, popup1000RenderMs: [],
    };

    log('cold start, empty state…');
    const wake = await b.newPage();
    const phases: Startup[] = [];
    for (let i = 0; i < runs; i++) {
      await b.evalInExtension(() => (globalThis as unknown as { chrome: WebExtBrowser }).chrome.storage.session.clear());
      const startup = await coldStart(b, wake, server.url(BENCH_HOST, '/blank'));
      phases.push(startup);
      figures.coldStartEmptyMs.push(startup.readyMs);
    }
    figures.coldStartPhases = phasesOf(phases);
    {
      const worker = await b.waitForWorker();
      await worker.client.send('HeapProfiler.collectGarbage').catch(() => undefined);
      figures.idleHeapBytes = ((await worker.client.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    }

    log('cold start, 50 tabs of saved state…');
    const savedTabs: Page[] = [];
    for (let i = 0; i < 50; i++) {
      const t = await b.newPage();
      await t.goto(server.url(BENCH_HOST, '/tab'), { waitUntil: 'load' });
      await t.waitForFunction(`window.${PAGE_DONE_FLAG} === true`);
      savedTabs.push(t);
    }
    await pollUntil('50 tabs saved', () => b.storage('session'), (s) => Object.keys(s).filter((k) => k.startsWith('tab:')).length >= 50);
    const phases50: Startup[] = [];
    for (let i = 0; i < runs; i++) {
      const startup = await coldStart(b, wake, server.url(BENCH_HOST, '/blank'));
      phases50.push(startup);
      figures.coldStart50TabsMs.push(startup.readyMs);
      figures.tabsRestored = startup.tabsRestored;
    }
    figures.coldStart50TabsPhases = phasesOf(phases50);
    for (const t of savedTabs) await t.close();

    log('page-load overhead, alternating without an extension, with the floor extension and with Carrier Watch…');
    const withPage = await b.newPage();
    const tabs: LoadTabs = { none: await plain.browser.newPage(), floor: await floor.newPage(), noContent: await noContent.newPage(), cw: withPage, block: await block.newPage() };
    const url = server.url(BENCH_HOST, '/load');
    const tabId = await (async () => {
      await withPage.goto(server.url(BENCH_HOST, '/blank'));
      return b.tabIdOf(withPage);
    })();
    for (const p of benchPages) {
      log(`  ${p.label}…`);
      figures.pages.push(await measurePage(p, tabs, b, server, runs, log));
    }
    log('badge lag on the 500-request page…');
    // Separately, because watching the badge (a call into the browser every few ms from the
    // worker) costs the page time that the extension itself does not.
    for (let i = 0; i < runs; i++) {
      await withPage.goto(server.url(BENCH_HOST, '/blank'), { waitUntil: 'load' });
      await b.waitForWorker();
      // Watch the badge from inside the worker, stamping the moment it shows the final count.
      const badgeFinal = b.evalInWorker(async (id: number, expected: string) => {
        const api = (globalThis as unknown as { chrome: WebExtBrowser }).chrome;
        for (;;) {
          if ((await api.action.getBadgeText({ tabId: id })) === expected) return Date.now();
          await new Promise((r) => setTimeout(r, 2));
        }
      }, tabId, String(FLAGGED_LOAD_HOSTS));
      await withPage.goto(url, { waitUntil: 'load' });
      // Two clocks for the badge. The issue's: from the page's last response (the count is
      // usually final long before, so this is negative). The stricter one: from the moment
      // the final count became knowable, the first response of the last flagged host to
      // answer, to the badge showing it: the whole pipeline, batching included.
      const marks = await withPage.evaluate((flaggedHosts: number) => {
        const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        const firstByHost = new Map<string, number>();
        for (const e of entries) {
          const host = /\/\/h(\d+)\.load\.test/.exec(e.name)?.[1];
          if (host === undefined || Number(host) >= flaggedHosts) continue;
          firstByHost.set(host, Math.min(firstByHost.get(host) ?? Infinity, e.responseStart));
        }
        const countKnown = Math.max(...firstByHost.values());
        if (!(countKnown > 0)) throw new Error('resource timing hidden (no Timing-Allow-Origin?): cannot time the badge');
        return {
          lastResponse: performance.timeOrigin + Math.max(...entries.map((e) => e.responseEnd)),
          countKnown: performance.timeOrigin + countKnown,
        };
      }, FLAGGED_LOAD_HOSTS);
      const shown = await badgeFinal;
      figures.dispatchLagMs.push(
        await b.evalInWorker(() => {
          const stats = (globalThis as unknown as { __carrierWatchStats: { dispatchLagMs: Float32Array; events(): number } }).__carrierWatchStats;
          const lags = [...stats.dispatchLagMs.subarray(0, Math.min(stats.events(), stats.dispatchLagMs.length))].sort((x, y) => x - y);
          return lags[Math.floor(lags.length / 2)] ?? 0;
        }),
      );
      figures.badgeAfterLastResponseMs.push(shown - marks.lastResponse);
      figures.badgeLagMs.push(shown - marks.countKnown);
    }

    log(`stress: a page making ${STRESS_REQUESTS} requests…`);
    const stressUrl = server.url(BENCH_HOST, '/bulk');
    const blank = server.url(BENCH_HOST, '/blank');
    const { peak, page: stress } = await stressHeapPeak(b, stressUrl, blank);
    figures.stressHeapPeakBytes = peak;
    figures.floorStressHeapPeakBytes = (await stressHeapPeak(floor, stressUrl, blank)).peak;
    const stressTab = await b.tabIdOf(stress);
    const state = await pollUntil(
      'stress page recorded',
      async () => ((await b.storage('session'))[`tab:${stressTab}`] as { current?: { requests: number } } | undefined)?.current?.requests ?? 0,
      (n) => n >= STRESS_REQUESTS,
      { timeoutMs: 60_000 },
    );
    figures.stressRequests = state;
    figures.stressSessionBytes = await b.evalInExtension(() =>
      (globalThis as unknown as { chrome: WebExtBrowser }).chrome.storage.session.getBytesInUse(null),
    );
    figures.stressPopupRenderMs = await popupRenderMs(b, `tab=${stressTab}`);

    log('popup first render with 1,000 endpoints…');
    for (let i = 0; i < runs; i++) {
      const ms = await popupRenderMs(b, 'bench=1000');
      if (ms !== null) figures.popup1000RenderMs.push(ms);
    }
    return figures;
  } finally {
    await b.close();
    await floor.close();
    rmSync(floorDir, { recursive: true, force: true });
    await noContent.close();
    rmSync(noContentDir, { recursive: true, force: true });
    await block.close();
    await plain.close();
    await server.close();
  }
}

/** The popup's own measure of its first render (data-render-ms on <html>), or null if it has none. */
async function popupRenderMs(b: ChromiumE2EBrowser, query: string): Promise<number | null> {
  const popup = await b.openExtensionPage(`src/popup/index.html?${query}`);
  try {
    const value = await pollUntil(
      'the popup to report its first render',
      () => popup.evaluate(() => document.documentElement.dataset['renderMs'] ?? null),
      (v) => v !== null,
      { timeoutMs: 10_000 },
    ).catch(() => null);
    return value === null ? null : Number(value);
  } finally {
    await popup.close();
  }
}
