import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { DEFAULT_SETTINGS, type Settings } from '../src/engine/settings.ts';
import type { BrowserKind, E2EBrowser, HostMap } from '../tests/e2e/lib/browsers.ts';
import { pollUntil } from '../tests/e2e/lib/poll.ts';
import { html, image, type TestServer } from '../tests/e2e/lib/server.ts';

// The pages whose load time the bench compares in four browsers of one kind
// (no extension, the floor extension, Carrier Watch without its content
// script, Carrier Watch), and how it loads them:
// shared by the Chromium and the Firefox runs so both measure the same thing.

export const BENCH_HOST = 'bench.test';
export const LOAD_HOSTS = 50;
export const LOAD_RESOURCES = 500;
export const FLAGGED_LOAD_HOSTS = 10; // the first 10 hosts sit on the "flagged" network
const FRAMES = 20;
const FLAGGED_FRAMES = 4; // the first 4 frames' own hosts sit on the "flagged" network

/** 127.0.0.2 and *.flagged.test count as flagged (operators Carrier Watch knows). */
export const SETTINGS: Settings = {
  ...DEFAULT_SETTINGS,
  user: { asns: [], cidrs: [{ cidr: '127.0.0.2/32', operatorId: 'china-telecom' }], domains: [{ domain: 'flagged.test', operatorId: 'china-mobile' }], allowlist: [] },
};

/** The same, in Block mode: requests to the flagged hosts are stopped (Chrome: after a host's first response shows its network). */
export const BLOCK_SETTINGS: Settings = { ...SETTINGS, protection: { mode: 'block', blockPhoneLogin: false, allowedSites: [] } };

// Timing-Allow-Origin: without it a cross-origin resource's responseStart reads 0, and
// the badge lag (browser.bench.ts) would be measured from the navigation's start.
// no-store: every load fetches every resource again, so every load makes every request.
const NO_STORE = { 'cache-control': 'no-store', 'timing-allow-origin': '*' };

export const loadHost = (i: number): string => `h${i}.load.test`;
const frameHost = (i: number): string => `f${i}.frames.test`;

export type PageKey = 'load' | 'frames';

export interface BenchPage {
  key: PageKey;
  label: string;
  url: string;
  /** Every request the page makes besides its own document, each URL once. */
  requests: readonly string[];
  /** Distinct flagged hosts among them: what Carrier Watch's badge should read. */
  flaggedHosts: number;
}

/** The hosts the bench pages use, each on its loopback "network". */
export function pageHosts(): HostMap {
  const map: HostMap = { [BENCH_HOST]: '127.0.0.1', 'cdn.flagged.test': '127.0.0.1' };
  for (let i = 0; i < LOAD_HOSTS; i++) map[loadHost(i)] = i < FLAGGED_LOAD_HOSTS ? '127.0.0.2' : '127.0.0.1';
  for (let i = 0; i < FRAMES; i++) map[frameHost(i)] = i < FLAGGED_FRAMES ? '127.0.0.2' : '127.0.0.1';
  return map;
}

/** Whether SETTINGS flag `host` as the pages map it (by its network or its domain). */
function isFlagged(host: string, map: HostMap): boolean {
  return map[host] === '127.0.0.2' || host === 'flagged.test' || host.endsWith('.flagged.test');
}

function flaggedHostCount(urls: readonly string[]): number {
  const map = pageHosts();
  return new Set(urls.map((u) => new URL(u).hostname).filter((h) => isFlagged(h, map))).size;
}

const img = (u: string): string => `<img alt="" src="${u}">`;

/** Adds the bench pages (and /blank) to the server; returns them in measuring order. */
export function addBenchPages(s: TestServer): BenchPage[] {
  const imageRoutes = Object.fromEntries(Array.from({ length: LOAD_RESOURCES }, (_, i) => [`/img/${i}.gif`, image(NO_STORE)]));
  for (let i = 0; i < LOAD_HOSTS; i++) s.site(loadHost(i), imageRoutes);
  s.route(BENCH_HOST, '/blank', html('<!doctype html><title>blank</title>'));
  return [loadPage(s), framesPage(s)];
}

/** 500 images across 50 hosts, 10 of them flagged. */
function loadPage(s: TestServer): BenchPage {
  const requests = Array.from({ length: LOAD_RESOURCES }, (_, i) => s.url(loadHost(i % LOAD_HOSTS), `/img/${i}.gif`));
  s.route(BENCH_HOST, '/load', html(`<!doctype html><title>500 requests</title>${requests.map(img).join('')}`, NO_STORE));
  return { key: 'load', label: '500-request page', url: s.url(BENCH_HOST, '/load'), requests, flaggedHosts: flaggedHostCount(requests) };
}

/**
 * 20 iframes, each a document from its own host (4 of them flagged) loading 5 images: 2 from
 * its own host, 2 from the load hosts (flagged for the first 5 frames), 1 from cdn.flagged.test.
 * Frames cost the extension what a plain page does not: a document per frame, events from
 * many frames of one tab.
 */
function framesPage(s: TestServer): BenchPage {
  const requests: string[] = [];
  const frames: string[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const own = frameHost(i);
    const images = [
      s.url(own, '/img/0.gif'),
      s.url(own, '/img/1.gif'),
      s.url(loadHost((2 * i) % LOAD_HOSTS), `/img/${2 * i}.gif`),
      s.url(loadHost((2 * i + 1) % LOAD_HOSTS), `/img/${2 * i + 1}.gif`),
      s.url('cdn.flagged.test', `/img/f${i}.gif`), // one URL per frame: nothing shared between frames
    ];
    s.site(own, {
      '/frame': html(`<!doctype html><title>frame ${i}</title>${images.map(img).join('')}`, NO_STORE),
      '/img/0.gif': image(NO_STORE),
      '/img/1.gif': image(NO_STORE),
    });
    s.route('cdn.flagged.test', `/img/f${i}.gif`, image(NO_STORE));
    const frame = s.url(own, '/frame');
    frames.push(frame);
    requests.push(frame, ...images);
  }
  const body = frames.map((u) => `<iframe src="${u}"></iframe>`).join('');
  s.route(BENCH_HOST, '/frames', html(`<!doctype html><title>${FRAMES} iframes</title>${body}`, NO_STORE));
  return { key: 'frames', label: `${FRAMES}-iframe page`, url: s.url(BENCH_HOST, '/frames'), requests, flaggedHosts: flaggedHostCount(requests) };
}

/**
 * The floor: an extension that only listens to onResponseStarted for every
 * URL and does nothing. What it costs is what the browser charges any extension
 * that watches requests, before a line of Carrier Watch runs.
 */
export function writeFloorExtension(kind: BrowserKind): string {
  const dir = mkdtempSync(join(tmpdir(), `cw-bench-floor-${kind}-`));
  const base = { manifest_version: 3, name: 'webRequest floor', version: '1', permissions: ['webRequest'], host_permissions: ['<all_urls>'] };
  if (kind === 'chromium') {
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...base, background: { service_worker: 'sw.js' } }));
    writeFileSync(join(dir, 'sw.js'), `chrome.webRequest.onResponseStarted.addListener(() => {}, { urls: ['<all_urls>'] });
globalThis.__carrierWatchReady = true;`);
    return dir;
  }
  // Firefox: an event page (background.scripts), a gecko id to install it under, and no data
  // collected, as Carrier Watch's own Firefox manifest.
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    ...base,
    background: { scripts: ['bg.js'] },
    browser_specific_settings: { gecko: { id: 'webrequest-floor@carrierwatch.bench', data_collection_permissions: { required: ['none'] } } },
  }));
  // The ping listener only answers the harness's waitForBackground(); it never fires during a load.
  writeFileSync(join(dir, 'bg.js'), `browser.webRequest.onResponseStarted.addListener(() => {}, { urls: ['<all_urls>'] });
browser.runtime.onMessage.addListener((m) => (m && m.type === 'ping' ? Promise.resolve({ ready: true }) : undefined));`);
  return dir;
}

/** loadEventEnd − startTime of the current document's navigation; 0 until the load event has ended. */
const navigationLoadMs = (): number => {
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  return nav !== undefined && nav.loadEventEnd > 0 ? nav.loadEventEnd - nav.startTime : 0;
};

/** Navigates and returns the page's own measure of its load (navigation start to load event end). */
export async function loadTime(p: Page, url: string): Promise<number> {
  await p.goto(url, { waitUntil: 'load' });
  // Firefox over BiDi can report the load as the document completes, before loadEventEnd is set.
  return pollUntil(`loadEventEnd of ${url}`, () => p.evaluate(navigationLoadMs), (v) => v > 0, { timeoutMs: 10_000, intervalMs: 5 });
}

/**
 * A copy of a built extension without its content script: Carrier Watch's
 * background alone, so the bench can say what the content script costs.
 */
export function writeWithoutContentScript(extensionDir: string, kind: BrowserKind): string {
  const dir = mkdtempSync(join(tmpdir(), `cw-bench-no-content-${kind}-`));
  cpSync(extensionDir, dir, { recursive: true });
  const file = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete manifest['content_scripts'];
  if (kind === 'firefox') {
    // Its own gecko id: it is installed beside Carrier Watch's in no browser, but stays distinct.
    const settings = manifest['browser_specific_settings'] as { gecko: { id: string } };
    settings.gecko.id = `no-content-${settings.gecko.id}`;
  }
  writeFileSync(file, JSON.stringify(manifest));
  return dir;
}

/** One tab in each of the four browsers of a kind. */
export interface LoadTabs {
  none: Page;
  floor: Page;
  /** Carrier Watch without its content script. */
  noContent: Page;
  cw: Page;
  /** Carrier Watch in Block mode: measured on the 500-request page only. */
  block: Page;
}

export interface PageLoads {
  key: PageKey;
  label: string;
  noneMs: number[];
  floorMs: number[];
  /** Carrier Watch without its content script (the background alone). */
  noContentMs: number[];
  withMs: number[];
  /** Carrier Watch in Block mode (the 500-request page only; empty for the others). */
  blockMs: number[];
  /** Carrier Watch's badge after a load, and what it should read (the page's flagged hosts). */
  badge: string;
  expectedBadge: string;
}

/**
 * One page's load times in the three browsers, alternating: none, floor, Carrier Watch, `runs`
 * times, after one warm-up each (first loads pay for connection setup and code caches).
 */
export async function measurePage(page: BenchPage, tabs: LoadTabs, cw: E2EBrowser, server: TestServer, runs: number, log: (line: string) => void): Promise<PageLoads> {
  const block = page.key === 'load';
  for (const who of ['cw', 'none', 'floor', 'noContent'] as const) await warmUp(page, tabs[who], who, server, log);
  if (block) await warmUpBlocked(page, tabs.block, server, log);
  const expectedBadge = String(page.flaggedHosts);
  const badge = await badgeAfterLoad(cw, tabs.cw, expectedBadge);
  if (badge !== expectedBadge) log(`WARNING: Carrier Watch's badge reads "${badge}" on the ${page.label}, expected ${expectedBadge}: are the settings applied?`);
  const loads: PageLoads = { key: page.key, label: page.label, noneMs: [], floorMs: [], noContentMs: [], withMs: [], blockMs: [], badge, expectedBadge };
  // Page loads alone, the four browsers in turn, nothing else running.
  for (let i = 0; i < runs; i++) {
    loads.noneMs.push(await loadTime(tabs.none, page.url));
    loads.floorMs.push(await loadTime(tabs.floor, page.url));
    loads.noContentMs.push(await loadTime(tabs.noContent, page.url));
    loads.withMs.push(await loadTime(tabs.cw, page.url));
    if (block) loads.blockMs.push(await loadTime(tabs.block, page.url));
  }
  return loads;
}

/**
 * Block mode's warm-up: twice (Chrome learns the flagged hosts from the first load's
 * responses), then checked against the server: the second load must reach no flagged host,
 * and every other request must arrive (a blocked unflagged request would make it faster).
 */
async function warmUpBlocked(page: BenchPage, tab: Page, server: TestServer, log: (line: string) => void): Promise<void> {
  await loadTime(tab, page.url);
  const map = pageHosts();
  const wanted = new Set(page.requests.map((u) => `${new URL(u).hostname}${new URL(u).pathname}`));
  const allowed = page.requests.filter((u) => !isFlagged(new URL(u).hostname, map)).length;
  server.clearRequests();
  await loadTime(tab, page.url);
  const seen = server.requests().filter((r) => wanted.has(`${r.host}${r.path}`));
  const flagged = seen.filter((r) => isFlagged(r.host, map)).length;
  if (flagged > 0 || seen.length !== allowed) log(`WARNING: in Block mode the ${page.label} made ${seen.length} requests (${flagged} flagged), expected ${allowed} (none flagged): is Block mode on?`);
}

/** A warm-up load, checked against the server: a load served partly from a cache would measure less work. */
async function warmUp(page: BenchPage, tab: Page, who: string, server: TestServer, log: (line: string) => void): Promise<void> {
  const wanted = new Set(page.requests.map((u) => `${new URL(u).hostname}${new URL(u).pathname}`));
  server.clearRequests();
  await loadTime(tab, page.url);
  const seen = server.requests().filter((r) => wanted.has(`${r.host}${r.path}`)).length;
  if (seen !== page.requests.length) log(`WARNING: the ${page.label} made ${seen} requests in the ${who} browser, expected ${page.requests.length}`);
}

/** The badge once it reads `expected` (it is batched), or whatever it reads after 5 s. */
async function badgeAfterLoad(cw: E2EBrowser, tab: Page, expected: string): Promise<string> {
  const tabId = await cw.tabIdOf(tab);
  const read = async () => (await cw.badge(tabId)).text;
  return pollUntil('the badge', read, (t) => t === expected, { timeoutMs: 5_000, intervalMs: 100 }).catch(read);
}
