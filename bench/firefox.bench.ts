import { rmSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import type { Browser as WebExtBrowser } from 'webextension-polyfill';
import { extensionDirFor, launch, type E2EBrowser, type HostMap } from '../tests/e2e/lib/browsers.ts';
import { FIREFOX_PATH, firefoxPrefs } from '../tests/e2e/lib/firefox.ts';
import { closeAndClean, makeTempProfile, NO_PUPPETEER_SIGNAL_HANDLERS, type ExtApiGlobal } from '../tests/e2e/lib/internal.ts';
import { startServer } from '../tests/e2e/lib/server.ts';
import { addBenchPages, BLOCK_SETTINGS, measurePage, pageHosts, SETTINGS, writeFloorExtension, writeWithoutContentScript, type LoadTabs, type PageLoads } from './pages.ts';

// What Carrier Watch costs in Debian's Firefox ESR (headless, over WebDriver
// BiDi): the load time of each bench page (pages.ts) without an extension,
// with the floor extension and with Carrier Watch (Warn mode, and Block mode on
// the 500-request page), alternating runs, as in Chromium. Prints figures;
// asserts nothing.

export interface FirefoxFigures {
  /** browser.version(), e.g. firefox/153.0.… */
  version: string;
  pages: PageLoads[];
  /** Block mode's DNS look-ups over the whole run (null if the background could not be read). */
  lookups: BlockerStats | null;
}

export interface BlockerStats {
  lookups: number;
  timeouts: number;
  failures: number;
  blocked: number;
  waitedMs: number;
  maxWaitMs: number;
}

/** The blocker's counters, read from the event page (runtime.getBackgroundPage) through the control page. */
async function blockerStats(b: E2EBrowser): Promise<BlockerStats | null> {
  return b
    .evalInExtension(async () => {
      const g = globalThis as unknown as ExtApiGlobal;
      const page = (await ((g.browser ?? g.chrome) as WebExtBrowser).runtime.getBackgroundPage()) as unknown as { __carrierWatchStats?: { blocker(): BlockerStats | null } } | null;
      return page?.__carrierWatchStats?.blocker() ?? null;
    })
    .catch(() => null);
}

export async function runFirefoxBench(runs: number, log: (line: string) => void): Promise<FirefoxFigures> {
  const server = await startServer();
  const benchPages = addBenchPages(server);
  const hostMap = pageHosts();
  const floorDir = writeFloorExtension('firefox');
  const noContentDir = writeWithoutContentScript(extensionDirFor('firefox'), 'firefox');
  // One at a time: a Firefox start takes seconds of both cores.
  const opened: Array<{ close(): Promise<void> }> = [];
  try {
    const cw = await launch('firefox', { extensionDir: extensionDirFor('firefox'), hosts: hostMap });
    opened.push(cw);
    const floor = await launch('firefox', { extensionDir: floorDir, hosts: hostMap });
    opened.push(floor);
    const noContent = await launch('firefox', { extensionDir: noContentDir, hosts: hostMap });
    opened.push(noContent);
    const block = await launch('firefox', { extensionDir: extensionDirFor('firefox'), hosts: hostMap });
    opened.push(block);
    const plain = await launchPlainFirefox(hostMap);
    opened.push(plain);
    await cw.waitForBackground();
    await cw.setStorage('local', { settings: SETTINGS });
    await floor.waitForBackground();
    await noContent.waitForBackground();
    await noContent.setStorage('local', { settings: SETTINGS });
    await block.waitForBackground();
    await block.setStorage('local', { settings: BLOCK_SETTINGS });
    for (const b of [cw, floor, noContent, block]) await requireHostAccess(b);
    const tabs: LoadTabs = { none: await plain.browser.newPage(), floor: await floor.newPage(), noContent: await noContent.newPage(), cw: await cw.newPage(), block: await block.newPage() };
    // The extension browsers also hold the harness's control page: make each load's tab the selected one.
    for (const tab of Object.values(tabs)) await tab.bringToFront();
    const figures: FirefoxFigures = { version: await plain.browser.version(), pages: [], lookups: null };
    for (const p of benchPages) {
      log(`  ${p.label}…`);
      figures.pages.push(await measurePage(p, tabs, cw, server, runs, log));
    }
    figures.lookups = await blockerStats(block);
    return figures;
  } finally {
    for (const b of opened.reverse()) await b.close();
    rmSync(floorDir, { recursive: true, force: true });
    rmSync(noContentDir, { recursive: true, force: true });
    await server.close();
  }
}

/**
 * Firefox with the same prefs and host mapping as the harness's (tests/e2e/lib/firefox.ts),
 * the same flag, and no extension: the baseline.
 */
async function launchPlainFirefox(hostMap: HostMap): Promise<{ browser: Browser; close(): Promise<void> }> {
  const { dir, resource } = makeTempProfile('cw-bench-plain-firefox-');
  const prefs = firefoxPrefs({ extensionDir: dir, hosts: hostMap }, 'none@carrierwatch.bench');
  delete prefs['extensions.webextensions.uuids']; // there is no extension to give a UUID
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir: dir,
      protocolTimeout: 30_000,
      ...NO_PUPPETEER_SIGNAL_HANDLERS,
      args: ['--remote-allow-system-access'],
      extraPrefsFirefox: prefs,
    });
    resource.pid = browser.process()?.pid;
    const launched = browser;
    return { browser: launched, close: () => closeAndClean(launched, resource) };
  } catch (error) {
    await closeAndClean(browser, resource);
    throw error;
  }
}

/**
 * Firefox may leave an MV3 extension's host permissions ungranted; then its webRequest
 * listener never fires and it would cost nothing. Fail rather than measure that.
 */
async function requireHostAccess(b: E2EBrowser): Promise<void> {
  const granted = await b.evalInExtension(() => {
    const g = globalThis as unknown as ExtApiGlobal;
    return ((g.browser ?? g.chrome) as WebExtBrowser).permissions.contains({ origins: ['<all_urls>'] });
  });
  if (!granted) throw new Error(`Firefox did not grant <all_urls> to ${b.extensionId}: its webRequest listener would never fire`);
}
